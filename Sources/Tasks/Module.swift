// Tasks module: see README's architecture section.

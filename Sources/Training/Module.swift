// Training module: see README's architecture section.

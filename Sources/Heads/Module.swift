// Heads module: see README's architecture section.

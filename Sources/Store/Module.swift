// Store module: see README's architecture section.

// Datasets module: see README's architecture section.

// Backbones module: see README's architecture section.

// Tokenizers module: see README's architecture section.

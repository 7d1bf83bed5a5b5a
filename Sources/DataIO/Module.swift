// DataIO module: see README's architecture section.

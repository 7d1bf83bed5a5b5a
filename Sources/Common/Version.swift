/// The toolkit's version, printed by `textclf --version`.
public let textclfVersion = "0.1.0"

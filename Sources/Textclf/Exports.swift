// One import for library users: `import Textclf` brings every part of the toolkit.
@_exported import Backbones
@_exported import DataIO
@_exported import Datasets
@_exported import Export
@_exported import Heads
@_exported import Inference
@_exported import Store
@_exported import Tasks
@_exported import TensorEngine
@_exported import Tokenizers
@_exported import Training

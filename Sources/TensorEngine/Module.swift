// TensorEngine: Float32 tensors on OpenBLAS with explicit fused kernels and a tape for
// reverse-mode autograd (llm.c style: every forward kernel has a hand-written backward, and
// every buffer a kernel keeps is listed where it is recorded).
//
//   BLAS/        loader (dlopen after choosing OPENBLAS_CORETYPE), sgemm, CPU features
//   Core/        Tensor (owned or borrowed memory), PaddedBatch, Parallel (SplitMix64 lives in Common)
//   Autograd/    Variable, Parameter, Tape
//   Kernels/     one file per layer: <Name>Kernel (raw-pointer forward/backward) + Ops.<name>
//   Serialization/  safetensors reader and writer, the TensorArchive protocol; TFCheckpoint/
//                   OpenAI's TensorFlow checkpoint format (LevelDB table, Snappy, protobuf, CRC32C)
//
// A model's forward takes `tape: Tape?`: a Tape when training (ops record their backward
// steps), nil for evaluation and prediction (nothing recorded, no activations kept).

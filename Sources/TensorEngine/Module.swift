// TensorEngine module: see README's architecture section.

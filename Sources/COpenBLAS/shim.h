#include <cblas.h>

// CPUID and XGETBV for choosing OPENBLAS_CORETYPE before libopenblas is loaded: Swift has
// no inline assembly, and OpenBLAS's own detection misnames newer CPUs (e.g. as Prescott).
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
static inline int textclf_cpuid(unsigned int leaf, unsigned int subleaf, unsigned int regs[4]) {
    return __get_cpuid_count(leaf, subleaf, &regs[0], &regs[1], &regs[2], &regs[3]);
}
// Which register states the OS saves (bit 1 SSE, 2 AVX, 5-7 AVX-512): a CPU feature is
// usable only if the OS enabled its state. Call only when CPUID.1:ECX.OSXSAVE is set.
static inline unsigned long long textclf_xgetbv0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}
#endif

// The CPUs this process may run on: taskset, cgroups' cpusets and mpirun's core binding
// narrow it below the machine's core count, and a worker per unusable core only time-slices.
#define _GNU_SOURCE
#include <sched.h>
#include "CKernels.h"

int tc_cpus_allowed(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    return CPU_COUNT(&set);
}

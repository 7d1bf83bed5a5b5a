// The kernel workers: one helper thread per extra core, which spins briefly after each job
// before it sleeps. Training alternates short parallel kernels with short serial steps (tape
// bookkeeping, the next product's setup) thousands of times a second; waking a sleeping
// thread for each costs tens of microseconds on a VM, where a halted vCPU must be scheduled
// again, and a spinning helper answers at once. Products and element-wise kernels share
// these workers, so no second pool (OpenMP's) spins against them.
#define _GNU_SOURCE
#include <pthread.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "CKernels.h"

enum { IDLE = 0, OFFERED = 1, TAKEN = 2 };

struct helper {
    _Atomic int state;
    char pad[60];  // one cache line per helper: the caller polls every state
};

static struct {
    int helpers;
    struct helper *slots;
    // The current job, written by the caller before it offers the job (release) and read by
    // a helper after it takes it (acquire).
    tc_pool_task task;
    void *context;
    long chunks;
    _Atomic long next;
    _Atomic int busy;
    _Atomic int sleepers;
    _Atomic unsigned park;
    long spin_ns;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
} pool = {.mutex = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static _Thread_local int inside_job;
static pthread_once_t started = PTHREAD_ONCE_INIT;
static _Atomic int requested_helpers;  // read once, by start()

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void run_chunks(void) {
    tc_pool_task task = pool.task;
    void *context = pool.context;
    long chunks = pool.chunks;
    inside_job = 1;
    for (long c; (c = atomic_fetch_add_explicit(&pool.next, 1, memory_order_relaxed)) < chunks;) task(context, c);
    inside_job = 0;
}

static void *helper_main(void *argument) {
    struct helper *me = argument;
    for (;;) {
        // Spin for the next offer until the spin time runs out or someone asks helpers to park
        // (a library with threads of its own is about to run), then sleep.
        unsigned park = atomic_load_explicit(&pool.park, memory_order_relaxed);
        long deadline = now_ns() + pool.spin_ns;
        for (unsigned i = 1; atomic_load_explicit(&me->state, memory_order_acquire) != OFFERED; i++) {
            relax();
            if ((i & 63) == 0 && (now_ns() > deadline || atomic_load_explicit(&pool.park, memory_order_relaxed) != park)) {
                pthread_mutex_lock(&pool.mutex);
                atomic_fetch_add(&pool.sleepers, 1);
                while (atomic_load(&me->state) != OFFERED) pthread_cond_wait(&pool.wake, &pool.mutex);
                atomic_fetch_sub(&pool.sleepers, 1);
                pthread_mutex_unlock(&pool.mutex);
                break;
            }
        }
        int offered = OFFERED;
        // The caller takes the offer back if it finished every chunk first.
        if (!atomic_compare_exchange_strong(&me->state, &offered, TAKEN)) continue;
        run_chunks();
        atomic_store_explicit(&me->state, IDLE, memory_order_release);
    }
    return NULL;
}

// Read at load, as TEXTCLF_KERNEL_ISA: a value that is not a whole number of microseconds is
// a one-line error (exit 2) rather than a silent default.
__attribute__((constructor)) static void read_spin_time(void) {
    const char *text = getenv("TEXTCLF_SPIN_US");
    long us = 100;
    if (text && *text) {
        char *end = NULL;
        errno = 0;
        us = strtol(text, &end, 10);
        if (errno || *end || us < 0 || us > 1000000) {
            fprintf(stderr, "error: TEXTCLF_SPIN_US=%s is not a whole number of microseconds from 0 to 1000000\n", text);
            exit(2);
        }
    }
    pool.spin_ns = us * 1000;
}

static void start(void) {
    int helpers = atomic_load(&requested_helpers);
    if (helpers < 1) return;
    pool.slots = aligned_alloc(64, sizeof(struct helper) * (size_t)helpers);
    if (!pool.slots) return;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < helpers; i++) {
        atomic_init(&pool.slots[i].state, IDLE);
        pthread_t thread;
        if (pthread_create(&thread, &attributes, helper_main, &pool.slots[i]) != 0) break;
        pool.helpers = i + 1;
    }
    pthread_attr_destroy(&attributes);
}

int tc_pool_run(long chunks, tc_pool_task task, void *context, int helpers) {
    if (chunks < 2 || helpers < 1 || inside_job) return 1;
    atomic_store(&requested_helpers, helpers);
    pthread_once(&started, start);
    if (pool.helpers < 1) return 1;
    if (atomic_exchange_explicit(&pool.busy, 1, memory_order_acquire)) return 1;  // another caller has it
    pool.task = task;
    pool.context = context;
    pool.chunks = chunks;
    atomic_store_explicit(&pool.next, 0, memory_order_relaxed);
    int offers = (int)(chunks - 1 < pool.helpers ? chunks - 1 : pool.helpers);
    for (int i = 0; i < offers; i++) atomic_store(&pool.slots[i].state, OFFERED);
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.mutex);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.mutex);
    }
    run_chunks();
    for (int i = 0; i < offers; i++) {
        int offered = OFFERED;
        if (atomic_compare_exchange_strong(&pool.slots[i].state, &offered, IDLE)) continue;
        while (atomic_load_explicit(&pool.slots[i].state, memory_order_acquire) != IDLE) relax();
    }
    atomic_store_explicit(&pool.busy, 0, memory_order_release);
    return 0;
}

void tc_pool_park(void) { atomic_fetch_add_explicit(&pool.park, 1, memory_order_relaxed); }

int tc_pool_inside_job(void) { return inside_job; }

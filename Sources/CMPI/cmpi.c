#include "cmpi.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

// Open MPI's handle types are pointers to its objects; an opaque pointer carries them.
typedef void *handle;

#define MPI_IN_PLACE ((void *)1)
#define MPI_THREAD_FUNNELED 1

static struct {
    int loaded;
    int (*init_thread)(int *, char ***, int, int *);
    int (*initialized)(int *);
    int (*finalize)(void);
    int (*abort)(handle, int);
    int (*comm_rank)(handle, int *);
    int (*comm_size)(handle, int *);
    int (*set_errhandler)(handle, handle);
    int (*iallreduce)(const void *, void *, int, handle, handle, handle, handle *);
    int (*isend)(const void *, int, handle, int, int, handle, handle *);
    int (*irecv)(void *, int, handle, int, int, handle, handle *);
    int (*ibarrier)(handle, handle *);
    int (*test)(handle *, int *, void *);
    int (*get_library_version)(char *, int *);
    int (*get_processor_name)(char *, int *);
    int (*error_string)(int, char *, int *);
    handle comm_world, errors_return, op_sum, type[3], byte;
} mpi;

int cmpi_launched(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMIX_RANK") != NULL || getenv("PMI_RANK") != NULL;
}

int cmpi_load(char *error, size_t errorLength) {
    if (mpi.loaded) return 0;
    // RTLD_GLOBAL: Open MPI's components, dlopened by libmpi itself, resolve libmpi's symbols.
    const char *names[] = {"libmpi.so.40", "libmpi.so"};
    void *library = NULL;
    for (size_t i = 0; i < sizeof names / sizeof *names && !library; i++) library = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
    if (!library) {
        snprintf(error, errorLength, "cannot load Open MPI's libmpi.so.40 (Debian: libopenmpi3; make setup installs it): %s", dlerror());
        return -1;
    }
#define LOOK(field, name)                                                                 \
    do {                                                                                  \
        *(void **)&mpi.field = dlsym(library, name);                                      \
        if (!mpi.field) {                                                                 \
            snprintf(error, errorLength, "%s lacks %s: not Open MPI's ABI", "libmpi", name); \
            return -1;                                                                    \
        }                                                                                 \
    } while (0)
    LOOK(init_thread, "MPI_Init_thread");
    LOOK(initialized, "MPI_Initialized");
    LOOK(finalize, "MPI_Finalize");
    LOOK(abort, "MPI_Abort");
    LOOK(comm_rank, "MPI_Comm_rank");
    LOOK(comm_size, "MPI_Comm_size");
    LOOK(set_errhandler, "MPI_Comm_set_errhandler");
    LOOK(iallreduce, "MPI_Iallreduce");
    LOOK(isend, "MPI_Isend");
    LOOK(irecv, "MPI_Irecv");
    LOOK(ibarrier, "MPI_Ibarrier");
    LOOK(test, "MPI_Test");
    LOOK(get_library_version, "MPI_Get_library_version");
    LOOK(get_processor_name, "MPI_Get_processor_name");
    LOOK(error_string, "MPI_Error_string");
    // The predefined handles are the addresses of these objects (MPI_COMM_WORLD is
    // &ompi_mpi_comm_world in Open MPI's mpi.h, and so on).
    LOOK(comm_world, "ompi_mpi_comm_world");
    LOOK(errors_return, "ompi_mpi_errors_return");
    LOOK(op_sum, "ompi_mpi_op_sum");
    LOOK(type[CMPI_FLOAT], "ompi_mpi_float");
    LOOK(type[CMPI_DOUBLE], "ompi_mpi_double");
    LOOK(type[CMPI_INT64], "ompi_mpi_int64_t");
    LOOK(byte, "ompi_mpi_byte");
#undef LOOK
    mpi.loaded = 1;
    return 0;
}

int cmpi_init(int *rank, int *size) {
    if (!mpi.loaded) return CMPI_NOT_LOADED;
    int provided = 0, code = mpi.init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (code) return code;
    if ((code = mpi.set_errhandler(mpi.comm_world, mpi.errors_return))) return code;
    if ((code = mpi.comm_rank(mpi.comm_world, rank))) return code;
    return mpi.comm_size(mpi.comm_world, size);
}

int cmpi_finalize(void) { return mpi.loaded ? mpi.finalize() : CMPI_NOT_LOADED; }

void cmpi_abort(int code) {
    if (mpi.loaded) mpi.abort(mpi.comm_world, code);
    exit(code);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

// Polls `request` until it completes or the timeout passes. Polling, rather than a blocking
// call, is what lets a rank whose peer died give up instead of waiting for ever; the sleep
// grows to 1 ms so a long wait does not take a core from the ranks still computing.
static int wait_for(handle *request, double timeoutSeconds) {
    double deadline = now() + timeoutSeconds;
    long pause = 0;
    for (;;) {
        int done = 0, code = mpi.test(request, &done, NULL);
        if (code) return code;
        if (done) return CMPI_OK;
        if (now() > deadline) return CMPI_TIMEOUT;
        if (pause) {
            struct timespec t = {0, pause};
            nanosleep(&t, NULL);
        }
        pause = pause < 1000000 ? pause + 10000 : pause;
    }
}

static size_t element_size(int type) { return type == CMPI_FLOAT ? 4 : 8; }

int cmpi_allreduce_sum(void *buffer, int64_t count, int type, double timeoutSeconds) {
    if (!mpi.loaded) return CMPI_NOT_LOADED;
    // MPI counts are ints: longer buffers go in pieces.
    for (int64_t start = 0; start < count; start += INT_MAX / 2) {
        int piece = (int)(count - start < INT_MAX / 2 ? count - start : INT_MAX / 2);
        handle request;
        int code = mpi.iallreduce(MPI_IN_PLACE, (char *)buffer + start * element_size(type), piece, mpi.type[type], mpi.op_sum,
                                  mpi.comm_world, &request);
        if (code || (code = wait_for(&request, timeoutSeconds))) return code;
    }
    return CMPI_OK;
}

int cmpi_send(const void *bytes, int64_t count, int destination, int tag, double timeoutSeconds) {
    if (!mpi.loaded) return CMPI_NOT_LOADED;
    for (int64_t start = 0; start < count; start += INT_MAX / 2) {
        int piece = (int)(count - start < INT_MAX / 2 ? count - start : INT_MAX / 2);
        handle request;
        int code = mpi.isend((const char *)bytes + start, piece, mpi.byte, destination, tag, mpi.comm_world, &request);
        if (code || (code = wait_for(&request, timeoutSeconds))) return code;
    }
    return CMPI_OK;
}

int cmpi_receive(void *bytes, int64_t count, int source, int tag, double timeoutSeconds) {
    if (!mpi.loaded) return CMPI_NOT_LOADED;
    for (int64_t start = 0; start < count; start += INT_MAX / 2) {
        int piece = (int)(count - start < INT_MAX / 2 ? count - start : INT_MAX / 2);
        handle request;
        int code = mpi.irecv((char *)bytes + start, piece, mpi.byte, source, tag, mpi.comm_world, &request);
        if (code || (code = wait_for(&request, timeoutSeconds))) return code;
    }
    return CMPI_OK;
}

int cmpi_barrier(double timeoutSeconds) {
    if (!mpi.loaded) return CMPI_NOT_LOADED;
    handle request;
    int code = mpi.ibarrier(mpi.comm_world, &request);
    return code ? code : wait_for(&request, timeoutSeconds);
}

int cmpi_library_version(char *buffer, size_t length) {
    if (!mpi.loaded) return CMPI_NOT_LOADED;
    char text[8192];  // at least MPI_MAX_LIBRARY_VERSION_STRING (256 in Open MPI)
    int got = 0, code = mpi.get_library_version(text, &got);
    if (code) return code;
    snprintf(buffer, length, "%.*s", got, text);
    return CMPI_OK;
}

int cmpi_processor_name(char *buffer, size_t length) {
    if (!mpi.loaded) return CMPI_NOT_LOADED;
    char text[1024];  // at least MPI_MAX_PROCESSOR_NAME (256)
    int got = 0, code = mpi.get_processor_name(text, &got);
    if (code) return code;
    snprintf(buffer, length, "%.*s", got, text);
    return CMPI_OK;
}

void cmpi_error_string(int code, char *buffer, size_t length) {
    if (code == CMPI_TIMEOUT) { snprintf(buffer, length, "timed out"); return; }
    if (code == CMPI_NOT_LOADED || !mpi.loaded) { snprintf(buffer, length, "MPI is not loaded"); return; }
    char text[1024];  // at least MPI_MAX_ERROR_STRING (256)
    int got = 0;
    if (mpi.error_string(code, text, &got)) { snprintf(buffer, length, "MPI error %d", code); return; }
    snprintf(buffer, length, "%.*s", got, text);
}

static char sigterm_message[512];
static size_t sigterm_length;

static void on_sigterm(int signal) {
    (void)signal;
    ssize_t written = write(2, sigterm_message, sigterm_length);
    (void)written;
    _exit(1);
}

void cmpi_exit_on_sigterm(const char *message) {
    snprintf(sigterm_message, sizeof sigterm_message, "%s\n", message);
    sigterm_length = strlen(sigterm_message);
    signal(SIGTERM, on_sigterm);
}

// Open MPI, loaded with dlopen only when the process was started by mpirun, so a plain
// `textclf` neither needs libmpi nor pays for its start-up. The handles are Open MPI's
// (pointers to its predefined objects, looked up by name): this shim speaks the Open MPI ABI
// (libmpi.so.40, Open MPI 3 to 5), not MPICH's.
#ifndef CMPI_H
#define CMPI_H

#include <stddef.h>
#include <stdint.h>

enum cmpi_type { CMPI_FLOAT = 0, CMPI_DOUBLE = 1, CMPI_INT64 = 2 };

enum cmpi_status {
    CMPI_OK = 0,
    CMPI_TIMEOUT = -1,      // the operation did not complete within the timeout
    CMPI_NOT_LOADED = -2,   // cmpi_load has not succeeded
};

/// 1 when the environment says mpirun (or another PMIx launcher) started this process.
int cmpi_launched(void);
/// dlopen libmpi and look up what the shim calls; 0, or -1 with a reason in `error`.
int cmpi_load(char *error, size_t errorLength);
/// MPI_Init_thread (funnelled: only the thread that initialised calls MPI), errors returned
/// rather than fatal. 0 or the MPI error code.
int cmpi_init(int *rank, int *size);
int cmpi_finalize(void);
void cmpi_abort(int code);
/// Element-wise sum over all ranks, in place; `count` elements of `type`.
int cmpi_allreduce_sum(void *buffer, int64_t count, int type, double timeoutSeconds);
int cmpi_send(const void *bytes, int64_t count, int destination, int tag, double timeoutSeconds);
int cmpi_receive(void *bytes, int64_t count, int source, int tag, double timeoutSeconds);
int cmpi_barrier(double timeoutSeconds);
/// The library's version string and this host's processor name (NUL-terminated).
int cmpi_library_version(char *buffer, size_t length);
int cmpi_processor_name(char *buffer, size_t length);
/// The text of an MPI error code.
void cmpi_error_string(int code, char *buffer, size_t length);

/// On SIGTERM (how mpirun ends the other ranks when one fails), write `message` and a newline
/// to stderr and exit 1 at once.
void cmpi_exit_on_sigterm(const char *message);

#endif

/*
 * libflushprinter: Windows FlushPrinter semantics for CUPS filters and
 * ported printer drivers.
 *
 * A filter opens one fp_job_t for its job, sends job data with
 * fp_job_write(), and when a write fails because the job was canceled or the
 * backend went away, calls fp_job_flush() once to bring the printer back to a
 * known state and to keep the printer port quiet for a while.  See
 * flushprinter(3) and FlushPrinter(3).
 */

#ifndef FLUSHPRINTER_H
#define FLUSHPRINTER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result of every call: 0 on success, a negative fp_status_t on failure. */
typedef enum fp_status_e
{
  FP_OK = 0,
  FP_ERROR_INVALID_ARGUMENT = -1, /* NULL buffer with a non-zero length, bad value */
  FP_ERROR_NO_FAILED_WRITE = -2,  /* flush refused: no write on this job has failed */
  FP_ERROR_ALREADY_FLUSHED = -3,  /* flush refused: this job was flushed already */
  FP_ERROR_CANCELED = -4,         /* the job was canceled; no more job data is accepted */
  FP_ERROR_IO = -5,               /* an I/O error talking to the backend or device */
  FP_ERROR_TIMEOUT = -6,          /* the backend or device did not answer in time */
  FP_ERROR_NO_MEMORY = -7,        /* out of memory */
  FP_ERROR_SYNTAX = -8,           /* malformed reset specification or option */
  FP_ERROR_PROTOCOL = -9,         /* malformed side-channel message */
  FP_ERROR_NOT_SUPPORTED = -10,   /* the backend or device cannot do this */
  FP_ERROR_BACKEND_GONE = -11,    /* the backend closed its end of the pipe or side channel */
  FP_ERROR_BUSY = -12,            /* the device is held by another job */
  FP_ERROR_STATE = -13            /* the per-device state store is unusable */
} fp_status_t;

/* A sentence describing `status`, never NULL. */
const char *fp_strerror(int status);

/* How a flush reached the printer. */
typedef enum fp_flush_route_e
{
  FP_ROUTE_BACKEND = 0,    /* the flushprinter backend wrote it; counts are device-confirmed */
  FP_ROUTE_SOFT_RESET = 1  /* a stock backend: SOFT_RESET on the side channel, then the
                              buffer in band; `written` counts bytes handed to the pipe */
} fp_flush_route_t;

/* What fp_job_flush() did. */
typedef struct fp_flush_result_s
{
  uint64_t         written;      /* bytes of the caller's buffer the device accepted */
  uint64_t         padding;      /* bytes the backend sent first to complete a half-sent command */
  uint32_t         idle_ms;      /* quiet window the backend armed, in milliseconds */
  fp_flush_route_t route;        /* how the flush travelled */
} fp_flush_result_t;

/* Where a job's data and side channel are; zero-initialize for CUPS defaults. */
typedef struct fp_job_config_s
{
  int         data_fd;      /* job data goes here; 0 means standard output */
  int         side_fd;      /* CUPS side channel; 0 means 4 */
  const char *device_uri;   /* NULL means getenv("DEVICE_URI") */
  int         timeout_ms;   /* how long a flush may block; 0 means 30000 */
} fp_job_config_t;

/* One filter's connection to the backend for one job (opaque). */
typedef struct fp_job_s fp_job_t;

/* Open a job handle.  `config` may be NULL for the CUPS defaults. */
int fp_job_open(const fp_job_config_t *config, fp_job_t **job);

/* Close a job handle; does not close the descriptors it was given. */
void fp_job_close(fp_job_t *job);

/* Mark the job canceled; async-signal-safe, for a SIGTERM handler. */
void fp_job_cancel(fp_job_t *job);

/* Install a SIGTERM handler that calls fp_job_cancel() (one job per process). */
int fp_job_catch_sigterm(fp_job_t *job);

/* Non-zero once the job was canceled. */
int fp_job_canceled(const fp_job_t *job);

/*
 * Send job data.  `*written` (may be NULL) gets the bytes handed to the
 * backend.  Fails with FP_ERROR_CANCELED after a cancel and with
 * FP_ERROR_BACKEND_GONE when the backend closed the pipe; either failure
 * makes the job eligible for one fp_job_flush().
 */
int fp_job_write(fp_job_t *job, const void *buf, size_t len, size_t *written);

/*
 * FlushPrinter: send `len` bytes of `buf` (NULL only when `len` is 0) to
 * bring the printer out of a transient state, then keep the port idle for
 * `idle_ms` milliseconds (0: no quiet window).  Blocks until the backend has
 * written the buffer and armed the window, at most the job's timeout.  With a
 * stock backend (route FP_ROUTE_SOFT_RESET) it then also sleeps `idle_ms`
 * itself, so that the filter keeps the queue busy.  Allowed once per job, and
 * only after a write failed.
 */
int fp_job_flush(fp_job_t *job, const void *buf, size_t len, uint32_t idle_ms,
                 fp_flush_result_t *result);

/* A sentence about the last failure on this job, or "" when there was none. */
const char *fp_job_message(const fp_job_t *job);

/* Non-zero when DEVICE_URI (or `uri`) names a flushprinter backend. */
int fp_uri_is_flushprinter(const char *uri);

/*
 * Reset specifications: preset names ("escpos", "pcl", "pjl", "zpl", "escp",
 * "dymo", "epl", "none") joined by '+', "hex:1b40", or "text:" followed by
 * C-style text ("text:\e@", "text:\x1b", "text:\033"; "text:" alone is no
 * bytes).  Anything else is an error, so a misspelt preset or a stray
 * separator is never sent as letters.  On success
 * `*bytes` is malloc'ed (free() it).  On a syntax error `message` (if not
 * NULL) names the offending character and its offset.
 */
int fp_reset_parse(const char *spec, uint8_t **bytes, size_t *len,
                   char *message, size_t message_size);

#ifdef __cplusplus
}
#endif

#endif /* FLUSHPRINTER_H */

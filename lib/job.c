/*
 * The filter side of FlushPrinter: a job handle that hands job data to the
 * backend, notices cancellation, and sends at most one flush, either to
 * flushprinter's own backend over the side channel (the private FLUSH
 * command) or, for any other backend, as a SOFT_RESET request followed by
 * the buffer in band and a quiet window kept by this process.
 *
 * Job data is written with the descriptor made non-blocking for the length
 * of the call and SIGTERM/SIGPIPE blocked except while waiting in ppoll(),
 * so a cancel is seen exactly between two writes (no race between checking
 * the flag and blocking) and a closed pipe reports EPIPE instead of killing
 * the process.
 */

#include "job-private.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "common.h"
#include "sidechannel.h"
#include "wait.h"

#define JOB_DEFAULT_SIDE_FD    4
#define JOB_DEFAULT_TIMEOUT_MS 30000
#define JOB_WAIT_SLICE_MS      250 /* longest wait before looking at the cancel flag again */

/* FLUSH request and reply sizes (sidechannel.h). */
#define FLUSH_BEGIN_SIZE     9  /* op, idle_ms, total length */
#define FLUSH_REPLY_MIN      1  /* status byte */
#define FLUSH_END_REPLY_SIZE 21 /* status, written, padding, idle_ms */

/* Signal and descriptor state changed for the length of one send. */
typedef struct send_scope_s
{
  sigset_t saved_mask;   /* the caller's signal mask */
  sigset_t wait_mask;    /* the caller's mask plus SIGPIPE: in force while waiting */
  bool     pipe_pending; /* SIGPIPE was pending before the send began */
  int      saved_flags;  /* descriptor flags to restore, -1 if unchanged */
} send_scope_t;

/* Side-channel buffers for one flush (too large for the stack). */
typedef struct flush_link_s
{
  fp_sc_reader_t  reader;
  fp_sc_message_t reply;
  uint8_t         request[FP_SC_MAX_DATA];
  int64_t         deadline; /* monotonic ms bounding the whole flush */
} flush_link_t;

/* The job whose fp_job_cancel() the SIGTERM handler calls. */
static _Atomic(fp_job_t *) sigterm_job;

/* Record a sentence about the last failure on `job` and return `status`. */
static int job_fail(fp_job_t *job, int status, const char *format, ...)
  __attribute__((format(printf, 3, 4)));

/* Record a sentence about the last failure on `job` and return `status`. */
static int job_fail(fp_job_t *job, int status, const char *format, ...)
{
  va_list ap;

  va_start(ap, format);
  vsnprintf(job->message, sizeof(job->message), format, ap);
  va_end(ap);
  return status;
}

/* Non-zero when `uri` (not NULL) uses one of flushprinter's schemes. */
static int uri_is_ours(const char *uri)
{
  return uri && !strncasecmp(uri, FP_URI_PREFIX, FP_URI_PREFIX_LEN)
         && uri[FP_URI_PREFIX_LEN] != '\0';
}

/* Non-zero when DEVICE_URI (or `uri`) names a flushprinter backend. */
int fp_uri_is_flushprinter(const char *uri)
{
  return uri_is_ours(uri ? uri : getenv("DEVICE_URI"));
}

/* Open a job handle.  `config` may be NULL for the CUPS defaults. */
int fp_job_open(const fp_job_config_t *config, fp_job_t **job)
{
  static const fp_job_config_t defaults;
  const char *uri;
  fp_job_t *opened;

  if (!job)
    return FP_ERROR_INVALID_ARGUMENT;
  *job = NULL;
  if (!config)
    config = &defaults;
  if (config->data_fd < 0 || config->side_fd < 0 || config->timeout_ms < 0)
    return FP_ERROR_INVALID_ARGUMENT;

  if (!(opened = calloc(1, sizeof(*opened))))
    return FP_ERROR_NO_MEMORY;
  opened->data_fd = config->data_fd ? config->data_fd : STDOUT_FILENO;
  opened->side_fd = config->side_fd ? config->side_fd : JOB_DEFAULT_SIDE_FD;
  opened->timeout_ms = config->timeout_ms ? config->timeout_ms : JOB_DEFAULT_TIMEOUT_MS;
  uri = config->device_uri ? config->device_uri : getenv("DEVICE_URI");
  if (uri && !(opened->device_uri = strdup(uri)))
  {
    free(opened);
    return FP_ERROR_NO_MEMORY;
  }
  *job = opened;
  return FP_OK;
}

/* Close a job handle; does not close the descriptors it was given. */
void fp_job_close(fp_job_t *job)
{
  fp_job_t *expected = job;

  if (!job)
    return;
  if (job->catches_sigterm)
  {
    sigaction(SIGTERM, &job->old_sigterm, NULL);
    atomic_compare_exchange_strong(&sigterm_job, &expected, NULL);
  }
  free(job->device_uri);
  free(job);
}

/* Mark the job canceled; async-signal-safe, for a SIGTERM handler. */
void fp_job_cancel(fp_job_t *job)
{
  if (job)
    job->canceled = 1;
}

/* SIGTERM handler: cancel the job registered by fp_job_catch_sigterm(). */
static void sigterm_handler(int sig)
{
  (void)sig;
  fp_job_cancel(atomic_load(&sigterm_job));
}

/* Install a SIGTERM handler that calls fp_job_cancel() (one job per process). */
int fp_job_catch_sigterm(fp_job_t *job)
{
  struct sigaction action, old;
  fp_job_t *previous;

  if (!job)
    return FP_ERROR_INVALID_ARGUMENT;

  memset(&action, 0, sizeof(action));
  action.sa_handler = sigterm_handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0; /* no SA_RESTART: a blocked wait returns at once */
  if (sigaction(SIGTERM, &action, &old) != 0)
    return job_fail(job, FP_ERROR_IO, "cannot catch SIGTERM: %s", strerror(errno));

  previous = atomic_exchange(&sigterm_job, job);
  if (previous && previous != job)
  {
    /* Take over the action to restore from the job that held the handler. */
    job->old_sigterm = previous->old_sigterm;
    previous->catches_sigterm = false;
  }
  else if (!previous)
    job->old_sigterm = old;
  job->catches_sigterm = true;
  return FP_OK;
}

/* Non-zero once the job was canceled. */
int fp_job_canceled(const fp_job_t *job)
{
  return job ? job->canceled != 0 : 0;
}

/* A sentence about the last failure on this job, or "" when there was none. */
const char *fp_job_message(const fp_job_t *job)
{
  return job ? job->message : "";
}

/* Make `fd` non-blocking; returns the flags to restore, or -1 when nothing changed. */
static int make_nonblocking(int fd)
{
  int flags = fcntl(fd, F_GETFL);

  if (flags < 0 || (flags & O_NONBLOCK) || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
    return -1;
  return flags;
}

/* Undo make_nonblocking(). */
static void restore_flags(int fd, int flags)
{
  if (flags >= 0)
    fcntl(fd, F_SETFL, flags);
}

/* Block SIGTERM and SIGPIPE and make `fd` non-blocking for one send. */
static void send_scope_enter(send_scope_t *scope, int fd)
{
  sigset_t block, pending;

  sigemptyset(&block);
  sigaddset(&block, SIGPIPE);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &scope->saved_mask);
  scope->wait_mask = scope->saved_mask;
  sigaddset(&scope->wait_mask, SIGPIPE);
  scope->pipe_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
  scope->saved_flags = make_nonblocking(fd);
}

/* Undo send_scope_enter(), discarding a SIGPIPE that the send raised. */
static void send_scope_leave(const send_scope_t *scope, int fd)
{
  static const struct timespec no_wait;
  sigset_t pending, pipe_only;

  restore_flags(fd, scope->saved_flags);
  if (!scope->pipe_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1)
  {
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigtimedwait(&pipe_only, NULL, &no_wait);
  }
  pthread_sigmask(SIG_SETMASK, &scope->saved_mask, NULL);
}

/*
 * Wait until `fd` takes data, a signal arrives or a slice of time passes,
 * with `mask` in force meanwhile.  FP_ERROR_TIMEOUT once `deadline`
 * (monotonic ms, 0 for none) has passed.
 */
static int wait_writable(int fd, int64_t deadline, const sigset_t *mask)
{
  int wait_ms = JOB_WAIT_SLICE_MS;

  if (deadline)
  {
    int left = fp_ms_until(deadline);

    if (left == 0)
      return FP_ERROR_TIMEOUT;
    if (left < wait_ms)
      wait_ms = left;
  }
  return fp_wait_once(fd, POLLOUT, -1, wait_ms, mask) == FP_WAIT_FAILED ? FP_ERROR_IO : FP_OK;
}

/*
 * Hand `len` bytes to the job's data descriptor.  Stops with
 * FP_ERROR_CANCELED once the job is canceled (when `stop_on_cancel`) and
 * with FP_ERROR_TIMEOUT when `deadline` (0: none) passes.  `*sent` gets the
 * bytes handed over in every case.
 */
static int send_data(fp_job_t *job, const uint8_t *buf, size_t len, bool stop_on_cancel,
                     int64_t deadline, size_t *sent)
{
  send_scope_t scope;
  size_t done = 0;
  int status = FP_OK;

  send_scope_enter(&scope, job->data_fd);
  for (;;)
  {
    ssize_t n;

    if (stop_on_cancel && job->canceled)
    {
      status = FP_ERROR_CANCELED;
      break;
    }
    if (done == len)
      break;

    n = write(job->data_fd, buf + done, len - done);
    if (n > 0)
    {
      done += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EPIPE)
    {
      status = FP_ERROR_BACKEND_GONE;
      break;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    {
      status = FP_ERROR_IO;
      break;
    }
    if ((status = wait_writable(job->data_fd, deadline, &scope.wait_mask)) != FP_OK)
      break;
  }
  send_scope_leave(&scope, job->data_fd);
  *sent = done;
  return status;
}

/* Send job data; see flushprinter.h. */
int fp_job_write(fp_job_t *job, const void *buf, size_t len, size_t *written)
{
  size_t sent = 0;
  int status;

  if (written)
    *written = 0;
  if (!job)
    return FP_ERROR_INVALID_ARGUMENT;
  if (!buf && len)
    return job_fail(job, FP_ERROR_INVALID_ARGUMENT, "write refused: NULL buffer of %zu bytes",
                    len);

  status = send_data(job, buf, len, true, 0, &sent);
  if (written)
    *written = sent;
  if (status != FP_OK)
  {
    job->write_failed = true;
    job_fail(job, status, "write stopped after %zu of %zu bytes: %s", sent, len,
             fp_strerror(status));
  }
  return status;
}

/* The fp_status_t a FLUSH reply carries, or a protocol error if shorter than `need`. */
static int flush_reply_status(const fp_sc_message_t *reply, size_t need)
{
  if (reply->len == 0)
    return reply->status == FP_SC_STATUS_NOT_IMPLEMENTED ||
                   reply->status == FP_SC_STATUS_BAD_MESSAGE
             ? FP_ERROR_NOT_SUPPORTED
             : FP_ERROR_PROTOCOL;
  if (reply->data[0] != 0)
    return -(int)reply->data[0];
  return reply->len < need ? FP_ERROR_PROTOCOL : FP_OK;
}

/* Send the `len`-byte FLUSH request in `link` and check its reply (at least `need` bytes). */
static int flush_request(fp_job_t *job, flush_link_t *link, size_t len, size_t need)
{
  int left = fp_ms_until(link->deadline);
  int status;

  if (left == 0)
    return FP_ERROR_TIMEOUT;
  status = fp_sc_request(job->side_fd, &link->reader, FP_SC_CMD_FLUSH, link->request, len,
                         &link->reply, left);
  return status != FP_OK ? status : flush_reply_status(&link->reply, need);
}

/* Route 1: the FLUSH command to flushprinter's backend (BEGIN, DATA..., END). */
static int flush_via_backend(fp_job_t *job, flush_link_t *link, const uint8_t *buf, size_t len,
                             uint32_t idle_ms, fp_flush_result_t *result)
{
  const uint8_t *reply = link->reply.data;
  size_t offset = 0;
  int status;

  link->request[0] = FP_SC_FLUSH_BEGIN;
  fp_put_be32(link->request + 1, idle_ms);
  fp_put_be32(link->request + 5, (uint32_t)len);
  if ((status = flush_request(job, link, FLUSH_BEGIN_SIZE, FLUSH_REPLY_MIN)) != FP_OK)
    return job_fail(job, status, "flush via the backend failed at BEGIN: %s",
                    fp_strerror(status));

  while (offset < len)
  {
    size_t chunk = len - offset < FP_SC_FLUSH_CHUNK ? len - offset : FP_SC_FLUSH_CHUNK;

    link->request[0] = FP_SC_FLUSH_DATA;
    memcpy(link->request + 1, buf + offset, chunk);
    if ((status = flush_request(job, link, 1 + chunk, FLUSH_REPLY_MIN)) != FP_OK)
      return job_fail(job, status, "flush via the backend failed after %zu of %zu bytes: %s",
                      offset, len, fp_strerror(status));
    offset += chunk;
  }

  link->request[0] = FP_SC_FLUSH_END;
  if ((status = flush_request(job, link, 1, FLUSH_END_REPLY_SIZE)) != FP_OK)
    return job_fail(job, status, "flush via the backend failed at END: %s", fp_strerror(status));

  result->written = fp_get_be64(reply + 1);
  result->padding = fp_get_be64(reply + 9);
  result->idle_ms = fp_get_be32(reply + 17);
  result->route = FP_ROUTE_BACKEND;
  return FP_OK;
}

/* Sleep `ms` milliseconds on the monotonic clock, resuming after signals. */
static void sleep_ms(uint32_t ms)
{
  struct timespec until;

  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += (time_t)(ms / 1000);
  until.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L)
  {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
    ;
}

/* Describe in `note` how a stock backend answered SOFT_RESET ("" when it did). */
static void soft_reset_note(int status, const fp_sc_message_t *reply, char *note, size_t size)
{
  if (status != FP_OK)
    snprintf(note, size, "; SOFT_RESET failed: %s", fp_strerror(status));
  else if (reply->status == FP_SC_STATUS_NOT_IMPLEMENTED)
    snprintf(note, size, "; the backend does not implement SOFT_RESET");
  else if (reply->status != FP_SC_STATUS_OK)
    snprintf(note, size, "; the backend answered SOFT_RESET with status %u", reply->status);
  else
    note[0] = '\0';
}

/*
 * Route 2, any other backend: SOFT_RESET on the side channel (given half the
 * time budget, so the buffer still has time), the buffer in band, then the
 * quiet window spent alive in this process so that cupsd starts no job.
 */
static int flush_via_soft_reset(fp_job_t *job, flush_link_t *link, const uint8_t *buf,
                                size_t len, uint32_t idle_ms, fp_flush_result_t *result)
{
  char note[128];
  int reset_ms = fp_ms_until(link->deadline) / 2;
  size_t sent = 0;
  int status;

  status = fp_sc_request(job->side_fd, &link->reader, FP_SC_CMD_SOFT_RESET, NULL, 0, &link->reply,
                         reset_ms > 0 ? reset_ms : 1);
  soft_reset_note(status, &link->reply, note, sizeof(note));

  result->route = FP_ROUTE_SOFT_RESET;
  status = send_data(job, buf, len, false, link->deadline, &sent);
  result->written = sent;
  if (status != FP_OK)
    return job_fail(job, status, "flush in band failed after %zu of %zu bytes: %s%s", sent, len,
                    fp_strerror(status), note);

  sleep_ms(idle_ms);
  result->idle_ms = idle_ms;
  if (note[0])
    job_fail(job, FP_OK, "flushed in band%s", note);
  return FP_OK;
}

/* FlushPrinter; see flushprinter.h. */
int fp_job_flush(fp_job_t *job, const void *buf, size_t len, uint32_t idle_ms,
                 fp_flush_result_t *result)
{
  fp_flush_result_t ignored;
  flush_link_t *link;
  int side_flags, status;

  if (!result)
    result = &ignored;
  memset(result, 0, sizeof(*result));
  if (!job)
    return FP_ERROR_INVALID_ARGUMENT;
  if (!buf && len)
    return job_fail(job, FP_ERROR_INVALID_ARGUMENT, "flush refused: NULL buffer of %zu bytes",
                    len);
  if (len > UINT32_MAX)
    return job_fail(job, FP_ERROR_INVALID_ARGUMENT, "flush refused: buffer of %zu bytes too large",
                    len);
  if (job->flushed)
    return job_fail(job, FP_ERROR_ALREADY_FLUSHED, "flush refused: this job was flushed already");
  if (!job->write_failed)
    return job_fail(job, FP_ERROR_NO_FAILED_WRITE,
                    "flush refused: no write on this job has failed");
  if (!(link = calloc(1, sizeof(*link))))
    return job_fail(job, FP_ERROR_NO_MEMORY, "flush refused: out of memory");

  job->flushed = true;
  link->deadline = fp_monotonic_ms() + job->timeout_ms;
  side_flags = make_nonblocking(job->side_fd);
  if (uri_is_ours(job->device_uri))
    status = flush_via_backend(job, link, buf, len, idle_ms, result);
  else
    status = flush_via_soft_reset(job, link, buf, len, idle_ms, result);
  restore_flags(job->side_fd, side_flags);
  free(link);
  return status;
}

/*
 * The life of one job on one device, top to bottom (session.h):
 *
 *   acquire the device (its lock and journal)
 *   wait out a quiet window an earlier job armed
 *   connect
 *   recover a device an earlier job left mid-command
 *   detect the job's language, before its first byte
 *   stream
 *   end: done (complete a truncated command, wait until the device has it),
 *        canceled (discard, a filter's flush or the queue's, hold quiet), or
 *        failed (reconnect, flush, leave the job to the queue's policy).
 *
 * Each ending is one short function below; the pieces they use live in
 * device.c (the device) and stream.c (the data path).  The side channel is
 * served through fp_serve_ops_t at the end of this file.
 */

#include "session.h"

#include <cups/backend.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "common.h"
#include "detect.h"
#include "flushprinter.h"
#include "log.h"
#include "sidechannel.h"

#define FILTER_FLUSH_MAX (30 * 1000) /* ms a begun filter flush may take to arrive whole */
#define CANCEL_WAIT_MAX  (20 * 1000) /* ms a canceled job waits for paper: inside cupsd's 30 s
                                        JobKillDelay, with room left for the flush */

static const fp_serve_ops_t serve_ops;

/* Non-zero once SIGTERM arrived. */
bool fp_session_canceled(const fp_session_t *s)
{
  return *s->job.canceled != 0;
}

/* ---------------------------------------------------------------- before the first byte */

/* Detection's view of the buffered job data. */
static const uint8_t *buffered(void *ctx, size_t *len)
{
  fp_session_t *s = ctx;

  *len = s->buf_len - s->buf_off;
  return s->buf + s->buf_off;
}

/* Detection's way to read more of the job. */
static bool read_more(void *ctx, int wait_ms)
{
  return fp_stream_read_more(ctx, wait_ms);
}

/* Decide the job's tracker and reset from what is known before its first byte goes out. */
static void detect_language(fp_session_t *s)
{
  char              device_id[1024];
  fp_job_language_t chosen;
  fp_detect_job_t   in = { .options = s->opts, .data = buffered, .more = read_more, .ctx = s };

  if (s->opts->language_auto && s->transport->device_id
      && s->transport->device_id(s->conn, device_id, sizeof(device_id)) == FP_OK)
    in.device_id = device_id;
  fp_detect_job_language(&in, &chosen);
  s->detected = true;
  fp_tracker_init(&s->tracker, chosen.language);
  s->banding = s->opts->band_rows > 0 && chosen.language == &fp_language_escpos;
  fp_band_init(&s->band, s->banding ? (unsigned)s->opts->band_rows : 0);
  if (chosen.reset)
  {
    s->reset = s->reset_owned = chosen.reset;
    s->reset_len = chosen.reset_len;
  }
}

/* ---------------------------------------------------------------- the endings */

/* Take note of the SIGTERMs so far: from now on only a further one stops a flush. */
static void acknowledge_cancel(fp_session_t *s)
{
  char drain[64];

  while (read(s->job.cancel_fd, drain, sizeof(drain)) > 0)
    continue;
}

/*
 * After a cancel, wait up to `timeout_ms` for the side channel or the filter
 * pipe: answer the one, discard what arrives on the other.  SIGTERM is not
 * watched: once a job is canceled, further signals only stop a flush.
 */
static void serve_canceled(fp_session_t *s, int timeout_ms)
{
  struct pollfd pfd[2] = { { .fd = fp_server_fd(s->server), .events = POLLIN },
                           { .fd = s->job.from_filters && !s->input_eof ? s->job.input_fd : -1,
                             .events = POLLIN } };

  if (poll(pfd, 2, timeout_ms) > 0)
  {
    if (pfd[0].revents)
      fp_server_serve(s->server);
    if (pfd[1].revents)
      fp_stream_discard_input(s);
  }
}

/* Stay off the device until the quiet window this job armed ends. */
static void hold_quiet(fp_session_t *s)
{
  int64_t left = s->quiet_until - fp_realtime_ms();

  if (left <= 0)
    return;
  fp_log("INFO", "Printer port quiet for %" PRId64 " ms after a canceled job", left);
  while ((left = s->quiet_until - fp_realtime_ms()) > 0)
    serve_canceled(s, left > INT32_MAX ? INT32_MAX : (int)left);
}

/* After SIGTERM: give the filters a grace period to send their own flush request. */
static void await_filter_flush(fp_session_t *s)
{
  int64_t grace_end = fp_monotonic_ms() + s->opts->grace_ms;

  if (!s->job.from_filters || fp_server_fd(s->server) < 0)
    return;
  fp_log("DEBUG", "flushprinter: waiting up to %d ms for a filter's flush request",
         s->opts->grace_ms);
  while (!fp_server_filter_flushed(s->server) && fp_server_fd(s->server) >= 0)
  {
    int64_t end = fp_server_flush_open(s->server) ? grace_end + FILTER_FLUSH_MAX : grace_end;

    if (fp_ms_until(end) == 0)
      break;
    serve_canceled(s, fp_ms_until(end));
  }
}

/*
 * Where verify= says so, after the cancel's flush: the printer is asked to confirm
 * it is at command level, and the quiet window starts again after the
 * question (the port stays quiet for idle= after the backend's last byte).
 * Unconfirmed, the journal marks the device dirty with nothing owed, so the
 * next job resets it before its first byte -- the reading that fails safe
 * when the printer's state is not known.
 */
static void verify_flush(fp_session_t *s)
{
  bool confirmed;

  if (!fp_live_verifies(s))
    return;
  confirmed = fp_live_verify(s, "the cancel's flush");
  if (s->quiet_until)
    s->quiet_until = s->state.quiet_until = fp_realtime_ms() + s->opts->idle_ms;
  if (!confirmed)
  {
    fp_log("WARNING", "The next job resets the printer before its first byte");
    s->state.dirty = true;
    memset(&s->state.owed, 0, sizeof(s->state.owed));
  }
  fp_device_journal(s, true);
}

/*
 * A cancel during a paper-out (or open cover, jam): the flush waits for the
 * printer, twice timeout= and never beyond CANCEL_WAIT_MAX.  If it does not
 * come back, the half-sent command stays owed in the journal and the next
 * job pays it before its first byte; false then.
 */
static bool await_printer(fp_session_t *s)
{
  int bound = s->opts->timeout_ms < CANCEL_WAIT_MAX / 2 ? 2 * s->opts->timeout_ms : CANCEL_WAIT_MAX;

  if (fp_live_await_ready(s, bound))
    return true;
  fp_device_journal_debt(s);
  fp_log("WARNING", "The printer did not become ready within %d ms of the cancel; what its "
         "half-sent command owes is recorded and the next job pays it first", bound);
  return false;
}

/* The cancel path: stop, discard, flush (the filter's or the queue's), hold quiet. */
static int finish_canceled(fp_session_t *s)
{
  acknowledge_cancel(s); /* before saying so: a SIGTERM after this line is a further one */
  fp_log("INFO", "Job canceled after %" PRIu64 " bytes reached the printer", s->accepted);
  fp_stream_discard_input(s);
  await_filter_flush(s);
  if (!fp_server_filter_flushed(s->server))
  {
    if (!s->journaled)
    {
      fp_log("DEBUG", "flushprinter: no job data was sent; nothing to flush");
      return CUPS_BACKEND_OK;
    }
    if (!await_printer(s))
    {
      fp_device_disconnect(s);
      return CUPS_BACKEND_OK;
    }
    fp_device_flush(s, s->reset, s->reset_len, s->opts->idle_ms, NULL);
  }
  if (s->conn && !s->state.dirty)
    verify_flush(s);
  fp_device_disconnect(s);
  hold_quiet(s);
  return CUPS_BACKEND_OK;
}

/* The failure path: reconnect, flush, leave the job to the queue's error policy. */
static int finish_failed(fp_session_t *s, int failure)
{
  s->failed = true;
  fp_device_note_in_doubt(s);
  fp_log("STATE", "+offline-report");
  fp_log("ERROR", "Printer failed after %" PRIu64 " bytes of the job (%s); the job will be "
         "retried according to the queue's error policy", s->accepted, fp_strerror(failure));
  if (fp_device_reconnect(s) == FP_OK)
    fp_device_flush(s, s->reset, s->reset_len, s->opts->idle_ms, NULL);
  else
    fp_log("ERROR", "Printer still unreachable; the next job flushes it first");
  fp_device_disconnect(s);
  return CUPS_BACKEND_FAILED;
}

/* The normal end: complete a truncated command, wait until the device has everything. */
static int finish_done(fp_session_t *s)
{
  fp_completion_t owed = { 0 };
  int             status;

  if (fp_tracker_completion(&s->tracker, &owed))
  {
    fp_log("WARNING", "The job ended in the middle of a command (%" PRIu64 " bytes owed); "
           "resetting the printer", owed.implausible ? owed.fill_count : fp_completion_size(&owed));
    status = fp_device_flush(s, s->reset, s->reset_len, 0, NULL);
    if (status == FP_ERROR_CANCELED)
    {
      fp_device_disconnect(s); /* canceled at its very end: the journal keeps the rest owed */
      return CUPS_BACKEND_OK;
    }
    if (status)
      return finish_failed(s, FP_ERROR_IO);
  }
  if (fp_band_rows_short(&s->band))
    fp_log("WARNING", "The job ended inside a raster image: %" PRIu64 " rows it announced were "
           "never sent, and are not printed", fp_band_rows_short(&s->band));
  if ((status = fp_live_drain(s, s->opts->timeout_ms)) == FP_OK)
    status = fp_live_confirm(s);
  if (status == FP_ERROR_CANCELED)
    return finish_canceled(s); /* canceled while the printer waited for a person */
  if (status && status != FP_ERROR_UNCONFIRMED)
    return finish_failed(s, status);
  s->state.dirty = false; /* unconfirmed too: the printer is between commands */
  s->journaled = false;
  fp_device_journal_progress(s, true);
  fp_log("INFO", "Job sent: %" PRIu64 " bytes", s->accepted);
  fp_device_disconnect(s);
  /* Not known to have printed: the queue's error policy decides. */
  return status ? CUPS_BACKEND_FAILED : CUPS_BACKEND_OK;
}

/* The end that `stream` reached, once the write in flight is settled. */
static int finish(fp_session_t *s, fp_stream_end_t end, int failure)
{
  int settled = fp_stream_settle(s);

  if (end != FP_STREAM_CANCELED && settled && !failure)
  {
    failure = settled;
    end = FP_STREAM_FAILED;
  }
  switch (end)
  {
    case FP_STREAM_DONE: return finish_done(s);
    case FP_STREAM_CANCELED: return finish_canceled(s);
    default: return finish_failed(s, failure);
  }
}

/* ---------------------------------------------------------------- the life */

/* Release everything the job holds; withdraw a state reason left set. */
static void session_free(fp_session_t *s)
{
  if (s->connecting)
    fp_log("STATE", "-connecting-to-device");
  fp_live_finish(&s->live);
  fp_device_disconnect(s);
  if (s->store)
    fp_store_close(s->store);
  fp_server_free(s->server);
  free(s->reset_owned);
  free(s);
}

/* The job on a device acquired, quiet and connected: recover, detect, stream, end. */
static int print(fp_session_t *s)
{
  int             status, failure = FP_OK;
  fp_stream_end_t end;

  if ((status = fp_device_recover(s)) == FP_ERROR_CANCELED)
  {
    fp_log("INFO", "Job canceled before it reached the printer");
    return CUPS_BACKEND_OK;
  }
  if (status)
    return finish_failed(s, FP_ERROR_IO);
  if ((end = fp_stream_run(s, true, &failure)) == FP_STREAM_DATA)
  {
    if (!s->detected)
      detect_language(s);
    fp_live_begin(s);
    end = fp_stream_run(s, false, &failure);
  }
  return finish(s, end, failure);
}

/* Run the job; returns the backend's exit code. */
int fp_session_run(const fp_options_t *opts, const fp_transport_t *transport,
                   const fp_job_info_t *job)
{
  fp_session_t *s = calloc(1, sizeof(*s));
  int           status, rc;

  if (!s || !(s->server = fp_server_new(job->side_fd, &serve_ops, s)))
  {
    fp_log("ERROR", "Out of memory");
    if (s)
      session_free(s);
    return CUPS_BACKEND_FAILED;
  }
  s->opts = opts;
  s->transport = transport;
  s->job = *job;
  s->reset = opts->reset;
  s->reset_len = opts->reset_len;
  fp_tracker_init(&s->tracker, opts->language);
  if (s->job.from_filters)
    fcntl(s->job.input_fd, F_SETFL, fcntl(s->job.input_fd, F_GETFL) | O_NONBLOCK);

  if ((status = fp_device_acquire(s)) || (status = fp_device_wait_quiet(s))
      || (status = fp_device_connect(s, opts->contimeout_ms, job->cancel_fd)))
  {
    /* Nothing of this job reached the device: a cancel needs no flush. */
    rc = status == FP_ERROR_CANCELED ? CUPS_BACKEND_OK : CUPS_BACKEND_FAILED;
    if (status == FP_ERROR_CANCELED)
      fp_log("INFO", "Job canceled before it reached the printer");
  }
  else
    rc = print(s);
  session_free(s);
  return rc;
}

/* ---------------------------------------------------------------- the side channel's view */

/* true once the job is canceled; with `wait`, a SIGTERM on its way gets the grace period. */
static bool op_canceled(void *job, bool wait)
{
  fp_session_t *s = job;

  if (wait && !fp_session_canceled(s))
    fp_wait_fd(-1, 0, s->job.cancel_fd, s->opts->grace_ms);
  return fp_session_canceled(s);
}

/* true once a canceled job's flush is done and its quiet window runs. */
static bool op_quiet(void *job)
{
  fp_session_t *s = job;

  return fp_session_canceled(s) && s->quiet_until > fp_realtime_ms();
}

/* DRAIN_OUTPUT: data may go out now, so its language is decided first. */
static int op_drain_output(void *job)
{
  fp_session_t *s = job;

  if (!s->detected)
  {
    fp_stream_read_more(s, 0);
    detect_language(s);
  }
  return fp_stream_drain_output(s);
}

/* A filter's FLUSH or a SOFT_RESET: drop pending data, then flush. */
static int op_flush(void *job, const uint8_t *reset, size_t reset_len, int idle_ms,
                    fp_flush_report_t *report)
{
  fp_session_t *s = job;

  fp_stream_discard_input(s);
  if (!reset)
  {
    reset = s->reset;
    reset_len = s->reset_len;
  }
  return fp_device_flush(s, reset, reset_len, idle_ms < 0 ? s->opts->idle_ms : idle_ms, report);
}

/* After a SOFT_RESET: quiet before more job data; a cancel holds the rest itself. */
static void op_hold_quiet(void *job)
{
  fp_session_t *s = job;

  fp_sleep_until(s->quiet_until, s->job.cancel_fd);
}

/* GET_BIDI. */
static bool op_bidirectional(void *job)
{
  fp_session_t *s = job;

  return fp_transport_bidirectional(s->transport, s->conn);
}

/* GET_DEVICE_ID, asked of the device. */
static int op_device_id(void *job, char *buf, size_t size)
{
  fp_session_t *s = job;

  if (!s->conn || !s->transport->device_id)
    return FP_ERROR_NOT_SUPPORTED;
  return s->transport->device_id(s->conn, buf, size);
}

/* GET_STATE: online/busy/error bits as CUPS_SC_STATE_*. */
static uint8_t op_state(void *job)
{
  fp_session_t *s = job;
  uint8_t       bits = s->conn ? FP_SC_STATE_ONLINE : 0, device = 0;

  if (s->conn && s->transport->device_state && s->transport->device_state(s->conn, &device) == FP_OK)
    bits = device; /* the printer's own word: online or not, paper, error */
  if (fp_stream_pending(s))
    bits |= FP_SC_STATE_BUSY;
  if (s->failed || s->connecting)
    bits |= FP_SC_STATE_ERROR;
  return fp_live_sc_state(&s->live, bits);
}

/* GET_CONNECTED. */
static bool op_connected(void *job)
{
  return ((fp_session_t *)job)->conn != NULL;
}

static const fp_serve_ops_t serve_ops = {
  .canceled = op_canceled,
  .quiet = op_quiet,
  .drain_output = op_drain_output,
  .flush = op_flush,
  .hold_quiet = op_hold_quiet,
  .bidirectional = op_bidirectional,
  .device_id = op_device_id,
  .state = op_state,
  .connected = op_connected,
};

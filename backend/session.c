/*
 * One job on one device (see session.h and DESIGN.md's cancel timeline).
 */

#include "session.h"

#include <cups/backend.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "common.h"
#include "detect.h"
#include "flush.h"
#include "flushprinter.h"
#include "log.h"
#include "serve.h"
#include "status.h"

#define QUIET_SANITY_MS   FP_WAIT_LIMIT_MS /* a deadline further away than this is a clock jump */
#define FILTER_FLUSH_MAX  (30 * 1000)   /* ms a begun filter flush may take to arrive whole */
#define RECONNECT_WAIT_MS 1000

/* How the streaming phase ended. */
typedef enum stream_end_e
{
  STREAM_DONE,
  STREAM_CANCELED,
  STREAM_FAILED
} stream_end_t;

/* Non-zero once SIGTERM arrived. */
bool fp_session_canceled(const fp_session_t *s)
{
  return *s->job.canceled != 0;
}

/* Sleep until the wall-clock `deadline` (ms); false as soon as `cancel_fd` (if >= 0) is readable. */
bool fp_session_sleep_until(int64_t deadline, int cancel_fd)
{
  int64_t left;

  while ((left = deadline - fp_realtime_ms()) > 0)
    if (fp_wait_fd(-1, 0, cancel_fd, left > INT32_MAX ? INT32_MAX : (int)left) < 0)
      return false;
  return true;
}

/* Write the journal record; on failure say so once, printing goes on (no store: said already). */
static void journal(fp_session_t *s, bool durable)
{
  static bool warned;

  if (s->store && fp_store_write(s->store, &s->state, durable) && !warned)
  {
    warned = true;
    fp_log("WARNING", "Cannot update the device state file %s: %s; printing without crash "
           "recovery or a recorded quiet window", fp_store_path(s->store), strerror(errno));
  }
}

/* Record what the device accepted of this job and what its half-sent command owes. */
static void journal_progress(fp_session_t *s, bool durable)
{
  s->state.accepted = s->accepted;
  memset(&s->state.owed, 0, sizeof(s->state.owed));
  fp_tracker_completion(&s->tracker, &s->state.owed);
  journal(s, durable);
}

/* Open the state store and take the device lock, waiting while another job holds it. */
static int acquire_device(fp_session_t *s)
{
  char dir[1024], why[1400];
  int  status;

  if ((status = fp_store_default_dir(dir, sizeof(dir)))
      || (status = fp_store_open_why(dir, s->opts->device_key, &s->store, why, sizeof(why))))
  {
    /* A broken state directory must not stop printing; the administrator is told each job. */
    if (status == FP_ERROR_NO_MEMORY)
      return status;
    if (status != FP_ERROR_STATE)
      snprintf(why, sizeof(why), "%s: %s", dir, fp_strerror(status));
    fp_log("WARNING", "Cannot use the device state (%s); printing without the device lock, "
           "crash recovery or a recorded quiet window", why);
    return FP_OK;
  }
  if ((status = fp_store_lock(s->store, s->job.cancel_fd, 0)) == FP_ERROR_BUSY)
  {
    fp_log("INFO", "Waiting for the printer: another job is using it");
    status = fp_store_lock(s->store, s->job.cancel_fd, -1);
  }
  if (status == FP_ERROR_CANCELED)
    return status;
  if (status)
  {
    fp_log("WARNING", "Cannot lock the device state file %s: %s; printing without the device "
           "lock, crash recovery or a recorded quiet window", fp_store_path(s->store),
           strerror(errno));
    fp_store_close(s->store);
    s->store = NULL;
    return FP_OK;
  }
  if ((status = fp_store_read(s->store, &s->state)) == FP_ERROR_STATE)
    fp_log("WARNING", "Device state file %s was unreadable; flushing the printer to be safe",
           fp_store_path(s->store));
  return FP_OK;
}

/* Wait for a quiet window armed by an earlier job (any queue, any process) to end. */
static int wait_quiet_window(fp_session_t *s)
{
  int64_t left = s->state.quiet_until - fp_realtime_ms();

  if (left <= 0)
    return FP_OK;
  if (left > QUIET_SANITY_MS)
  {
    /* Repair it too: kept, it would outrank every real window until the clock caught up. */
    fp_log("WARNING", "Ignoring a quiet window %" PRId64 " s in the future (clock change?); "
           "cleared it in %s", left / 1000, fp_store_path(s->store));
    s->state.quiet_until = 0;
    journal(s, true);
    return FP_OK;
  }
  fp_log("INFO", "Printer port quiet for %" PRId64 " ms after an interrupted job", left);
  if (!fp_session_sleep_until(s->state.quiet_until, s->job.cancel_fd))
    return FP_ERROR_CANCELED;
  fp_log("DEBUG", "flushprinter: quiet window over");
  return FP_OK;
}

/*
 * Connect, retrying with growing pauses for up to `budget_ms`.  `cancel_fd`
 * is the job's (giving up on SIGTERM) or -1 when a flush must get through.
 */
static int connect_device(fp_session_t *s, int budget_ms, int cancel_fd)
{
  int64_t deadline = fp_monotonic_ms() + budget_ms;
  int     pause = RECONNECT_WAIT_MS, status;
  char    message[512] = "";

  for (;;)
  {
    /* Each attempt within what is left of the budget (0: one attempt of the transport's own). */
    status = s->transport->open(s->opts, cancel_fd, budget_ms ? fp_ms_until(deadline) : -1,
                                &s->conn, message, sizeof(message));
    if (status == FP_OK)
    {
      /* Withdraw reasons this or an earlier job set while the printer was away. */
      fp_log("STATE", "-connecting-to-device,offline-report");
      s->connecting = false;
      fp_log("INFO", "Connected to the printer");
      return FP_OK;
    }
    if (status == FP_ERROR_CANCELED || status == FP_ERROR_NO_MEMORY)
      return status;
    if (!s->connecting)
      fp_log("STATE", "+connecting-to-device");
    s->connecting = true;
    fp_log("INFO", "Waiting for the printer: %s", message);
    if (fp_ms_until(deadline) == 0)
    {
      fp_log("ERROR", "Printer unreachable: %s", message);
      return status;
    }
    if (fp_wait_fd(-1, 0, cancel_fd, pause < fp_ms_until(deadline) ? pause : fp_ms_until(deadline)) < 0)
      return FP_ERROR_CANCELED;
    pause = pause * 2 > 10000 ? 10000 : pause * 2;
  }
}

/* Before dropping a broken connection, note how many accepted bytes may be lost with it. */
static void note_in_doubt(fp_session_t *s)
{
  if (s->conn && s->transport->in_doubt)
    s->in_doubt += s->transport->in_doubt(s->conn);
}

/* Close the connection to the device. */
static void disconnect_device(fp_session_t *s)
{
  if (s->conn)
    s->transport->close(s->conn);
  s->conn = NULL;
}

/*
 * Flush-engine write function: the device, with the stall timeout.  A cancel
 * not yet acknowledged (the first SIGTERM of a job that was not canceled, or
 * a second one after the cancel path began) stops the flush between writes.
 */
static int flush_write(void *ctx, const uint8_t *buf, size_t len, size_t *accepted)
{
  fp_session_t *s = ctx;

  *accepted = 0;
  if (fp_wait_fd(-1, 0, s->job.cancel_fd, 0) < 0)
    return FP_ERROR_CANCELED;
  return fp_transport_write_all(s->transport, s->conn, buf, len, s->opts->timeout_ms,
                                s->job.cancel_fd, accepted);
}

/* The flush delivered `padding` bytes of its debt: journal what is still owed. */
static void flush_progress(void *ctx, uint64_t padding)
{
  fp_session_t *s = ctx;

  s->state.owed = s->flush_debt;
  fp_completion_advance(&s->state.owed, padding);
  s->state.dirty = true;
  journal(s, false);
}

/* Reconnect after a failure, to flush: `retries` attempts; a cancel gives up. */
static int reconnect_device(fp_session_t *s)
{
  disconnect_device(s);
  return connect_device(s, s->opts->retries * RECONNECT_WAIT_MS, s->job.cancel_fd);
}

/* Take note of the SIGTERMs so far: from now on only a further one stops a flush. */
static void acknowledge_cancel(fp_session_t *s)
{
  char drain[64];

  while (read(s->job.cancel_fd, drain, sizeof(drain)) > 0)
    continue;
}

/*
 * When bytes may have been lost with a broken connection, lengthen the debt
 * by the bytes in doubt if the language ignores surplus fill.
 */
static void widen_for_doubt(fp_session_t *s, fp_completion_t *debt)
{
  if (!s->in_doubt || !s->tracker.language || !s->tracker.language->surplus_fill_harmless
      || debt->implausible)
    return;
  debt->fill_count += s->in_doubt;
  s->in_doubt = 0;
  fp_log("DEBUG", "flushprinter: up to %" PRIu64 " bytes may have been lost with the "
         "connection; padding that much more", debt->fill_count);
}

/* The most completion bytes one flush may send on this queue. */
static uint64_t flush_ceiling(const fp_session_t *s)
{
  return fp_options_flush_ceiling(s->opts, s->tracker.language);
}

/* Say why a debt was not paid, once, where the administrator sees it. */
static void report_refusal(fp_session_t *s, const fp_completion_t *debt, uint64_t owed)
{
  const char *lang = s->tracker.language ? s->tracker.language->name : "none";

  if (fp_flush_refusal(debt, flush_ceiling(s)) == FP_REFUSAL_IMPLAUSIBLE)
    fp_log("WARNING", "The job claimed %" PRIu64 " more bytes for a command than a %s printer "
           "accepts: the data is not %s; sent the reset without completing it; the printer may "
           "need attention", owed, lang, lang);
  else
    fp_log("WARNING", "The half-sent command still owed %" PRIu64 " bytes, more than maxflush=%"
           PRIu64 "; sent the reset without completing it; the printer may need attention",
           owed, flush_ceiling(s));
}

/*
 * Run the flush engine on `owed` (NULL: what the tracker reports), reconnecting
 * once per allowed retry when the device drops.  Every delivered byte is
 * journaled as it goes, so a stop or a crash leaves exactly the rest owed.
 */
static int send_flush(fp_session_t *s, const fp_completion_t *owed, const uint8_t *reset,
                      size_t reset_len, fp_flush_counts_t *total)
{
  const fp_language_t *lang = s->tracker.language;
  int                  status = FP_ERROR_IO;

  memset(total, 0, sizeof(*total));
  memset(&s->flush_debt, 0, sizeof(s->flush_debt));
  if (owed)
    s->flush_debt = *owed;
  else
    fp_tracker_completion(&s->tracker, &s->flush_debt);
  widen_for_doubt(s, &s->flush_debt);
  for (int attempt = 0; attempt <= s->opts->retries; attempt++)
  {
    fp_flush_counts_t counts = { 0 };
    fp_flush_plan_t   plan = { .owed = &s->flush_debt, .tracker = &s->tracker,
                               .ceiling = flush_ceiling(s),
                               .resync = lang ? lang->resync : NULL,
                               .resync_len = lang ? lang->resync_len : 0, .reset = reset,
                               .reset_len = reset_len, .write = flush_write,
                               .progress = flush_progress, .ctx = s };

    if (!s->conn && (status = reconnect_device(s)))
      break;
    status = fp_flush_run(&plan, &counts);
    total->padding += counts.padding;
    total->reset += counts.reset;
    if (counts.refused)
    {
      total->refused = counts.refused;
      report_refusal(s, &s->flush_debt, counts.refused);
      memset(&s->flush_debt, 0, sizeof(s->flush_debt));
      fp_tracker_init(&s->tracker, lang); /* whatever it followed, the reset went after it */
    }
    fp_completion_advance(&s->flush_debt, counts.padding);
    if (status == FP_OK || status == FP_ERROR_CANCELED)
      break;
    fp_log("WARNING", "Flush interrupted (%s); reconnecting", fp_strerror(status));
    note_in_doubt(s);
    disconnect_device(s);
    widen_for_doubt(s, &s->flush_debt);
  }
  if (status == FP_ERROR_CANCELED)
    fp_log("WARNING", "Flush stopped by a cancel after %" PRIu64 " completion bytes; %" PRIu64
           " still owed, kept for the next job", total->padding,
           fp_completion_size(&s->flush_debt));
  return status;
}

static int settle_write(fp_session_t *s);

/* Complete the half-sent command, send the reset, arm the quiet window. */
int fp_session_flush(fp_session_t *s, const uint8_t *reset, size_t reset_len, int idle_ms,
                     fp_session_flush_t *result)
{
  fp_flush_counts_t counts;
  int               status;

  settle_write(s); /* job data in flight first: the tracker must know it */
  status = send_flush(s, NULL, reset, reset_len, &counts);

  if (status == FP_OK && s->opts->soft_reset && s->transport->soft_reset(s->conn) == FP_OK)
    fp_log("DEBUG", "flushprinter: printer-class soft reset sent");
  if (status == FP_OK && s->conn)
    s->transport->drain(s->conn, s->opts->timeout_ms);

  s->quiet_until = idle_ms > 0 && status != FP_ERROR_CANCELED ? fp_realtime_ms() + idle_ms : 0;
  if (s->quiet_until > s->state.quiet_until)
    s->state.quiet_until = s->quiet_until;
  s->state.dirty = status != FP_OK;
  s->journaled = s->state.dirty;
  s->state.accepted = s->accepted;
  s->state.owed = s->flush_debt; /* what a stopped or broken flush left owed */
  if (counts.refused)
    s->state.refused = counts.refused;
  journal(s, true);

  if (result)
  {
    result->padding = counts.padding;
    result->written = counts.reset;
    result->idle_ms = idle_ms;
  }
  if (status == FP_OK)
    fp_log("INFO", "Printer flushed: %" PRIu64 " padding bytes, %" PRIu64
           " reset bytes; port quiet for %d ms", counts.padding, counts.reset, idle_ms);
  else if (status != FP_ERROR_CANCELED)
    fp_log("ERROR", "Could not flush the printer (%s); the next job flushes it first",
           fp_strerror(status));
  return status;
}

/* If a job died mid-command without a flush, flush before this job's first byte. */
static int recover_dirty_device(fp_session_t *s)
{
  fp_completion_t      owed = s->state.owed;
  fp_flush_counts_t    counts;
  const fp_language_t *left_in = fp_language_find(s->state.language);
  uint8_t             *preset = NULL;
  size_t               preset_len = 0;
  int                  status;

  if (!s->state.dirty)
    return FP_OK;
  fp_log("INFO", "Job %d was interrupted after %" PRIu64 " bytes without a flush; flushing the "
         "printer first", s->state.job_id, s->state.accepted);
  /* Without reset=, the reset of the language the interrupted job was in. */
  if (!s->opts->reset_set && left_in && left_in != &fp_language_none)
    fp_reset_parse(left_in->reset_preset, &preset, &preset_len, NULL, 0);
  /* Its language's ceiling and resynchronisation apply to its debt. */
  fp_tracker_init(&s->tracker, left_in ? left_in : s->opts->language);
  status = send_flush(s, &owed, preset ? preset : s->opts->reset,
                      preset ? preset_len : s->opts->reset_len, &counts);
  free(preset);
  fp_tracker_init(&s->tracker, s->opts->language);
  if (status)
  {
    s->state.owed = s->flush_debt;
    journal(s, true);
    if (status != FP_ERROR_CANCELED)
      fp_log("ERROR", "Could not flush the printer left by job %d: %s", s->state.job_id,
             fp_strerror(status));
    return status;
  }
  fp_log("DEBUG", "flushprinter: recovered job %d: %" PRIu64 " padding, %" PRIu64 " reset bytes",
         s->state.job_id, counts.padding, counts.reset);
  s->state.dirty = false;
  memset(&s->state.owed, 0, sizeof(s->state.owed));
  if (counts.refused)
    s->state.refused = counts.refused;
  journal(s, true);
  return FP_OK;
}

/* Mark the device dirty for this job before its first byte goes out. */
static void journal_start(fp_session_t *s)
{
  fp_detect_session_language(s);
  fp_detect_foreign_job(s);
  s->state.dirty = true;
  s->state.job_id = s->job.job_id;
  s->state.pid = (int)getpid();
  s->state.accepted = 0;
  s->state.refused = 0;
  snprintf(s->state.language, sizeof(s->state.language), "%s", s->tracker.language->name);
  memset(&s->state.owed, 0, sizeof(s->state.owed));
  journal(s, true);
  s->journaled = true;
}

/* Forward back-channel data to the filters; how the printer was lost if it was. */
static int pump_back_channel(fp_session_t *s)
{
  uint8_t data[4096];
  size_t  got = 0;
  int     status;

  if (!s->transport->read)
    return FP_OK;
  if ((status = s->transport->read(s->conn, data, sizeof(data), &got)))
    return status;
  if (got && s->job.back_fd >= 0 && write(s->job.back_fd, data, got) < 0)
    fp_log("DEBUG", "flushprinter: back channel: %s", strerror(errno));
  return FP_OK;
}

/* Read job data into the empty buffer; sets input_eof. */
static void fill_buffer(fp_session_t *s)
{
  ssize_t n = read(s->job.input_fd, s->buf, sizeof(s->buf));

  if (n > 0)
  {
    s->buf_off = 0;
    s->buf_len = (size_t)n;
  }
  else if (n == 0 || (errno != EAGAIN && errno != EINTR))
  {
    if (n < 0)
      fp_log("ERROR", "Cannot read the job data: %s", strerror(errno));
    s->input_eof = true;
  }
}

/* The device accepted the next `n` buffered bytes: tracker, counters, journal. */
static void account_sent(fp_session_t *s, size_t n)
{
  if (n)
  {
    fp_tracker_feed(&s->tracker, s->buf + s->buf_off, n);
    s->buf_off += n;
    s->accepted += n;
    journal_progress(s, false);
  }
  if (s->buf_off == s->buf_len)
    s->buf_off = s->buf_len = 0;
}

/* Send buffered job data the device takes now; feeds the tracker and the journal. */
static int push_buffer(fp_session_t *s)
{
  size_t n = 0;
  int    status;

  if (!s->journaled)
    journal_start(s);
  status = s->transport->write(s->conn, s->buf + s->buf_off, s->buf_len - s->buf_off, &n);
  account_sent(s, n);
  return status;
}

/* Stop a write the transport left in flight and count what of it the device took. */
static int settle_write(fp_session_t *s)
{
  size_t n = 0;
  int    status = fp_transport_cancel_write(s->transport, s->conn, &n);

  account_sent(s, n);
  return status;
}

/* The streaming loop: input -> device, serving the side channel, until done/cancel/failure. */
static stream_end_t stream_job(fp_session_t *s, int *failure)
{
  int64_t stall_deadline = 0;

  for (;;)
  {
    struct pollfd pfd[4];
    bool          pending = s->buf_len > s->buf_off;
    int           timeout = -1, n;

    if (fp_session_canceled(s))
      return STREAM_CANCELED;
    if (!pending && s->input_eof)
      return STREAM_DONE;

    pfd[0] = (struct pollfd){ .fd = s->job.cancel_fd, .events = POLLIN };
    pfd[1] = (struct pollfd){ .fd = pending ? -1 : s->job.input_fd, .events = POLLIN };
    pfd[2] = (struct pollfd){ .fd = s->transport->poll_fd(s->conn),
                              .events = (short)((pending ? s->transport->write_events : 0)
                                                | (s->transport->read ? POLLIN : 0)) };
    pfd[3] = (struct pollfd){ .fd = s->job.side_fd, .events = POLLIN };
    if (pending)
    {
      if (!stall_deadline)
        stall_deadline = fp_monotonic_ms() + s->opts->timeout_ms;
      timeout = fp_ms_until(stall_deadline);
    }
    if (s->sc->partial_since)
      timeout = timeout < 0 || timeout > FP_SERVE_STALE_MS ? FP_SERVE_STALE_MS : timeout;

    n = poll(pfd, 4, timeout);
    if (n < 0 && errno != EINTR)
    {
      *failure = FP_ERROR_IO;
      return STREAM_FAILED;
    }
    if (fp_session_canceled(s))
      return STREAM_CANCELED;
    if (n > 0 && (pfd[3].revents & (POLLIN | POLLHUP | POLLERR)))
      fp_serve_side_channel(s);
    fp_serve_expire(s);
    if (fp_session_canceled(s))
      return STREAM_CANCELED;
    if (n > 0 && (pfd[2].revents & (POLLIN | POLLHUP | POLLERR))
        && ((*failure = pump_back_channel(s))
            || (!s->transport->read && (pfd[2].revents & (POLLHUP | POLLERR)))))
    {
      /* A hang-up on a write-only device would otherwise wake poll() forever. */
      if (!*failure)
        *failure = FP_ERROR_DEVICE_CLOSED;
      fp_log("ERROR", "%s", fp_strerror(*failure));
      return STREAM_FAILED;
    }
    /* Only into an empty buffer: a side-channel DRAIN_OUTPUT above may have refilled it. */
    if (n > 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) && s->buf_len == s->buf_off)
      fill_buffer(s);
    if (s->buf_len > s->buf_off)
    {
      size_t before = s->accepted;

      if ((*failure = push_buffer(s)))
        return STREAM_FAILED;
      if (s->accepted != before || !pending)
        stall_deadline = 0;
      else if (fp_ms_until(stall_deadline) == 0)
      {
        fp_log("ERROR", "The printer accepted nothing for %d ms", s->opts->timeout_ms);
        *failure = FP_ERROR_TIMEOUT;
        return STREAM_FAILED;
      }
    }
  }
}

/* Drop job data read but not sent, and what the input holds right now. */
void fp_session_discard_input(fp_session_t *s)
{
  uint8_t scratch[8192];

  settle_write(s); /* what is in flight counts before the buffer goes */
  s->buf_off = s->buf_len = 0;
  if (!s->job.from_filters)
  {
    s->input_eof = true; /* a spool file: stop reading it */
    return;
  }
  while (!s->input_eof)
  {
    ssize_t n = read(s->job.input_fd, scratch, sizeof(scratch));

    if (n == 0 || (n < 0 && errno != EINTR))
    {
      s->input_eof = n == 0;
      break;
    }
  }
}

/* Write out all job data available now, then wait until the device has it. */
int fp_session_drain_output(fp_session_t *s)
{
  int status = FP_OK;

  if (!s->conn)
    return FP_ERROR_IO;
  for (;;)
  {
    size_t accepted = 0;

    if (s->buf_len == s->buf_off)
    {
      if (s->input_eof)
        break;
      fill_buffer(s);
      if (s->buf_len == s->buf_off)
        break; /* nothing more in the pipe right now */
    }
    if (!s->journaled)
      journal_start(s);
    status = fp_transport_write_all(s->transport, s->conn, s->buf + s->buf_off,
                                    s->buf_len - s->buf_off, s->opts->timeout_ms,
                                    s->job.cancel_fd, &accepted);
    account_sent(s, accepted);
    if (status)
      return status;
  }
  return s->transport->drain(s->conn, s->opts->timeout_ms);
}

/*
 * After a cancel, wait up to `timeout_ms` for the side channel or the filter
 * pipe: answer the one, discard what arrives on the other.  SIGTERM is not
 * watched: further signals change nothing once a job is canceled.
 */
static void serve_canceled(fp_session_t *s, int timeout_ms)
{
  struct pollfd pfd[2] = { { .fd = s->job.side_fd, .events = POLLIN },
                           { .fd = s->job.from_filters && !s->input_eof ? s->job.input_fd : -1,
                             .events = POLLIN } };

  if (poll(pfd, 2, timeout_ms) > 0)
  {
    if (pfd[0].revents)
      fp_serve_side_channel(s);
    if (pfd[1].revents)
      fp_session_discard_input(s);
  }
}

/* Stay off the device until the quiet window this session armed ends. */
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

  if (!s->job.from_filters || s->job.side_fd < 0)
    return;
  fp_log("DEBUG", "flushprinter: waiting up to %d ms for a filter's flush request",
         s->opts->grace_ms);
  while (!s->filter_flushed && s->job.side_fd >= 0)
  {
    int64_t end = s->flush_open ? grace_end + FILTER_FLUSH_MAX : grace_end;

    if (fp_ms_until(end) == 0)
      break;
    serve_canceled(s, fp_ms_until(end));
  }
}

/* The cancel path: stop, discard, flush (the filter's or the queue's), hold quiet. */
static int finish_canceled(fp_session_t *s)
{
  fp_log("INFO", "Job canceled after %" PRIu64 " bytes reached the printer", s->accepted);
  acknowledge_cancel(s);
  fp_session_discard_input(s);
  await_filter_flush(s);
  if (!s->filter_flushed)
  {
    if (!s->journaled)
    {
      fp_log("DEBUG", "flushprinter: no job data was sent; nothing to flush");
      return CUPS_BACKEND_OK;
    }
    fp_session_flush(s, s->opts->reset, s->opts->reset_len, s->opts->idle_ms, NULL);
  }
  disconnect_device(s);
  hold_quiet(s);
  return CUPS_BACKEND_OK;
}

/* The failure path: reconnect, flush, leave the job to the queue's error policy. */
static int finish_failed(fp_session_t *s, int failure)
{
  s->failed = true;
  note_in_doubt(s);
  fp_log("STATE", "+offline-report");
  fp_log("ERROR", "Printer failed after %" PRIu64 " bytes of the job (%s); the job will be "
         "retried according to the queue's error policy", s->accepted, fp_strerror(failure));
  if (reconnect_device(s) == FP_OK)
    fp_session_flush(s, s->opts->reset, s->opts->reset_len, s->opts->idle_ms, NULL);
  else
    fp_log("ERROR", "Printer still unreachable; the next job flushes it first");
  disconnect_device(s);
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
    status = fp_session_flush(s, s->opts->reset, s->opts->reset_len, 0, NULL);
    if (status == FP_ERROR_CANCELED)
    {
      disconnect_device(s); /* canceled at its very end: the journal keeps the rest owed */
      return CUPS_BACKEND_OK;
    }
    if (status)
      return finish_failed(s, FP_ERROR_IO);
  }
  if ((status = s->transport->drain(s->conn, s->opts->timeout_ms)))
    return finish_failed(s, status);
  s->state.dirty = false;
  s->journaled = false;
  journal_progress(s, true);
  fp_log("INFO", "Job sent: %" PRIu64 " bytes", s->accepted);
  disconnect_device(s);
  return CUPS_BACKEND_OK;
}

/* Release everything the session holds; withdraw a state reason left set. */
static void session_free(fp_session_t *s)
{
  if (s->connecting)
    fp_log("STATE", "-connecting-to-device");
  disconnect_device(s);
  if (s->store)
    fp_store_close(s->store);
  free(s->sc);
  free(s->msg);
  free(s->flush_buf);
  free(s);
}

/* Run the job; returns the backend's exit code. */
int fp_session_run(fp_options_t *opts, const fp_transport_t *transport,
                   const fp_job_info_t *job)
{
  fp_session_t *s = calloc(1, sizeof(*s));
  int           status, rc;

  if (!s || !(s->sc = calloc(1, sizeof(*s->sc))) || !(s->msg = malloc(sizeof(*s->msg))))
  {
    fp_log("ERROR", "Out of memory");
    if (s)
      session_free(s);
    return CUPS_BACKEND_FAILED;
  }
  s->opts = opts;
  s->transport = transport;
  s->job = *job;
  fp_tracker_init(&s->tracker, opts->language);
  if (s->job.from_filters)
    fcntl(s->job.input_fd, F_SETFL, fcntl(s->job.input_fd, F_GETFL) | O_NONBLOCK);

  if ((status = acquire_device(s)) || (status = wait_quiet_window(s))
      || (status = connect_device(s, opts->contimeout_ms, job->cancel_fd)))
  {
    /* Nothing of this job reached the device: a cancel needs no flush. */
    rc = status == FP_ERROR_CANCELED ? CUPS_BACKEND_OK : CUPS_BACKEND_FAILED;
    if (status == FP_ERROR_CANCELED)
      fp_log("INFO", "Job canceled before it reached the printer");
  }
  else if ((status = recover_dirty_device(s)) == FP_ERROR_CANCELED)
  {
    fp_log("INFO", "Job canceled before it reached the printer");
    rc = CUPS_BACKEND_OK;
  }
  else if (status)
    rc = finish_failed(s, FP_ERROR_IO);
  else
  {
    int failure = FP_OK;

    stream_end_t end = stream_job(s, &failure);
    int          settled = settle_write(s);

    if (end != STREAM_CANCELED && settled && !failure)
    {
      failure = settled;
      end = STREAM_FAILED;
    }
    switch (end)
    {
      case STREAM_DONE: rc = finish_done(s); break;
      case STREAM_CANCELED: rc = finish_canceled(s); break;
      default: rc = finish_failed(s, failure); break;
    }
  }
  session_free(s);
  return rc;
}

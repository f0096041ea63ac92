/*
 * The device a job prints to (session.h): its state file (device lock, dirty
 * journal, quiet deadline), its connection, and its flushes.  A flush
 * completes the half-sent command the tracker reports (never more than
 * maxflush=, never a debt the tracker calls implausible), sends the reset,
 * journals every byte it delivers and stops between writes on a SIGTERM not
 * yet acknowledged.
 */

#include "session.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/flush.h"
#include "clock.h"
#include "common.h"
#include "flushprinter.h"
#include "log.h"
#include "status.h"

#define QUIET_SANITY_MS   FP_WAIT_LIMIT_MS /* a deadline further away than this is a clock jump */
#define RECONNECT_WAIT_MS 1000

/* Sleep until the wall-clock `deadline` (ms); false as soon as `cancel_fd` (if >= 0) is readable. */
bool fp_sleep_until(int64_t deadline, int cancel_fd)
{
  int64_t left;

  while ((left = deadline - fp_realtime_ms()) > 0)
    if (fp_wait_fd(-1, 0, cancel_fd, left > INT32_MAX ? INT32_MAX : (int)left) < 0)
      return false;
  return true;
}

/* Write the journal record; on failure say so once, printing goes on (no store: said already). */
void fp_device_journal(fp_session_t *s, bool durable)
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
void fp_device_journal_progress(fp_session_t *s, bool durable)
{
  s->state.accepted = s->accepted;
  memset(&s->state.owed, 0, sizeof(s->state.owed));
  fp_tracker_completion(&s->tracker, &s->state.owed);
  fp_device_journal(s, durable);
}

/* Open the state store and take the device lock, waiting while another job holds it. */
int fp_device_acquire(fp_session_t *s)
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
int fp_device_wait_quiet(fp_session_t *s)
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
    fp_device_journal(s, true);
    return FP_OK;
  }
  fp_log("INFO", "Printer port quiet for %" PRId64 " ms after an interrupted job", left);
  if (!fp_sleep_until(s->state.quiet_until, s->job.cancel_fd))
    return FP_ERROR_CANCELED;
  fp_log("DEBUG", "flushprinter: quiet window over");
  return FP_OK;
}

/*
 * Connect, retrying with growing pauses for up to `budget_ms`.  `cancel_fd`
 * is the job's (giving up on SIGTERM) or -1 when a flush must get through.
 */
int fp_device_connect(fp_session_t *s, int budget_ms, int cancel_fd)
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
void fp_device_note_in_doubt(fp_session_t *s)
{
  if (s->conn && s->transport->in_doubt)
    s->in_doubt += s->transport->in_doubt(s->conn);
}

/* Close the connection to the device. */
void fp_device_disconnect(fp_session_t *s)
{
  if (s->conn)
    s->transport->close(s->conn);
  s->conn = NULL;
  s->data_in_flight = false;
  fp_live_connection_ended(&s->live);
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
  fp_device_journal(s, false);
}

/* Reconnect after a failure, to flush: `retries` attempts; a cancel gives up. */
int fp_device_reconnect(fp_session_t *s)
{
  fp_device_disconnect(s);
  return fp_device_connect(s, s->opts->retries * RECONNECT_WAIT_MS, s->job.cancel_fd);
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

/*
 * Leave the half-sent command to the next job: the journal keeps the device
 * dirty with what it owes, widened by the bytes that may be lost when this
 * connection closes with data the printer has not read.
 */
void fp_device_journal_debt(fp_session_t *s)
{
  fp_device_note_in_doubt(s);
  s->state.dirty = true;
  s->state.accepted = s->accepted;
  memset(&s->state.owed, 0, sizeof(s->state.owed));
  fp_tracker_completion(&s->tracker, &s->state.owed);
  widen_for_doubt(s, &s->state.owed);
  fp_device_journal(s, true);
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

    if (!s->conn && (status = fp_device_reconnect(s)))
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
    fp_device_note_in_doubt(s);
    fp_device_disconnect(s);
    widen_for_doubt(s, &s->flush_debt);
  }
  if (status == FP_ERROR_CANCELED)
    fp_log("WARNING", "Flush stopped by a cancel after %" PRIu64 " completion bytes; %" PRIu64
           " still owed, kept for the next job", total->padding,
           fp_completion_size(&s->flush_debt));
  return status;
}

/* Complete the half-sent command (within maxflush=), send the reset, arm the quiet window. */
int fp_device_flush(fp_session_t *s, const uint8_t *reset, size_t reset_len, int idle_ms,
                     fp_flush_report_t *result)
{
  fp_flush_counts_t counts;
  int               status;

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
  fp_device_journal(s, true);

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
int fp_device_recover(fp_session_t *s)
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
  if (status)
  {
    fp_tracker_init(&s->tracker, s->opts->language);
    s->state.owed = s->flush_debt;
    fp_device_journal(s, true);
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
  fp_device_journal(s, true);
  /* Unconfirmed: the reset went out and the job's data follows it; the job's end tells more. */
  fp_live_verify(s, "the recovery's flush");
  fp_tracker_init(&s->tracker, s->opts->language);
  return FP_OK;
}


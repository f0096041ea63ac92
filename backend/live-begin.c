/*
 * Turning the printer's live status on for a job (live-status.h), at the
 * command boundary before the job's first byte: status=off asks nothing;
 * status=auto sends the language's probe only when it is blind-safe (a
 * printer that does not know it prints nothing; ESC/POS: DLE EOT 1) and
 * turns status on only when the printer answers it within a bound; status=on
 * probes whatever the language.  A printer that answers is armed (ESC/POS:
 * GS a), and re-armed after each reset in the job that may cancel it
 * (stream.c).  Otherwise the job runs exactly as without status, after one
 * INFO: line saying why status is off.
 *
 * This first step serves ESC/POS on connections whose back channel is read
 * in the data path without writes left in flight (AppSocket): there the
 * backend waits out a paper-out, cover-open or jam without counting it
 * against timeout=, with the condition shown as a printer-state-reason.
 */

#include <poll.h>
#include <string.h>

#include "clock.h"
#include "flushprinter.h"
#include "live-status.h"
#include "log.h"
#include "session.h"

#define PROBE_MS 1000 /* how long a printer may take to answer the probe */

/* Sends the backend's own bytes (at a command boundary); false when they did not all go. */
static bool send_own(fp_session_t *s, const uint8_t *bytes, size_t len)
{
  size_t accepted = 0;
  int    status = fp_transport_write_all(s->transport, s->conn, bytes, len, s->opts->timeout_ms,
                                         s->job.cancel_fd, &accepted);

  fp_tracker_feed(&s->tracker, bytes, accepted);
  fp_live_note_sent(&s->live, bytes, accepted, true);
  return status == FP_OK && accepted == len;
}

/* Reads the back channel until an own query is answered or `ms` pass. */
static bool await_answer(fp_session_t *s, int ms)
{
  int64_t deadline = fp_monotonic_ms() + ms;

  while (!s->live.answered)
  {
    uint8_t data[512];
    size_t  got = 0;
    int     left = fp_ms_until(deadline);

    if (left == 0 || fp_wait_fd(s->transport->poll_fd(s->conn), POLLIN, s->job.cancel_fd, left) < 0
        || s->transport->read(s->conn, data, sizeof(data), &got))
      return false;
    fp_live_feed(&s->live, data, got);
  }
  return true;
}

/* Why status stays off for this job, or NULL when it may be tried. */
static const char *why_off(const fp_session_t *s, const fp_status_language_t *l)
{
  if (!l || strcmp(l->name, "escpos"))
    return "not available for this printer language yet";
  if (!s->transport->read || s->transport->cancel_write
      || !fp_transport_bidirectional(s->transport, s->conn))
    return "not available on this connection yet";
  if (!l->probe_blind && s->opts->status_mode != FP_STATUS_MODE_ON)
    return "the language's status query is not safe for a printer that does not know it";
  return NULL;
}

/* Turns status on when status= and the printer allow; one INFO: line says what came of it. */
void fp_live_begin(fp_session_t *s)
{
  const fp_status_language_t *l = fp_status_language_find(s->tracker.language->name);
  const char                 *why;

  fp_live_off(&s->live);
  if (s->opts->status_mode == FP_STATUS_MODE_OFF)
    return;
  if ((why = why_off(s, l)))
  {
    fp_log("INFO", "Printer status is off: %s", why);
    return;
  }
  fp_live_start(&s->live, l, s->job.back_fd);
  if (!send_own(s, l->probe, l->probe_len) || !await_answer(s, PROBE_MS))
  {
    fp_log("INFO", "Printer status is off: the printer did not answer its status query in %d ms",
           PROBE_MS);
    fp_live_finish(&s->live); /* hands anything held on to fd 3 */
    fp_live_off(&s->live);
    return;
  }
  if (!send_own(s, l->arm, l->arm_len))
  {
    fp_log("INFO", "Printer status is off: the printer did not take the bytes that switch it on");
    fp_live_finish(&s->live);
    fp_live_off(&s->live);
    return;
  }
  s->live.armed = true;
  fp_log("INFO", "Printer status is on: the printer answers %s status queries", l->name);
}

/*
 * Sends the arming again when the job may have cancelled it and the printer
 * is between commands, without waiting (the printer may have stopped
 * reading): what it does not take now is offered again on the next call,
 * and job data waits until it has all gone.
 */
int fp_live_rearm(fp_session_t *s)
{
  fp_live_t      *live = &s->live;
  fp_completion_t owed;
  size_t          n = 0;
  int             status;

  if (!live->own_len && live->rearm && !fp_tracker_completion(&s->tracker, &owed))
  {
    memcpy(live->own, live->language->arm, live->language->arm_len);
    live->own_len = live->language->arm_len;
    live->rearm = false;
  }
  if (!live->own_len)
    return FP_OK;
  status = s->transport->write(s->conn, live->own, live->own_len, &n);
  fp_tracker_feed(&s->tracker, live->own, n);
  fp_live_note_sent(live, live->own, n, true);
  memmove(live->own, live->own + n, live->own_len - n);
  live->own_len -= n;
  return status;
}

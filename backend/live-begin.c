/*
 * Turning the printer's live status on for a job (live-status.h), at the
 * command boundary before the job's first byte: status=off asks nothing;
 * status=auto sends the language's probe only when it is blind-safe (a
 * printer that does not know it prints nothing; ESC/POS: DLE EOT 1) and
 * turns status on only when the printer answers it within a bound; status=on
 * probes whatever the language (PJL: UEL @PJL INFO STATUS, which a printer
 * without PJL would print).  A printer that answers is armed (ESC/POS: GS a;
 * PJL: USTATUS DEVICE=ON), and re-armed after each reset in the job that may
 * cancel it (ESC/POS: ESC @; PJL: the UEL that ends each PJL section), at a
 * command boundary the tracker vouches for (stream.c).  Otherwise the job
 * runs exactly as without status, after one INFO: line saying why status is
 * off.  status=auto remembers such a printer in the device's state file and
 * sends it no probe for UNHEARD_HOLD_MS (so that a silent printer pays the
 * probe's wait once in that time, not once a job); an answer forgets it.
 *
 * The language's status serves ESC/POS, PJL (PCL queues), ZPL, DYMO and EPL on
 * connections that have a back channel (AppSocket, USB, usblp, serial lines;
 * on USB, own bytes wait while job data is in flight and the other way
 * round, so that a stopped write counts each where it belongs).  ZPL, DYMO
 * and EPL have no unsolicited status: the backend asks the probe (ZPL: ~HS)
 * again at a command boundary once the last one is answered and
 * FP_LIVE_POLL_BYTES of the job have gone since, so that when the paper
 * runs out one query is most likely among the bytes the printer still takes
 * into its receive buffer (which it parses, tilde commands included, while
 * paused); a printer that stops reading before any answer says why is
 * judged by timeout=, as without status.
 *
 * A transport with a condition path beside the data (USB: GET_PORT_STATUS)
 * gives status=auto and =on the printer's paper-out, offline and error
 * there, whatever the language -- also when the language's status stays off.
 * Either way the backend waits out a condition a person must fix without
 * counting it against timeout=, shown as a printer-state-reason.
 */

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "flushprinter.h"
#include "live-status.h"
#include "log.h"
#include "session.h"

#define PROBE_MS 1000     /* how long a printer may take to answer the probe */
#define UNHEARD_HOLD_MS (10 * 60 * 1000) /* status=auto asks a silent printer again after this */
#define TEXT_OF(n) #n
#define TEXT(n) TEXT_OF(n) /* a number macro's digits, for messages */
#define DRAIN_STEP_MS 200 /* how often a drain stops to hear the printer */
#define CONFIRM_MS 60000  /* how long a ready printer may take to print what it holds */
#define VERIFY_MIN_MS 2000 /* the least a flush's verification waits, whatever timeout= */

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

/* Takes the transport's latest word on the printer's condition, when its path is watched. */
void fp_live_hear_port(fp_session_t *s)
{
  unsigned conditions = 0;

  if (s->live.port && s->conn && s->transport->condition(s->conn, &conditions) == FP_OK)
    fp_live_port(&s->live, conditions);
}

/*
 * Reads what the printer says for up to `ms`: FP_OK (nothing came, or it was
 * fed to the parser), FP_ERROR_CANCELED on a SIGTERM not yet acknowledged,
 * or the read's error.
 */
static int hear(fp_session_t *s, int ms)
{
  uint8_t data[512];
  size_t  got = 0;
  int     r = fp_wait_fd(s->transport->poll_fd(s->conn), POLLIN, s->job.cancel_fd, ms);

  if (r < 0)
    return FP_ERROR_CANCELED;
  if (r > 0 && ((r = fp_live_collect(s)) || (r = s->transport->read(s->conn, data, sizeof(data),
                                                                       &got))))
    return r;
  if (got)
    fp_live_feed(&s->live, data, got);
  fp_live_hear_port(s);
  return FP_OK;
}

/*
 * Reads the back channel until an own query is answered: 1; 0 when `ms`
 * passed without an answer; -1 on a cancel or an error (the link, not the
 * printer's silence).
 */
static int await_answer(fp_session_t *s, int ms)
{
  int64_t deadline = fp_monotonic_ms() + ms;

  while (!s->live.answered)
  {
    if (fp_ms_until(deadline) == 0)
      return 0;
    if (hear(s, fp_ms_until(deadline)) != FP_OK)
      return -1;
  }
  return 1;
}

/*
 * Why the language's status stays off for this job, or NULL when it may be
 * tried (`trusted`: the queue says the printer knows the language's query).
 */
static const char *why_off(const fp_session_t *s, const fp_status_language_t *l, bool trusted)
{
  if (!l)
    return "not available for this printer language yet";
  if (!s->transport->read || !fp_transport_bidirectional(s->transport, s->conn))
    return "not available on this connection yet";
  /* PJL: a job that itself begins with UEL @PJL does not show that the printer answers
     (a PJL-less PCL printer skips the UEL and prints the lines), so only the queue may say. */
  if (!l->probe_blind && !trusted)
    return "the language's status query is not safe for a printer that does not know it "
           "(status=on sends it)";
  return NULL;
}

/* Starts watching the transport's condition path, when it has one; false when not. */
static bool watch_port(fp_session_t *s)
{
  unsigned conditions = 0;

  if (!s->transport->condition || s->transport->condition(s->conn, &conditions) != FP_OK)
    return false;
  fp_live_port_on(&s->live, s->job.back_fd);
  fp_live_port(&s->live, conditions);
  return true;
}

/*
 * The language's status is off for `why`: the transport's condition path
 * alone when it has one (its first call starts the watch), else none; one
 * INFO: line says which.
 */
static void without_language(fp_session_t *s, const char *why)
{
  if (!watch_port(s))
    fp_log("INFO", "Printer status is off: %s", why);
  else
    fp_log("INFO", "Printer status is on: the port's paper-out, offline and error (the "
           "language's own status is off: %s)", why);
}

/*
 * status=auto's memory of a printer that did not answer its probe: true
 * (with the reason in `why`) while it holds.  A deadline further away than
 * UNHEARD_HOLD_MS is no memory this backend wrote (a clock change, a forged
 * file): the printer is asked.
 */
static bool remembered_unheard(const fp_session_t *s, char *why, size_t size)
{
  int64_t   now = fp_realtime_ms(), until = s->state.unheard_until;
  time_t    at = (time_t)(until / 1000);
  struct tm local;
  char      clock[16] = "";

  if (s->opts->status_mode != FP_STATUS_MODE_AUTO || until <= now
      || until - now > UNHEARD_HOLD_MS)
    return false;
  if (localtime_r(&at, &local))
    strftime(clock, sizeof(clock), " (%H:%M:%S)", &local);
  snprintf(why, size, "the printer did not answer its status query lately; it is asked again "
           "in %" PRId64 " s%s", (until - now + 999) / 1000, clock);
  return true;
}

/* Records under status=auto whether the printer answered its probe (`heard`). */
static void remember_probe(fp_session_t *s, bool heard)
{
  int64_t until = heard ? 0 : fp_realtime_ms() + UNHEARD_HOLD_MS;

  if (s->opts->status_mode != FP_STATUS_MODE_AUTO || (heard && !s->state.unheard_until))
    return;
  s->state.unheard_until = until;
  fp_device_journal(s, false);
}

/* Turns status on when status= and the printer allow; one INFO: line says what came of it. */
void fp_live_begin(fp_session_t *s)
{
  const fp_status_language_t *l = fp_status_language_find(s->tracker.language->name);
  const char                 *why = NULL;
  char                        held[160];
  bool                        asked;
  int                         answer = -1;

  fp_live_off(&s->live);
  if (s->opts->status_mode == FP_STATUS_MODE_OFF)
    return;
  /* A refused debt: the printer may still be inside that command, and take a query as data. */
  if (s->state.refused && l)
    why = "the last flush could not complete the command the printer was in, and a query "
          "could land inside it";
  else if (!(why = why_off(s, l, s->opts->status_mode == FP_STATUS_MODE_ON))
           && remembered_unheard(s, held, sizeof(held)))
    why = held;
  if (why)
  {
    without_language(s, why);
    return;
  }
  fp_live_start(&s->live, l, s->job.back_fd);
  if (!(asked = send_own(s, l->probe, l->probe_len)))
    why = "the printer did not take its status query";
  else if ((answer = await_answer(s, PROBE_MS)) <= 0)
    why = "the printer did not answer its status query in " TEXT(PROBE_MS) " ms";
  else if (l->arm_len && !send_own(s, l->arm, l->arm_len))
    why = "the printer did not take the bytes that switch it on";
  /* Only an answer or the printer's silence is remembered, not a broken link or a cancel. */
  if (asked && answer >= 0)
    remember_probe(s, answer > 0);
  if (why)
  {
    fp_live_finish(&s->live); /* hands anything held on to fd 3 */
    fp_live_off(&s->live);
    without_language(s, why);
    return;
  }
  s->live.armed = true;
  s->live.since_asked = 0;
  fp_log("INFO", "Printer status is on: the printer answers %s status queries%s%s", l->name,
         s->live.polled ? " (asked again between commands as the job goes)" : "",
         watch_port(s) ? ", and its port's status is watched too" : "");
}

/* Queues `len` own bytes to go before job data. */
static void queue_own(fp_live_t *live, const uint8_t *bytes, size_t len)
{
  memcpy(live->own, bytes, len);
  live->own_len = len;
}

/*
 * Sends the backend's own bytes when the printer is between commands,
 * without waiting (the printer may have stopped reading): the arming again
 * when the job may have cancelled it, or a polled language's next query
 * (`now`: due at once, after the job's last byte).  What the printer does
 * not take now is offered again on the next call, and job data waits until
 * it has all gone.
 */
static int send_own_due(fp_session_t *s, bool now)
{
  fp_live_t      *live = &s->live;
  fp_completion_t owed;
  size_t          n = 0;
  int             status;

  /* Not while job data is in flight (USB): the printer gets it before anything queued now.
     Between commands only: a job that changed ZPL's tilde (~CT) owes the change back until
     it puts ~ back, and the query waits for that. */
  if (!live->own_len && live->language && !s->data_in_flight
      && !fp_tracker_completion(&s->tracker, &owed))
  {
    if (live->rearm && live->language->arm_len <= sizeof(live->own))
    {
      queue_own(live, live->language->arm, live->language->arm_len);
      live->rearm = false;
    }
    else if (fp_live_poll_due(live, now) && live->language->probe_len <= sizeof(live->own))
    {
      queue_own(live, live->language->probe, live->language->probe_len);
      live->asked++;
      live->asked_at = fp_monotonic_ms();
      live->since_asked = 0;
    }
  }
  if (!live->own_len)
    return FP_OK;
  status = s->transport->write(s->conn, live->own, live->own_len, &n);
  fp_live_own_taken(s, n);
  return status;
}

void fp_live_own_taken(fp_session_t *s, size_t n)
{
  fp_live_t *live = &s->live;

  n = n < live->own_len ? n : live->own_len;
  fp_tracker_feed(&s->tracker, live->own, n);
  fp_live_note_sent(live, live->own, n, true);
  memmove(live->own, live->own + n, live->own_len - n);
  live->own_len -= n;
}

int fp_live_rearm(fp_session_t *s)
{
  return send_own_due(s, false);
}

int fp_live_collect(fp_session_t *s)
{
  return s->live.own_len && s->transport->cancel_write ? send_own_due(s, false) : FP_OK;
}

/* As hear(), and FP_ERROR_CANCELED once the job is canceled at all. */
static int listen_for(fp_session_t *s, int ms)
{
  int r = fp_session_canceled(s) ? FP_ERROR_CANCELED : hear(s, ms);

  return r == FP_OK && fp_session_canceled(s) ? FP_ERROR_CANCELED : r;
}

/*
 * Sends the language's completion query under a fresh ID (`salt` keeps the
 * job's and a flush's apart): 1 sent, 0 nothing to ask, -1 not all sent.
 */
static int ask_done(fp_session_t *s, unsigned salt)
{
  fp_live_t *live = &s->live;
  uint8_t    query[64];
  size_t     len = 0;

  snprintf(live->done_id, sizeof(live->done_id), "%04u", (unsigned)((getpid() + salt) % 10000));
  live->done = false;
  if (live->language->done_query)
    len = live->language->done_query(live->done_id, query, sizeof(query));
  if (!len)
    return 0;
  return send_own(s, query, len) ? 1 : -1;
}

/*
 * A polled language's completion: an answer to a query sent after own query
 * number `after` says the printer holds nothing unprinted (ZPL: no format
 * in the receive buffer or being received, no label of a batch left).
 */
static bool polled_all_printed(const fp_live_t *live, uint64_t after)
{
  return live->polled && live->heard > after && live->queued == 0;
}

/* A polled language's verification: an answer to a query sent after number `after`, given
   between commands (ZPL: no format being received). */
static bool polled_at_command_level(const fp_live_t *live, uint64_t after)
{
  return live->polled && live->heard > after && !live->partial;
}

/*
 * Whether confirm= or verify= (`mode`) asks the printer this job, its
 * language's status being on: off never; on always (the queue says the
 * printer knows the question); auto with status=on, or where the question is
 * the language's blind-safe probe itself (ZPL's ~HS: a printer of the
 * language that lacks it prints nothing) -- not where it is a command a
 * printer that answered the probe may still lack and print (ESC/POS
 * GS ( H: a clone that answers DLE EOT may print its bytes).
 */
static bool asks(const fp_session_t *s, int mode, const fp_status_language_t *l)
{
  if (!l || mode == FP_STATUS_MODE_OFF)
    return false;
  return mode == FP_STATUS_MODE_ON || s->opts->status_mode == FP_STATUS_MODE_ON
         || (l->probe_blind && !l->done_query);
}

/*
 * Where confirm= asks (see asks()), after the job's last byte: asks the
 * printer to confirm it has printed everything (ESC/POS: GS ( H fn 48,
 * answered only once the data before it has printed; PJL: ECHO, answered
 * once the data before it has been parsed -- a page printer may still be
 * printing it; ZPL, DYMO, EPL: the probe, asked every DRAIN_STEP_MS until an
 * answer counts nothing unprinted) and waits for that
 * answer -- without a time limit while the printer reports a condition a
 * person must fix, else up to CONFIRM_MS (what the printer has buffered may
 * take that long to print), keeping the connection open (a printer may drop
 * what it has not answered when the host closes).  FP_ERROR_UNCONFIRMED
 * when no answer came.
 */
int fp_live_confirm(fp_session_t *s)
{
  const int  stall_ms = CONFIRM_MS;
  fp_live_t *live = &s->live;
  int64_t    deadline;
  uint64_t   after = live->asked;
  long       left = -1; /* what the printer said it holds unprinted, at the last progress */
  int        status;

  if (!asks(s, s->opts->confirm_mode, live->language))
    return FP_OK;
  /* A refused debt: the printer may still be in that command (or, in ZPL, have another
     tilde), and take the question as data or text. */
  if (s->state.refused)
  {
    fp_log("INFO", "The printer was not asked to confirm the job: the flush at its end could "
           "not complete the command it was in");
    return FP_OK;
  }
  live->done = false;
  if (live->polled)
    status = send_own_due(s, true) ? -1 : 1;
  else if (!(status = ask_done(s, 0)))
    return FP_OK;
  if (status < 0)
    return FP_ERROR_IO;
  deadline = fp_monotonic_ms() + stall_ms;
  while (!(live->done = live->done || polled_all_printed(live, after)))
  {
    /* A polled printer whose count of what it holds unprinted goes down is printing. */
    bool printing = live->polled && live->heard > after && live->queued >= 0
                    && (left < 0 || live->queued < left);

    if (printing)
      left = live->queued;
    if (fp_live_blocked(live) || printing)
      deadline = fp_monotonic_ms() + stall_ms;
    else if (fp_ms_until(deadline) == 0)
    {
      fp_log("ERROR", "The printer did not confirm within %d ms that it printed the job",
             stall_ms);
      return FP_ERROR_UNCONFIRMED;
    }
    /* Asked again at most every DRAIN_STEP_MS -- but at once the first time after the job. */
    if ((status = listen_for(s, DRAIN_STEP_MS))
        || (live->polled && (live->asked == after
                             || fp_monotonic_ms() - live->asked_at >= DRAIN_STEP_MS)
            && (status = send_own_due(s, true))))
      return status;
  }
  fp_log("INFO", "The printer confirmed it printed the job");
  return FP_OK;
}

/*
 * A polled language's question after a flush, sent whole (the job may go on
 * on this connection: no own byte may stay in flight): once the queries
 * still out are answered (or `deadline` passes), the probe, as own query
 * number `*after` + 1.  1 sent, -1 not (`*heard`: why, when the wait failed).
 */
static int ask_polled(fp_session_t *s, int64_t deadline, int *heard, uint64_t *after)
{
  fp_live_t *live = &s->live;

  while (live->heard < live->asked && fp_ms_until(deadline) > 0
         && (*heard = hear(s, fp_ms_until(deadline))) == FP_OK)
    continue;
  *after = live->asked;
  if (live->own_len || *heard || !send_own(s, live->language->probe, live->language->probe_len))
    return -1;
  live->asked++;
  live->asked_at = fp_monotonic_ms();
  return 1;
}

/* The status language of the job's tracker, or NULL. */
static const fp_status_language_t *tracker_status(const fp_session_t *s)
{
  return s->tracker.language ? fp_status_language_find(s->tracker.language->name) : NULL;
}

bool fp_live_verifies(const fp_session_t *s)
{
  bool trusted = s->opts->verify_mode == FP_STATUS_MODE_ON
                 || (s->opts->verify_mode == FP_STATUS_MODE_AUTO
                     && s->opts->status_mode == FP_STATUS_MODE_ON);

  /* After a refused debt the printer may still be inside that command: ask nothing. */
  if (s->opts->status_mode == FP_STATUS_MODE_OFF || !s->conn || s->state.refused)
    return false;
  if (s->live.language)
    return asks(s, s->opts->verify_mode, s->live.language);
  /* Not heard this job (a recovery comes before the probe): only where the queue vouches. */
  return trusted && !why_off(s, tracker_status(s), true);
}

/*
 * After a flush (`what`: "the cancel's flush", "the recovery's flush"),
 * where fp_live_verifies(): asks a question that only a parser at command
 * level answers (ESC/POS: GS ( H fn 48, which the printer answers once
 * everything before it, the reset included, has been processed; PJL:
 * UEL @PJL ECHO, answered by a printer back at PJL command level; ZPL: ~HS,
 * which a printer answers even inside a format, so only an answer saying no
 * format is being received counts; DYMO, EPL: any answer to the probe,
 * whose bytes inside a raster line would be pixels) and waits for the answer
 * for timeout=, at least VERIFY_MIN_MS.  Returns false only when the
 * question went out and was not answered; the caller decides what that
 * costs.
 */
bool fp_live_verify(fp_session_t *s, const char *what)
{
  const fp_status_language_t *l = tracker_status(s);
  bool                        temporary = !s->live.language, confirmed = true;
  int                         bound = s->opts->timeout_ms > VERIFY_MIN_MS ? s->opts->timeout_ms
                                                                          : VERIFY_MIN_MS;
  int64_t                     start = fp_monotonic_ms(), deadline = start + bound;
  int                         asked, heard = FP_OK;
  uint64_t                    after = 0;

  if (!fp_live_verifies(s))
    return true;
  if (temporary)
    fp_live_start(&s->live, l, s->job.back_fd);
  s->live.done = false;
  if (s->live.polled)
    asked = ask_polled(s, deadline, &heard, &after);
  else
    asked = ask_done(s, 5000);
  if (asked)
  {
    /* A SIGTERM not yet acknowledged or a broken link ends the wait early. */
    while (asked > 0 && !(s->live.done = s->live.done || polled_at_command_level(&s->live, after))
           && fp_ms_until(deadline) > 0 && (heard = hear(s, fp_ms_until(deadline))) == FP_OK)
      continue;
    if ((confirmed = s->live.done))
      fp_log("INFO", "Printer confirmed it is back at command level after %s (%" PRId64 " ms)",
             what, fp_monotonic_ms() - start);
    else if (asked < 0 || heard)
      fp_log("WARNING", "Printer was not asked or not heard out after %s (%s); it may need "
             "attention", what, fp_strerror(asked < 0 ? FP_ERROR_IO : heard));
    else
      fp_log("WARNING", "Printer did not confirm within %d ms that it is back at command level "
             "after %s; it may need attention", bound, what);
  }
  s->live.done_id[0] = '\0';
  if (temporary)
  {
    fp_live_finish(&s->live);
    fp_live_off(&s->live);
  }
  return confirmed;
}

/*
 * A cancel that came while the printer reports a condition a person must
 * fix (paper out...): its flush cannot reach the printer, so the backend
 * listens for up to `ms` until the condition clears.  false when it did not
 * (or a further SIGTERM or a broken link ended the wait).
 */
bool fp_live_await_ready(fp_session_t *s, int ms)
{
  int64_t deadline = fp_monotonic_ms() + ms;

  if (!fp_live_blocked(&s->live) || !s->conn)
    return true;
  fp_log("INFO", "The printer cannot read the cancel's flush until it is fixed; waiting up to "
         "%d ms", ms);
  while (fp_live_blocked(&s->live) && fp_ms_until(deadline) > 0
         && hear(s, fp_ms_until(deadline)) == FP_OK)
    continue;
  return !fp_live_blocked(&s->live);
}

/*
 * The end of the job: waits until the device has everything, like the
 * transport's drain, but listening to the printer meanwhile -- a paper-out
 * in the job's tail (the rest already queued in the kernel) waits without
 * a time limit too, and only `stall_ms` without progress and without such a
 * condition fails.  A cancel ends the wait (FP_ERROR_CANCELED).
 */
int fp_live_drain(fp_session_t *s, int stall_ms)
{
  int64_t  deadline = fp_monotonic_ms() + stall_ms;
  uint64_t left;

  if (!fp_live_on(&s->live))
    return s->transport->drain(s->conn, stall_ms);
  left = s->transport->queued ? s->transport->queued(s->conn) : 0;
  for (;;)
  {
    int      status = s->transport->drain(s->conn, DRAIN_STEP_MS);
    uint64_t now_left;

    if (status != FP_ERROR_TIMEOUT)
      return status;
    /* No progress for a step: hear what the printer said meanwhile, then decide.  A slow
       printer with a small buffer opens its window only every second or so: what it took
       since the last step is progress, and timeout= counts from there.  A polled language
       is asked again (a paper-out in the tail shows only in an answer). */
    if ((status = listen_for(s, 0)) || (status = send_own_due(s, true)))
      return status;
    now_left = s->transport->queued ? s->transport->queued(s->conn) : 0;
    if (fp_live_blocked(&s->live) || now_left < left)
      deadline = fp_monotonic_ms() + stall_ms;
    else if (fp_ms_until(deadline) == 0)
      return FP_ERROR_TIMEOUT;
    left = now_left;
  }
}

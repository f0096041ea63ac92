/*
 * The job's data path (session.h): input -> buffer -> transport.  With
 * banding on (band=, ESC/POS jobs), the buffer's bytes go through the
 * bander (band.h) into a second buffer, `wire`, which is what the device is
 * offered.  The tracker, the journal and the byte counts follow only the
 * bytes the device accepted, as it received them; the loop also serves the
 * side channel and forwards the back channel, and stops on SIGTERM, at the
 * end of the input or on a failed write.
 */

#include "session.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "flushprinter.h"
#include "log.h"
#include "status.h"

/* Mark the device dirty for this job before its first byte goes out. */
static void journal_start(fp_session_t *s)
{
  s->state.dirty = true;
  s->state.job_id = s->job.job_id;
  s->state.pid = (int)getpid();
  s->state.accepted = 0;
  s->state.refused = 0;
  snprintf(s->state.language, sizeof(s->state.language), "%s", s->tracker.language->name);
  memset(&s->state.owed, 0, sizeof(s->state.owed));
  fp_device_journal(s, true);
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
  if ((status = fp_live_collect(s)) || (status = s->transport->read(s->conn, data, sizeof(data),
                                                                     &got)))
    return status;
  if (s->live.language)
    fp_live_feed(&s->live, data, got); /* replies to the backend stay here, the rest goes on */
  else
    fp_back_channel_pass_on(s->job.back_fd, data, got);
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

/* Banding: give out the header the bander holds (the job paused or ended there). */
static void release_held(fp_session_t *s)
{
  if (s->banding && s->wire_off == s->wire_len && s->band.held_len)
  {
    s->wire_off = 0;
    s->wire_len = fp_band_release(&s->band, s->wire, sizeof(s->wire));
  }
}

/* true while job data waits to go out (read, or banded, and not accepted yet). */
bool fp_stream_pending(fp_session_t *s)
{
  if (s->input_eof && s->buf_len == s->buf_off)
    release_held(s); /* the job's last bytes */
  return s->wire_len > s->wire_off || s->buf_len > s->buf_off;
}

/*
 * The bytes to offer the device next (`*len` of them): the buffer's, or
 * with banding the wire buffer's, refilled through the bander once the
 * device has taken all of it (a transport may hold an offer in flight).
 */
static const uint8_t *outgoing(fp_session_t *s, size_t *len)
{
  if (!s->banding)
  {
    *len = s->buf_len - s->buf_off;
    return s->buf + s->buf_off;
  }
  if (s->wire_off == s->wire_len)
  {
    s->wire_off = 0;
    s->buf_off += fp_band_run(&s->band, s->buf + s->buf_off, s->buf_len - s->buf_off, s->wire,
                              sizeof(s->wire), &s->wire_len);
    if (s->buf_off == s->buf_len)
      s->buf_off = s->buf_len = 0;
  }
  *len = s->wire_len - s->wire_off;
  return s->wire + s->wire_off;
}

/* The device accepted the next `n` bytes offered: tracker, counters, journal. */
static void account_sent(fp_session_t *s, size_t n)
{
  const uint8_t *sent = s->banding ? s->wire + s->wire_off : s->buf + s->buf_off;

  if (n)
  {
    fp_tracker_feed(&s->tracker, sent, n);
    fp_live_note_sent(&s->live, sent, n, false);
    *(s->banding ? &s->wire_off : &s->buf_off) += n;
    s->accepted += n;
    fp_device_journal_progress(s, false);
  }
  if (s->buf_off == s->buf_len)
    s->buf_off = s->buf_len = 0;
  if (s->wire_off == s->wire_len)
    s->wire_off = s->wire_len = 0;
}

/*
 * With a polled language's query due (ZPL ~HS, DYMO ESC A), the job bytes
 * to offer before it: up to the first command boundary in them, found on a
 * copy of the tracker, so that the query goes out as soon as the printer is
 * between commands rather than when a write happens to end there.  Not
 * while a write is in flight (USB: the same bytes are offered again).
 */
static size_t poll_split(const fp_session_t *s, const uint8_t *out, size_t len)
{
  fp_tracker_t    ahead;
  fp_completion_t owed;

  if (!fp_live_poll_due(&s->live, false) || s->data_in_flight)
    return len;
  ahead = s->tracker;
  for (size_t i = 0; i < len; i++)
  {
    fp_tracker_feed(&ahead, out + i, 1);
    if (!fp_tracker_completion(&ahead, &owed))
      return i + 1;
  }
  return len;
}

/*
 * Send buffered job data the device takes now; feeds the tracker and the
 * journal.  Once all that was offered is taken, the rest is offered at
 * once: with banding, bytes may wait in the buffer behind a wire buffer
 * just emptied, and a transport that wakes poll() only for a write in
 * flight (USB) would otherwise never wake the loop for them.
 */
static int push_buffer(fp_session_t *s)
{
  for (;;)
  {
    size_t         n = 0, len;
    const uint8_t *out;
    int            status;

    /* The backend's own status bytes first, then job data up to a reset that may need them. */
    if ((status = fp_live_rearm(s)) || s->live.own_len)
      return status;
    out = outgoing(s, &len);
    if (!len)
      return FP_OK; /* all sent, or the bander holds a header until more of it comes */
    if (!s->journaled)
      journal_start(s);
    len = poll_split(s, out, fp_live_split(&s->live, out, len));
    status = s->transport->write(s->conn, out, len, &n);
    s->data_in_flight = s->transport->cancel_write && n < len && status == FP_OK;
    account_sent(s, n);
    if (status || n < len)
      return status;
  }
}

/* Stop a write the transport left in flight and count what of it the device took. */
int fp_stream_settle(fp_session_t *s)
{
  size_t n = 0;
  int    status = fp_transport_cancel_write(s->transport, s->conn, &n);

  /* What was in flight: the backend's own bytes while any wait, else job data. */
  if (s->live.own_len)
    fp_live_own_taken(s, n);
  else
    account_sent(s, n);
  s->data_in_flight = false;
  return status;
}

/* The streaming loop: input -> device, serving the side channel, until done/cancel/failure. */
fp_stream_end_t fp_stream_run(fp_session_t *s, bool until_data, int *failure)
{
  int64_t stall_deadline = 0;
  bool    was_blocked = false; /* the printer said a person must act, at the last look */

  /*
   * Data buffered before this call (the first bytes, read before detection)
   * is offered at once: a transport whose descriptor wakes poll() only for
   * transfers in flight (USB on a timer) would otherwise wait for nothing.
   */
  if (!until_data && fp_stream_pending(s) && !fp_session_canceled(s)
      && (*failure = push_buffer(s)))
    return FP_STREAM_FAILED;

  for (;;)
  {
    struct pollfd pfd[4];
    bool          pending = fp_stream_pending(s);
    short         listen = fp_transport_read_events(s->transport, s->conn);
    int           timeout = -1, n;

    if (fp_session_canceled(s))
      return FP_STREAM_CANCELED;
    if (!pending && s->input_eof)
      return FP_STREAM_DONE;
    if (pending && until_data)
      return FP_STREAM_DATA;
    if (!pending)
      stall_deadline = 0; /* waiting for job data (the bander may hold a header meanwhile) */

    pfd[0] = (struct pollfd){ .fd = s->job.cancel_fd, .events = POLLIN };
    pfd[1] = (struct pollfd){ .fd = pending ? -1 : s->job.input_fd, .events = POLLIN };
    pfd[2] = (struct pollfd){ .fd = s->transport->poll_fd(s->conn),
                              .events = (short)((pending ? s->transport->write_events : 0)
                                                | listen) };
    pfd[3] = (struct pollfd){ .fd = fp_server_fd(s->server), .events = POLLIN };
    if (pending)
    {
      if (!stall_deadline)
        stall_deadline = fp_monotonic_ms() + s->opts->timeout_ms;
      timeout = fp_ms_until(stall_deadline);
    }
    if (fp_server_timeout(s->server) >= 0
        && (timeout < 0 || timeout > fp_server_timeout(s->server)))
      timeout = fp_server_timeout(s->server);

    n = poll(pfd, 4, timeout);
    if (n < 0 && errno != EINTR)
    {
      *failure = FP_ERROR_IO;
      return FP_STREAM_FAILED;
    }
    if (fp_session_canceled(s))
      return FP_STREAM_CANCELED;
    if (n > 0 && (pfd[3].revents & (POLLIN | POLLHUP | POLLERR)))
      fp_server_serve(s->server);
    fp_server_expire(s->server);
    if (fp_session_canceled(s))
      return FP_STREAM_CANCELED;
    if (n > 0 && (pfd[2].revents & (POLLIN | POLLHUP | POLLERR))
        && ((*failure = listen ? pump_back_channel(s) : FP_OK)
            || (!listen && (pfd[2].revents & (POLLHUP | POLLERR)))))
    {
      /* A hang-up on a write-only device would otherwise wake poll() forever. */
      if (!*failure)
        *failure = FP_ERROR_DEVICE_CLOSED;
      fp_log("ERROR", "%s", fp_strerror(*failure));
      return FP_STREAM_FAILED;
    }
    /* Only into an empty buffer: a side-channel DRAIN_OUTPUT above may have refilled it. */
    if (n > 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) && s->buf_len == s->buf_off)
      fill_buffer(s);
    if (!until_data && fp_stream_pending(s))
    {
      size_t before = s->accepted;
      bool   blocked;

      if ((*failure = push_buffer(s)))
        return FP_STREAM_FAILED;
      fp_live_hear_port(s);
      /* A printer that says a person must act (paper out...) waits without a time limit,
         and timeout= counts afresh from when it says that has been fixed. */
      blocked = fp_live_blocked(&s->live);
      if (s->accepted != before || !pending || blocked || was_blocked)
        stall_deadline = 0;
      else if (fp_ms_until(stall_deadline) == 0)
      {
        fp_log("ERROR", "The printer accepted nothing for %d ms", s->opts->timeout_ms);
        *failure = FP_ERROR_TIMEOUT;
        return FP_STREAM_FAILED;
      }
      was_blocked = blocked;
    }
  }
}

/* Read more job data after what is buffered, waiting up to `wait_ms`; false when none can come. */
bool fp_stream_read_more(fp_session_t *s, int wait_ms)
{
  ssize_t n;

  if (s->buf_off)
  {
    memmove(s->buf, s->buf + s->buf_off, s->buf_len - s->buf_off);
    s->buf_len -= s->buf_off;
    s->buf_off = 0;
  }
  if (!s->job.from_filters || s->input_eof || s->buf_len == sizeof(s->buf)
      || fp_wait_fd(s->job.input_fd, POLLIN, s->job.cancel_fd, wait_ms) <= 0)
    return false;
  n = read(s->job.input_fd, s->buf + s->buf_len, sizeof(s->buf) - s->buf_len);
  if (n > 0)
    s->buf_len += (size_t)n;
  else if (n == 0)
    s->input_eof = true;
  return n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR));
}

/* Drop job data read but not sent, and what the input holds right now. */
void fp_stream_discard_input(fp_session_t *s)
{
  uint8_t scratch[8192];

  fp_stream_settle(s); /* what is in flight counts before the buffer goes */
  s->live.own_len = 0; /* the flush completes an own command cut short, as the tracker saw it */
  s->buf_off = s->buf_len = 0;
  s->wire_off = s->wire_len = 0;
  fp_band_reset(&s->band); /* after a flush the printer is between commands */
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
int fp_stream_drain_output(fp_session_t *s)
{
  int status = FP_OK;

  if (!s->conn)
    return FP_ERROR_IO;
  if (s->live.own_len)
  {
    /* The backend's own bytes still waiting (a query, an arming) go first, whole: offered
       again as they were (USB: perhaps in flight), never with job bytes after a part. */
    size_t taken = 0;

    status = fp_transport_write_all(s->transport, s->conn, s->live.own, s->live.own_len,
                                    s->opts->timeout_ms, s->job.cancel_fd, &taken);
    fp_live_own_taken(s, taken);
    if (status)
      return status;
  }
  for (;;)
  {
    size_t         accepted = 0, len;
    const uint8_t *out;

    if (!fp_stream_pending(s))
    {
      if (!s->input_eof)
        fill_buffer(s);
      if (!fp_stream_pending(s))
        release_held(s); /* nothing more in the pipe right now: the drain takes it all */
      if (!fp_stream_pending(s))
        break;
    }
    if (!(out = outgoing(s, &len), len))
      continue; /* the bander took the buffer into a header it holds */
    if (!s->journaled)
      journal_start(s);
    status = fp_transport_write_all(s->transport, s->conn, out, len, s->opts->timeout_ms,
                                    s->job.cancel_fd, &accepted);
    account_sent(s, accepted);
    if (status)
      return status;
  }
  s->data_in_flight = false; /* all written */
  return s->transport->drain(s->conn, s->opts->timeout_ms);
}


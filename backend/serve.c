/*
 * The backend's side of the CUPS side channel.  Messages are framed by their
 * length (sidechannel.c), so requests split or coalesced by the socket are
 * answered one by one; a malformed or unknown request gets BAD_MESSAGE and
 * the channel keeps working.
 */

#include "serve.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "common.h"
#include "flushprinter.h"
#include "log.h"

#define FLUSH_BUFFER_MAX  (16u << 20) /* largest flush buffer a filter may send */
#define FLUSH_IDLE_MAX    FP_WAIT_LIMIT_MS /* longest quiet window a filter may ask for (= idle=) */

/*
 * Send one reply without ever waiting: a peer whose socket buffer is full
 * has stopped reading its replies, and waiting for it would hold the job
 * and its cancel hostage.  Such a peer (or one gone) is dropped.
 */
static void reply(fp_session_t *s, uint8_t command, uint8_t status, const void *data, size_t len)
{
  int sent;

  if (s->job.side_fd < 0
      || (sent = fp_sc_send(s->job.side_fd, command, status, data, len, 0)) == FP_OK)
    return;
  if (sent == FP_ERROR_TIMEOUT)
    fp_log("WARNING", "A filter does not read its side-channel replies; closing the side channel");
  else
    fp_log("DEBUG", "flushprinter: side channel reply failed (%s); closing it", fp_strerror(sent));
  close(s->job.side_fd);
  s->job.side_fd = -1;
}

/*
 * true once a canceled job's flush is done and its quiet window runs: the
 * device is not touched again, whatever the filters ask.
 */
static bool quiet_after_flush(const fp_session_t *s)
{
  return fp_session_canceled(s) && s->quiet_until > fp_realtime_ms();
}

/* FLUSH BEGIN: idle_ms, total length.  Only a canceled job may be flushed. */
static int flush_begin(fp_session_t *s, const fp_sc_message_t *m)
{
  uint32_t total;

  if (m->len != 9)
    return FP_ERROR_PROTOCOL;
  if (s->filter_flushed)
    return FP_ERROR_ALREADY_FLUSHED;
  /* The filter may have seen its SIGTERM a moment before we see ours. */
  if (!fp_session_canceled(s))
    fp_wait_fd(-1, 0, s->job.cancel_fd, s->opts->grace_ms);
  if (!fp_session_canceled(s))
    return FP_ERROR_NO_FAILED_WRITE;
  if (quiet_after_flush(s))
    return FP_ERROR_ALREADY_FLUSHED; /* a late request: the backend flushed already */
  total = fp_get_be32(m->data + 5);
  if (total > FLUSH_BUFFER_MAX)
    return FP_ERROR_INVALID_ARGUMENT;
  free(s->flush_buf);
  if (!(s->flush_buf = malloc(total ? total : 1)))
    return FP_ERROR_NO_MEMORY;
  s->flush_idle = fp_get_be32(m->data + 1);
  s->flush_expected = total;
  s->flush_len = 0;
  s->flush_open = true;
  return FP_OK;
}

/* FLUSH DATA: the next piece of the buffer. */
static int flush_data(fp_session_t *s, const fp_sc_message_t *m)
{
  size_t n = m->len - 1u;

  if (!s->flush_open || n > s->flush_expected - s->flush_len)
  {
    s->flush_open = false;
    return FP_ERROR_PROTOCOL;
  }
  memcpy(s->flush_buf + s->flush_len, m->data + 1, n);
  s->flush_len += n;
  return FP_OK;
}

/* FLUSH END: carry out the filter's flush; `counts` gets written, padding, idle. */
static int flush_end(fp_session_t *s, uint8_t *counts)
{
  fp_session_flush_t result = { 0 };
  int                status;

  if (!s->flush_open || s->flush_len != s->flush_expected)
  {
    s->flush_open = false;
    return FP_ERROR_PROTOCOL;
  }
  s->flush_open = false;
  if (quiet_after_flush(s))
    return FP_ERROR_ALREADY_FLUSHED;
  s->filter_flushed = true;
  fp_session_discard_input(s);
  fp_log("DEBUG", "flushprinter: filter flush request: %zu bytes, idle %u ms", s->flush_len,
         s->flush_idle);
  status = fp_session_flush(s, s->flush_buf, s->flush_len,
                            s->flush_idle > FLUSH_IDLE_MAX ? FLUSH_IDLE_MAX : (int)s->flush_idle,
                            &result);
  fp_put_be64(counts, result.written);
  fp_put_be64(counts + 8, result.padding);
  fp_put_be32(counts + 16, (uint32_t)result.idle_ms);
  return status;
}

/* The private FLUSH command: every request gets a status byte, END also the counts. */
static void answer_flush(fp_session_t *s, const fp_sc_message_t *m)
{
  uint8_t data[21] = { 0 };
  size_t  len = 1;
  int     status = FP_ERROR_PROTOCOL;

  if (m->len >= 1)
    switch (m->data[0])
    {
      case FP_SC_FLUSH_BEGIN: status = flush_begin(s, m); break;
      case FP_SC_FLUSH_DATA: status = flush_data(s, m); break;
      case FP_SC_FLUSH_END:
        status = flush_end(s, data + 1);
        len = sizeof(data);
        break;
      default: break;
    }
  data[0] = (uint8_t)-status;
  reply(s, FP_SC_CMD_FLUSH,
        status == FP_OK ? FP_SC_STATUS_OK
                        : status == FP_ERROR_PROTOCOL ? FP_SC_STATUS_BAD_MESSAGE
                                                      : FP_SC_STATUS_IO_ERROR,
        data, len);
}

/* SOFT_RESET: drop pending data, flush with the queue's defaults, stay quiet. */
static void answer_soft_reset(fp_session_t *s)
{
  int status;

  if (quiet_after_flush(s))
  {
    /* The printer was just flushed and must stay quiet: nothing more to do. */
    fp_log("DEBUG", "flushprinter: SOFT_RESET during the quiet window; the printer was flushed "
           "already");
    reply(s, FP_SC_CMD_SOFT_RESET, FP_SC_STATUS_OK, NULL, 0);
    return;
  }
  fp_session_discard_input(s);
  status = fp_session_flush(s, s->opts->reset, s->opts->reset_len, s->opts->idle_ms, NULL);
  reply(s, FP_SC_CMD_SOFT_RESET, status ? FP_SC_STATUS_IO_ERROR : FP_SC_STATUS_OK, NULL, 0);
  /* Quiet before more job data; a cancel meanwhile holds the rest of the window itself. */
  fp_session_sleep_until(s->quiet_until, s->job.cancel_fd);
}

/* GET_STATE: online/busy/error bits as CUPS_SC_STATE_*. */
static uint8_t device_state(const fp_session_t *s)
{
  uint8_t bits = s->conn ? FP_SC_STATE_ONLINE : 0, device = 0;

  if (s->conn && s->transport->device_state && s->transport->device_state(s->conn, &device) == FP_OK)
    bits = device; /* the printer's own word: online or not, paper, error */

  if (s->buf_len > s->buf_off)
    bits |= FP_SC_STATE_BUSY;
  if (s->failed || s->connecting)
    bits |= FP_SC_STATE_ERROR;
  return bits;
}

/* Answer one request. */
static void answer(fp_session_t *s, const fp_sc_message_t *m)
{
  char    id[1024];
  uint8_t byte;
  int     status;

  switch (m->command)
  {
    case FP_SC_CMD_SOFT_RESET: answer_soft_reset(s); break;
    case FP_SC_CMD_DRAIN_OUTPUT:
      status = fp_session_drain_output(s);
      reply(s, m->command,
            status == FP_OK ? FP_SC_STATUS_OK
                            : status == FP_ERROR_TIMEOUT ? FP_SC_STATUS_TIMEOUT
                                                         : FP_SC_STATUS_IO_ERROR,
            NULL, 0);
      break;
    case FP_SC_CMD_GET_BIDI:
      byte = fp_transport_bidirectional(s->transport, s->conn);
      reply(s, m->command, FP_SC_STATUS_OK, &byte, 1);
      break;
    case FP_SC_CMD_GET_DEVICE_ID:
      if (s->conn && s->transport->device_id(s->conn, id, sizeof(id)) == FP_OK)
        reply(s, m->command, FP_SC_STATUS_OK, id, strlen(id));
      else
        reply(s, m->command, FP_SC_STATUS_NOT_IMPLEMENTED, NULL, 0);
      break;
    case FP_SC_CMD_GET_STATE:
      byte = device_state(s);
      reply(s, m->command, FP_SC_STATUS_OK, &byte, 1);
      break;
    case FP_SC_CMD_GET_CONNECTED:
      byte = s->conn != NULL;
      reply(s, m->command, FP_SC_STATUS_OK, &byte, 1);
      break;
    case FP_SC_CMD_SNMP_GET:
    case FP_SC_CMD_SNMP_GET_NEXT: reply(s, m->command, FP_SC_STATUS_NOT_IMPLEMENTED, NULL, 0); break;
    case FP_SC_CMD_FLUSH: answer_flush(s, m); break;
    default:
      fp_log("DEBUG", "flushprinter: unknown side-channel command %u", m->command);
      reply(s, m->command, FP_SC_STATUS_BAD_MESSAGE, NULL, 0);
      break;
  }
}

/* Read what the side channel holds and answer every complete request. */
void fp_serve_side_channel(fp_session_t *s)
{
  int status;

  if (s->job.side_fd < 0)
    return;
  status = fp_sc_reader_fill(s->sc, s->job.side_fd);
  while (s->job.side_fd >= 0 && fp_sc_reader_next(s->sc, s->msg))
    answer(s, s->msg);
  if (status && s->job.side_fd >= 0)
  {
    /* Every filter closed the channel (or it broke): stop watching it. */
    fp_log("DEBUG", "flushprinter: side channel closed");
    s->job.side_fd = -1;
  }
}

/*
 * Answer a partial message stuck too long with BAD_MESSAGE, under its own
 * command byte so that the filter waiting for it gets an answer it accepts.
 */
bool fp_serve_expire(fp_session_t *s)
{
  uint8_t command = s->sc->have ? s->sc->buf[0] : 0;

  if (s->job.side_fd < 0 || !fp_sc_reader_expire(s->sc, FP_SERVE_STALE_MS))
    return false;
  reply(s, command, FP_SC_STATUS_BAD_MESSAGE, NULL, 0);
  return true;
}

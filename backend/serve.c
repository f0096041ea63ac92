/*
 * The backend's side of the CUPS side channel (serve.h).  Messages are framed
 * by their length (sidechannel.c), so requests split or coalesced by the
 * socket are answered one by one; a malformed or unknown request gets
 * BAD_MESSAGE and the channel keeps working.  Everything about the device
 * and the job is asked of the job through fp_serve_ops_t.
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
#include "sidechannel.h"

#define FLUSH_BUFFER_MAX  (16u << 20) /* largest flush buffer a filter may send */
#define FLUSH_IDLE_MAX    FP_WAIT_LIMIT_MS /* longest quiet window a filter may ask for (= idle=) */

struct fp_server_s
{
  int                   fd;             /* the channel, -1 once closed */
  const fp_serve_ops_t *ops;
  void                 *job;
  fp_sc_reader_t        reader;         /* reassembly of requests */
  fp_sc_message_t       msg;            /* one request, scratch */
  uint8_t              *flush_buf;      /* a filter's flush buffer being received */
  size_t                flush_len, flush_expected;
  uint32_t              flush_idle;
  bool                  flush_open;     /* FLUSH BEGIN seen, END not yet */
  bool                  filter_flushed; /* a filter's flush was carried out */
};

/*
 * Send one reply without ever waiting: a peer whose socket buffer is full
 * has stopped reading its replies, and waiting for it would hold the job
 * and its cancel hostage.  Such a peer (or one gone) is dropped.
 */
static void reply(fp_server_t *s, uint8_t command, uint8_t status, const void *data, size_t len)
{
  int sent;

  if (s->fd < 0
      || (sent = fp_sc_send(s->fd, command, status, data, len, 0)) == FP_OK)
    return;
  if (sent == FP_ERROR_TIMEOUT)
    fp_log("WARNING", "A filter does not read its side-channel replies; closing the side channel");
  else
    fp_log("DEBUG", "flushprinter: side channel reply failed (%s); closing it", fp_strerror(sent));
  close(s->fd);
  s->fd = -1;
}

/*
 * true once a canceled job's flush is done and its quiet window runs: the
 * device is not touched again, whatever the filters ask.
 */
static bool quiet_after_flush(const fp_server_t *s)
{
  return s->ops->quiet(s->job);
}

/* FLUSH BEGIN: idle_ms, total length.  Only a canceled job may be flushed. */
static int flush_begin(fp_server_t *s, const fp_sc_message_t *m)
{
  uint32_t total;

  if (m->len != 9)
    return FP_ERROR_PROTOCOL;
  if (s->filter_flushed)
    return FP_ERROR_ALREADY_FLUSHED;
  /* The filter may have seen its SIGTERM a moment before we see ours. */
  if (!s->ops->canceled(s->job, true))
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
static int flush_data(fp_server_t *s, const fp_sc_message_t *m)
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
static int flush_end(fp_server_t *s, uint8_t *counts)
{
  fp_flush_report_t result = { 0 };
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
  fp_log("DEBUG", "flushprinter: filter flush request: %zu bytes, idle %u ms", s->flush_len,
         s->flush_idle);
  status = s->ops->flush(s->job, s->flush_buf, s->flush_len,
                         s->flush_idle > FLUSH_IDLE_MAX ? FLUSH_IDLE_MAX : (int)s->flush_idle,
                         &result);
  fp_put_be64(counts, result.written);
  fp_put_be64(counts + 8, result.padding);
  fp_put_be32(counts + 16, (uint32_t)result.idle_ms);
  return status;
}

/* The private FLUSH command: every request gets a status byte, END also the counts. */
static void answer_flush(fp_server_t *s, const fp_sc_message_t *m)
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
static void answer_soft_reset(fp_server_t *s)
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
  status = s->ops->flush(s->job, NULL, 0, -1, NULL);
  reply(s, FP_SC_CMD_SOFT_RESET, status ? FP_SC_STATUS_IO_ERROR : FP_SC_STATUS_OK, NULL, 0);
  /* Quiet before more job data; a cancel meanwhile holds the rest of the window itself. */
  s->ops->hold_quiet(s->job);
}

/* Answer one request. */
static void answer(fp_server_t *s, const fp_sc_message_t *m)
{
  char    id[1024];
  uint8_t byte;
  int     status;

  switch (m->command)
  {
    case FP_SC_CMD_SOFT_RESET: answer_soft_reset(s); break;
    case FP_SC_CMD_DRAIN_OUTPUT:
      status = s->ops->drain_output(s->job);
      reply(s, m->command,
            status == FP_OK ? FP_SC_STATUS_OK
                            : status == FP_ERROR_TIMEOUT ? FP_SC_STATUS_TIMEOUT
                                                         : FP_SC_STATUS_IO_ERROR,
            NULL, 0);
      break;
    case FP_SC_CMD_GET_BIDI:
      byte = s->ops->bidirectional(s->job);
      reply(s, m->command, FP_SC_STATUS_OK, &byte, 1);
      break;
    case FP_SC_CMD_GET_DEVICE_ID:
      if (s->ops->device_id(s->job, id, sizeof(id)) == FP_OK)
        reply(s, m->command, FP_SC_STATUS_OK, id, strlen(id));
      else
        reply(s, m->command, FP_SC_STATUS_NOT_IMPLEMENTED, NULL, 0);
      break;
    case FP_SC_CMD_GET_STATE:
      byte = s->ops->state(s->job);
      reply(s, m->command, FP_SC_STATUS_OK, &byte, 1);
      break;
    case FP_SC_CMD_GET_CONNECTED:
      byte = s->ops->connected(s->job);
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
void fp_server_serve(fp_server_t *s)
{
  int status;

  if (s->fd < 0)
    return;
  status = fp_sc_reader_fill(&s->reader, s->fd);
  while (s->fd >= 0 && fp_sc_reader_next(&s->reader, &s->msg))
    answer(s, &s->msg);
  if (status && s->fd >= 0)
  {
    /* Every filter closed the channel (or it broke): stop watching it. */
    fp_log("DEBUG", "flushprinter: side channel closed");
    s->fd = -1;
  }
}

/*
 * Answer a partial message stuck too long with BAD_MESSAGE, under its own
 * command byte so that the filter waiting for it gets an answer it accepts.
 */
bool fp_server_expire(fp_server_t *s)
{
  uint8_t command = s->reader.have ? s->reader.buf[0] : 0;

  if (s->fd < 0 || !fp_sc_reader_expire(&s->reader, FP_SERVE_STALE_MS))
    return false;
  reply(s, command, FP_SC_STATUS_BAD_MESSAGE, NULL, 0);
  return true;
}

/* Serve `fd` for `job`. */
fp_server_t *fp_server_new(int fd, const fp_serve_ops_t *ops, void *job)
{
  fp_server_t *s = calloc(1, sizeof(*s));

  if (s)
  {
    s->fd = fd;
    s->ops = ops;
    s->job = job;
  }
  return s;
}

/* Release the server (the descriptor is the job's: it stays open unless dropped). */
void fp_server_free(fp_server_t *s)
{
  if (s)
    free(s->flush_buf);
  free(s);
}

/* The descriptor to poll, or -1. */
int fp_server_fd(const fp_server_t *s)
{
  return s->fd;
}

/* ms until a partial request goes stale, or -1 when none is pending. */
int fp_server_timeout(const fp_server_t *s)
{
  if (s->fd < 0 || !s->reader.partial_since)
    return -1;
  return fp_ms_until(s->reader.partial_since + FP_SERVE_STALE_MS);
}

/* true once a filter's flush request was carried out. */
bool fp_server_filter_flushed(const fp_server_t *s)
{
  return s->filter_flushed;
}

/* true while a filter's flush request has begun and not ended. */
bool fp_server_flush_open(const fp_server_t *s)
{
  return s->flush_open;
}

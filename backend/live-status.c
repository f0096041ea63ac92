/*
 * The printer's live status during a job (live-status.h).  Replies that
 * answer the backend's own queries, and the unsolicited status it armed, are
 * consumed and turned into CUPS printer-state-reasons ("STATE: +..." and
 * "-..." lines, with CUPS's -error / -warning suffixes); every other byte of
 * the back channel -- replies to queries in the job's own data included --
 * goes on to fd 3 in arrival order.  Plain offline (ESC/POS reports it with
 * every paper or cover condition) holds the job but adds no reason of its
 * own: the condition that caused it is the one a person can act on.  The
 * conditions the port reports (USB GET_PORT_STATUS) add to the language's:
 * either one saying a person must act holds the job.
 */

#include "live-status.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sidechannel.h"

/* The state reasons, with CUPS's severity suffix, for the conditions that have one. */
static const struct
{
  unsigned    condition;
  const char *reason;
  const char *words; /* for printer-state-message */
} reasons[] = {
  { FP_COND_MEDIA_EMPTY, "media-empty-error", "out of paper" },
  { FP_COND_MEDIA_LOW, "media-low-warning", "paper low" },
  { FP_COND_COVER_OPEN, "cover-open-error", "cover open" },
  { FP_COND_MEDIA_JAM, "media-jam-error", "paper jam" },
  { FP_COND_OTHER_ERROR, "other-error", "printer error" },
};

/* Conditions that stop the printer until a person acts. */
#define BLOCKING (FP_COND_MEDIA_EMPTY | FP_COND_COVER_OPEN | FP_COND_MEDIA_JAM | FP_COND_OFFLINE \
                  | FP_COND_OTHER_ERROR)

/* Status off. */
void fp_live_off(fp_live_t *live)
{
  memset(live, 0, sizeof(*live));
  live->back_fd = -1;
}

/* Hands back-channel bytes that are not the backend's on to the filters (fd 3). */
void fp_back_channel_pass_on(int back_fd, const uint8_t *data, size_t len)
{
  if (len && back_fd >= 0 && write(back_fd, data, len) < 0)
    fp_log("DEBUG", "flushprinter: back channel: %s", strerror(errno));
}

/* The parser's callback for bytes that are not ours. */
static void pass_on(void *ctx, const uint8_t *data, size_t len)
{
  fp_back_channel_pass_on(((fp_live_t *)ctx)->back_fd, data, len);
}

/* Appends `item` to a comma-separated `list` of `size` bytes. */
static void list_add(char *list, size_t size, const char *sep, const char *item)
{
  size_t len = strlen(list);

  snprintf(list + len, size - len, "%s%s", len ? sep : "", item);
}

/* The conditions the printer reports now, in its language or by its port. */
static unsigned current(const fp_live_t *live)
{
  return live->state | live->port_state;
}

/*
 * Says what changed: "STATE: +a,b" and "STATE: -c" lines, and in words what
 * holds the job (plain offline too, which has no reason of its own) and when
 * nothing does any more -- not when the reasons go only because the job ends
 * (`ending`: the printer may not be ready at all).
 */
static void announce(fp_live_t *live, bool ending)
{
  char   plus[160] = "", minus[160] = "", words[160] = "";
  bool   held;
  size_t i;

  for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
  {
    bool now = (current(live) & reasons[i].condition) != 0;
    bool was = (live->announced & reasons[i].condition) != 0;

    if (now)
      list_add(words, sizeof(words), ", ", reasons[i].words);
    if (now == was)
      continue;
    if (now)
      list_add(plus, sizeof(plus), ",", reasons[i].reason);
    else
      list_add(minus, sizeof(minus), ",", reasons[i].reason);
    live->announced ^= reasons[i].condition;
  }
  held = (current(live) & BLOCKING) != 0;
  if (held && !*words)
    list_add(words, sizeof(words), ", ", "offline"); /* a port not selected, and nothing else */
  if (*plus)
    fp_log("STATE", "+%s", plus);
  if (*plus || (held && !live->held))
    fp_log("INFO", "Printer: %s; the job waits until it is fixed", words);
  if (*minus)
    fp_log("STATE", "-%s", minus);
  if ((*minus || live->held) && !held && !ending)
    fp_log("INFO", "The printer is ready again");
  live->held = held;
}

/* A reply: ours is consumed, the rest goes on. */
static void on_reply(void *ctx, const fp_reply_t *reply)
{
  fp_live_t *live = ctx;
  bool       unsolicited_armed = !reply->solicited && live->armed && reply->known == FP_COND_ALL;
  bool       completion = reply->type == FP_REPLY_DONE
                    || (reply->type == FP_REPLY_ECHO && reply->own);

  if (completion && live->done_id[0] && !strcmp(reply->id, live->done_id))
  {
    /* the completion the backend asked for: everything before it printed (PJL: parsed) */
    live->done = true;
    return;
  }
  if (!reply->own && !unsolicited_armed)
  {
    pass_on(live, reply->raw, reply->raw_len);
    return;
  }
  if (reply->type != FP_REPLY_STATUS)
    return;
  if (reply->own)
  {
    live->answered = true;
    live->heard += live->heard < live->asked;
    live->queued = reply->queued;
    live->partial = reply->partial;
  }
  live->state = fp_status_apply(live->state, reply);
  announce(live, false);
}

/* Status on. */
void fp_live_start(fp_live_t *live, const fp_status_language_t *language, int back_fd)
{
  fp_live_off(live);
  live->language = language;
  live->back_fd = back_fd;
  live->polled = !language->arm_len;
  live->queued = -1;
  fp_status_parser_init(&live->parser, language, on_reply, pass_on, live);
}

/* The port's path on: status without a parser when the language has none on. */
void fp_live_port_on(fp_live_t *live, int back_fd)
{
  if (!live->language)
  {
    fp_live_off(live);
    live->back_fd = back_fd;
  }
  live->port = true;
}

/* What the port reports now. */
void fp_live_port(fp_live_t *live, unsigned conditions)
{
  conditions &= FP_COND_ALL;
  if (!live->port || conditions == live->port_state)
    return;
  live->port_state = conditions;
  announce(live, false);
}

/* Back-channel bytes. */
void fp_live_feed(fp_live_t *live, const uint8_t *data, size_t len)
{
  if (live->language)
    fp_status_feed(&live->parser, data, len);
  else
    pass_on(live, data, len);
}

/*
 * Finds the end of the first `pattern` in `data`, `*matched` bytes of it
 * having ended the bytes before: the bytes up to that end (0: none; then
 * `*matched` says how much of it ends `data`).  memchr() skips to each
 * candidate first byte, so a job without the pattern costs little.
 */
static size_t pattern_end(const uint8_t *pattern, size_t pattern_len, size_t *matched,
                          const uint8_t *data, size_t len)
{
  size_t i = 0, m = *matched;

  while (i < len)
  {
    if (m == 0)
    {
      const uint8_t *first = memchr(data + i, pattern[0], len - i);

      if (!first)
        break;
      i = (size_t)(first - data) + 1;
      m = 1;
    }
    else
    {
      m = data[i] == pattern[m] ? m + 1 : data[i] == pattern[0];
      i++;
    }
    if (m == pattern_len)
    {
      *matched = 0;
      return i;
    }
  }
  *matched = m;
  return 0;
}

/* Bytes the printer accepted; a job's reset may have switched status off. */
void fp_live_note_sent(fp_live_t *live, const uint8_t *data, size_t len, bool own)
{
  const fp_status_language_t *l = live->language;
  size_t                      n;

  if (!l)
    return;
  fp_status_note_sent(&live->parser, data, len, own);
  if (!own)
    live->since_asked += len;
  if (own || !l->disarm)
    return;
  while ((n = pattern_end(l->disarm, l->disarm_len, &live->scan, data, len)) > 0)
  {
    live->rearm = live->armed;
    data += n;
    len -= n;
  }
}

/* Job bytes to send before a re-arm may be due: up to the end of the first reset in them. */
size_t fp_live_split(const fp_live_t *live, const uint8_t *data, size_t len)
{
  const fp_status_language_t *l = live->language;
  size_t                      matched = live->scan, n;

  if (!l || !l->disarm || !live->armed)
    return len;
  n = pattern_end(l->disarm, l->disarm_len, &matched, data, len);
  return n ? n : len;
}

bool fp_live_poll_due(const fp_live_t *live, bool now)
{
  return live->language && live->polled && live->heard == live->asked
         && (now || (live->since_asked >= FP_LIVE_POLL_BYTES
                     && fp_status_may_poll(&live->parser)));
}

/* true while the printer cannot print until a person acts. */
bool fp_live_blocked(const fp_live_t *live)
{
  return fp_live_on(live) && (current(live) & BLOCKING);
}

/* GET_STATE: paper out or low, and offline with an error while a person must act. */
uint8_t fp_live_sc_state(const fp_live_t *live, uint8_t bits)
{
  unsigned now = current(live);

  if (!fp_live_on(live))
    return bits;
  if (now & FP_COND_MEDIA_EMPTY)
    bits |= FP_SC_STATE_MEDIA_EMPTY;
  if (now & FP_COND_MEDIA_LOW)
    bits |= FP_SC_STATE_MEDIA_LOW;
  if (now & BLOCKING)
    bits = (uint8_t)((bits & ~FP_SC_STATE_ONLINE) | FP_SC_STATE_ERROR);
  return bits;
}

void fp_live_connection_ended(fp_live_t *live)
{
  live->own_len = 0;
  live->heard = live->asked;
  if (live->language)
  {
    fp_status_flush(&live->parser); /* a reply cut short goes on to the filters */
    fp_status_parser_init(&live->parser, live->language, on_reply, pass_on, live);
  }
}

/* The end of the job: hands over held bytes, withdraws the reasons still set. */
void fp_live_finish(fp_live_t *live)
{
  if (!fp_live_on(live))
    return;
  if (live->language)
    fp_status_flush(&live->parser);
  live->state = live->port_state = 0;
  announce(live, true);
}

/*
 * The status parsers' common driver (printer-status.h): the registry, and
 * the framing loop every language shares.  A language looks at one byte at a
 * time and says whether it is outside any reply, may belong to one (held),
 * completes one, or shows that the held bytes were no reply after all.  In
 * that last case the first held byte is handed back as passed-through and the
 * rest are parsed again, so a reply that begins inside a false start is still
 * found, and no byte is lost or handed over twice.  Held bytes never exceed
 * the language's bound; reaching it counts as a false start.  A printer that
 * also sends text ("PRINTER READY") has letters among it that look like a
 * language's one-byte replies: after text, the language decides (text_byte).
 */

#include "printer-status.h"

#include <string.h>
#include <strings.h>

static const fp_status_language_t *const status_languages[] = {
  &fp_status_escpos,
  &fp_status_pjl,
  &fp_status_zpl,
  &fp_status_dymo,
  &fp_status_epl,
  NULL,
};

/* The status side of the tracker language `name`, or NULL. */
const fp_status_language_t *fp_status_language_find(const char *name)
{
  if (!name)
    return NULL;
  if (!strcasecmp(name, "pcl"))
    name = "pjl";
  for (const fp_status_language_t *const *l = status_languages; *l; l++)
    if (!strcasecmp((*l)->name, name))
      return *l;
  return NULL;
}

/* Starts a parser. */
void fp_status_parser_init(fp_status_parser_t *p, const fp_status_language_t *language,
                           fp_status_reply_fn on_reply, fp_status_other_fn on_other, void *ctx)
{
  memset(p, 0, sizeof(*p));
  p->language = language;
  p->on_reply = on_reply;
  p->on_other = on_other;
  p->ctx = ctx;
  language->init(p->state.bytes);
}

/* Notes bytes sent to the printer. */
void fp_status_note_sent(fp_status_parser_t *p, const void *data, size_t len, bool own)
{
  p->language->note_sent(p->state.bytes, data, len, own);
}

bool fp_status_may_poll(const fp_status_parser_t *p)
{
  return !p->language->may_poll || p->language->may_poll(p->state.bytes);
}

/* Hands the passed-through bytes collected so far to the callback. */
static void other_flush(fp_status_parser_t *p)
{
  if (p->nother > 0 && p->on_other)
    p->on_other(p->ctx, p->other, p->nother);
  p->nother = 0;
}

/* Collects one passed-through byte. */
static void other_byte(fp_status_parser_t *p, uint8_t b)
{
  if (p->nother == sizeof(p->other))
    other_flush(p);
  p->other[p->nother++] = b;
  p->after_text = (b >= 0x20 && b < 0x7f) || b == '\t'; /* a line end ends the text */
}

/* Hands over a complete reply made of the held bytes. */
static void reply_out(fp_status_parser_t *p, fp_reply_t *reply)
{
  other_flush(p);
  p->after_text = false;
  reply->raw = p->held;
  reply->raw_len = p->nheld;
  p->replies++;
  if (p->on_reply)
    p->on_reply(p->ctx, reply);
  p->nheld = 0;
}

/* The result of one byte's step; REJECT when the held bytes would exceed the bound. */
static fp_step_t step_byte(fp_status_parser_t *p, uint8_t b, fp_reply_t *reply)
{
  fp_step_t r;

  memset(reply, 0, sizeof(*reply));
  reply->code = -1;
  reply->queued = -1;
  if (p->nheld == 0 && p->after_text && p->language->text_byte && p->language->text_byte(b))
    return FP_STEP_OTHER; /* a letter in the printer's text, not a reply that looks like one */
  r = p->language->step(p->state.bytes, b, reply);
  if (r == FP_STEP_OTHER && p->nheld > 0)
    r = FP_STEP_REJECT; /* a language must not drop held bytes silently */
  if (r != FP_STEP_OTHER)
    p->held[p->nheld++] = b;
  if (r == FP_STEP_HOLD && p->nheld >= p->language->reply_max)
  {
    p->language->reset_frame(p->state.bytes); /* too long for a reply: start again */
    r = FP_STEP_REJECT;
  }
  return r;
}

/*
 * The held bytes were a false start: hands back the first and parses the
 * others again, as often as that turns out to be a false start too.
 */
static void reject_held(fp_status_parser_t *p)
{
  uint8_t    again[FP_STATUS_REPLY_MAX + 1];
  size_t     n = p->nheld, start = 0;
  fp_reply_t reply;

  memcpy(again, p->held, n);
  p->nheld = 0;
  p->rejected++;
  while (start < n)
  {
    size_t k, restart = n;

    other_byte(p, again[start]);
    for (k = start + 1; k < n; k++)
    {
      size_t first = k - p->nheld; /* where the bytes held now began */
      fp_step_t r = step_byte(p, again[k], &reply);

      if (r == FP_STEP_OTHER)
        other_byte(p, again[k]);
      else if (r == FP_STEP_REPLY)
        reply_out(p, &reply);
      else if (r == FP_STEP_REJECT)
      {
        p->nheld = 0;
        p->rejected++;
        restart = first;
        break;
      }
    }
    start = restart;
  }
}

/* Parses back-channel bytes. */
void fp_status_feed(fp_status_parser_t *p, const void *data, size_t len)
{
  const uint8_t *d = data;
  fp_reply_t     reply;

  for (size_t i = 0; i < len; i++)
  {
    switch (step_byte(p, d[i], &reply))
    {
      case FP_STEP_OTHER:
        other_byte(p, d[i]);
        break;
      case FP_STEP_HOLD:
        break;
      case FP_STEP_REPLY:
        reply_out(p, &reply);
        break;
      case FP_STEP_REJECT:
        reject_held(p);
        break;
    }
  }
  other_flush(p);
}

/* Gives up the bytes of an unfinished reply. */
void fp_status_flush(fp_status_parser_t *p)
{
  while (p->nheld > 0)
  {
    p->language->reset_frame(p->state.bytes);
    reject_held(p);
  }
  other_flush(p);
}

/* The conditions of a port status byte; none when a reserved bit says it is no reading. */
unsigned fp_status_port_conditions(uint8_t port)
{
  unsigned conditions = 0;

  if (port & FP_PORT_RESERVED)
    return 0;
  if (port & FP_PORT_PAPER_EMPTY)
    conditions |= FP_COND_MEDIA_EMPTY;
  if (!(port & FP_PORT_SELECTED))
    conditions |= FP_COND_OFFLINE;
  if (!(port & FP_PORT_NOT_ERROR) && !(port & FP_PORT_PAPER_EMPTY))
    conditions |= FP_COND_OTHER_ERROR; /* with paper out, the error is the paper's */
  return conditions;
}

/* A condition's printer-state-reasons keyword (RFC 8011 / CUPS), or NULL. */
const char *fp_status_condition_keyword(unsigned condition)
{
  switch (condition)
  {
    case FP_COND_MEDIA_EMPTY:
      return "media-empty";
    case FP_COND_MEDIA_LOW:
      return "media-low";
    case FP_COND_COVER_OPEN:
      return "cover-open";
    case FP_COND_MEDIA_JAM:
      return "media-jam";
    case FP_COND_OFFLINE:
      return "offline";
    case FP_COND_OTHER_ERROR:
      return "other";
    default:
      return NULL;
  }
}

/* Copies printable ASCII into `id`; false (and `id` empty) if a byte is not, or too many. */
bool fp_status_copy_id(char id[FP_STATUS_ID_MAX + 1], const uint8_t *s, size_t len)
{
  id[0] = '\0';
  if (len > FP_STATUS_ID_MAX)
    return false;
  for (size_t i = 0; i < len; i++)
    if (s[i] < 0x20 || s[i] > 0x7e)
      return false;
  memcpy(id, s, len);
  id[len] = '\0';
  return true;
}

/* Notes a query sent; a full list drops it (its answer will be unattributed). */
void fp_query_push(fp_query_fifo_t *q, uint8_t kind, bool own)
{
  unsigned at;

  if (q->count == FP_QUERY_MAX)
  {
    q->dropped++;
    return;
  }
  at = (q->head + q->count) % FP_QUERY_MAX;
  q->kind[at] = kind;
  q->own[at] = own;
  q->count++;
}

/* Takes the oldest query. */
bool fp_query_pop(fp_query_fifo_t *q, uint8_t *kind, bool *own)
{
  if (q->count == 0)
    return false;
  *kind = q->kind[q->head];
  *own = q->own[q->head];
  q->head = (uint8_t)((q->head + 1) % FP_QUERY_MAX);
  q->count--;
  return true;
}

/* Takes the oldest query into `reply`; its kind, or -1. */
int fp_query_answer(fp_query_fifo_t *q, fp_reply_t *reply)
{
  uint8_t kind;
  bool    own;

  if (!fp_query_pop(q, &kind, &own))
    return -1;
  reply->solicited = true;
  reply->own = own;
  return kind;
}

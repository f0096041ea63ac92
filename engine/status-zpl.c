/*
 * ZPL II status: the ~HS host status return.
 *
 * Source: Zebra's "ZPL II Programming Guide" (~HS "Host Status Return",
 * ~CT), as quoted in public ZPL references.
 *
 * ~HS is answered with three strings, each STX <fields> ETX CR LF:
 *   1: aaa,b,c,dddd,eee,f,g,h,iii,j,k,l   b paper out, c paused, eee formats
 *      in the receive buffer, h partial format, j corrupt RAM, l over
 *      temperature (k, under temperature, only affects darkness)
 *   2: mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www   o head up, p ribbon out,
 *      uuuuuuuu labels remaining in the batch
 *   3: xxxx,y
 * Conditions: paper out -> media-empty, paused -> offline, head up ->
 * cover-open, ribbon out, corrupt RAM or over temperature -> other error.
 * ~HS says nothing about jams or paper running low: a reply leaves those as
 * they were.  `queued` = formats + labels remaining (+ 1 for a partial
 * format): 0 means everything sent has printed.
 *
 * Where firmware differs: newer firmware may append fields, so a string
 * needs at least the fields read and at most 16; every field must be 1 to 8
 * digits; any other byte between STX and ETX makes it no reply (its bytes
 * are handed back) -- nothing is read from a string that does not have the
 * documented shape.  Between strings up to 4 CR/LF bytes are accepted.
 *
 * The probe ~HS is the whole query.  A ZPL printer executes tilde commands
 * as they arrive and prints nothing for them, and outside a format text is
 * not printed either, so it is safe for any ZPL printer at a command
 * boundary.  ZPL has no unsolicited status on the print channel: the host
 * polls.  ~HS in the outgoing stream is found with the default prefix only;
 * the backend sends its own only between commands, and the ZPL tracker
 * counts a tilde changed with ~CT as owed until the job puts ~ back, so no
 * query goes while the printer would read "~HS" as text.
 */

#include "printer-status.h"

#include <string.h>

#define STX 0x02
#define ETX 0x03
#define FIELDS_MAX 16
#define DIGITS_MAX 8
#define GAP_MAX 4
#define KIND_HS 1

static const unsigned fields_needed[3] = {12, 11, 2};

enum frame
{
  F_IDLE,
  F_FIELDS, /* inside a string */
  F_GAP,    /* after an ETX, before the next STX */
  F_TAIL    /* after the reply: its closing CR LF */
};

typedef struct
{
  fp_query_fifo_t queries;
  uint8_t scan; /* note_sent: 0, 1 after '~', 2 after "~H" */
  uint8_t frame;
  uint8_t string;  /* 0..2 */
  uint8_t nfield;  /* fields completed in this string */
  uint8_t digits;  /* digits of the field in progress */
  uint8_t gap;
  bool    tail_own, tail_cr;
  unsigned long field; /* its value */
  unsigned long value[3][FIELDS_MAX];
} zpl_state_t;

static void zpl_init(void *state)
{
  memset(state, 0, sizeof(zpl_state_t));
}

static void zpl_reset_frame(void *state)
{
  zpl_state_t *s = state;

  s->frame = F_IDLE;
  s->string = s->nfield = s->digits = s->gap = 0;
  s->field = 0;
}

/* Finds ~HS in the bytes sent. */
static void zpl_note_sent(void *state, const uint8_t *data, size_t len, bool own)
{
  zpl_state_t *s = state;

  for (size_t i = 0; i < len; i++)
  {
    uint8_t b = data[i] | 0x20; /* letters in lower case; '~' stays '~' */

    if (s->scan == 2 && b == 's')
      fp_query_push(&s->queries, KIND_HS, own);
    s->scan = data[i] == '~' ? 1 : (s->scan == 1 && b == 'h') ? 2 : 0;
  }
}

/* Decodes the three strings. */
static void decode(const zpl_state_t *s, fp_reply_t *r)
{
  const unsigned long *a = s->value[0], *b = s->value[1];

  r->type = FP_REPLY_STATUS;
  r->known = FP_COND_MEDIA_EMPTY | FP_COND_OFFLINE | FP_COND_COVER_OPEN | FP_COND_OTHER_ERROR;
  r->conditions = (a[1] ? FP_COND_MEDIA_EMPTY : 0) | (a[2] ? FP_COND_OFFLINE : 0)
                  | (b[2] ? FP_COND_COVER_OPEN : 0)
                  | (b[3] || a[9] || a[11] ? FP_COND_OTHER_ERROR : 0);
  r->queued = (long)(a[4] + b[8] + (a[7] ? 1 : 0));
  r->partial = a[7] != 0;
}

/* Ends the field in progress; false when it is empty or one too many. */
static bool end_field(zpl_state_t *s)
{
  if (s->digits == 0 || s->nfield == FIELDS_MAX)
    return false;
  s->value[s->string][s->nfield++] = s->field;
  s->digits = 0;
  s->field = 0;
  return true;
}

/* A byte inside a string. */
static fp_step_t field_byte(zpl_state_t *s, uint8_t b, fp_reply_t *r)
{
  if (b >= '0' && b <= '9' && s->digits < DIGITS_MAX)
  {
    s->field = s->field * 10 + (unsigned long)(b - '0');
    s->digits++;
    return FP_STEP_HOLD;
  }
  if ((b == ',' || b == ETX) && end_field(s))
  {
    if (b == ',')
      return FP_STEP_HOLD;
    if (s->nfield < fields_needed[s->string])
      return FP_STEP_REJECT;
    if (s->string < 2)
    {
      s->string++;
      s->nfield = 0;
      s->frame = F_GAP;
      s->gap = 0;
      return FP_STEP_HOLD;
    }
    decode(s, r);
    r->solicited = fp_query_answer(&s->queries, r) >= 0;
    zpl_reset_frame(s);
    s->frame = F_TAIL;
    s->tail_own = r->own;
    s->tail_cr = false;
    return FP_STEP_REPLY;
  }
  return FP_STEP_REJECT;
}

static fp_step_t zpl_step(void *state, uint8_t b, fp_reply_t *r)
{
  zpl_state_t *s = state;
  fp_step_t    res;

  switch (s->frame)
  {
    case F_FIELDS:
      res = field_byte(s, b, r);
      break;
    case F_GAP:
      if (b == STX)
      {
        s->frame = F_FIELDS;
        return FP_STEP_HOLD;
      }
      res = (b == '\r' || b == '\n') && ++s->gap <= GAP_MAX ? FP_STEP_HOLD : FP_STEP_REJECT;
      break;
    case F_TAIL:
      /* The reply's CR LF, handed over as a reply of their own so that they go where it went. */
      if (b == '\r' && !s->tail_cr)
      {
        s->tail_cr = true;
        return FP_STEP_HOLD;
      }
      s->frame = F_IDLE;
      if (b == '\n')
      {
        r->type = FP_REPLY_UNPARSED;
        r->solicited = true;
        r->own = s->tail_own;
        return FP_STEP_REPLY;
      }
      if (s->tail_cr)
        return FP_STEP_REJECT; /* the CR goes out alone; `b` is parsed again */
      return zpl_step(state, b, r);
    case F_IDLE:
    default:
      if (b != STX)
        return FP_STEP_OTHER;
      zpl_reset_frame(s);
      s->frame = F_FIELDS;
      return FP_STEP_HOLD;
  }
  if (res == FP_STEP_REJECT)
    zpl_reset_frame(s);
  return res;
}

static const uint8_t zpl_probe[] = "~HS";

const fp_status_language_t fp_status_zpl = {
  .name = "zpl",
  .probe = zpl_probe,
  .probe_len = sizeof(zpl_probe) - 1,
  .probe_blind = true,
  .command_set = "ZPL",
  .arm = NULL,
  .arm_len = 0,
  .reply_max = 3 * (FIELDS_MAX * (DIGITS_MAX + 1) + 2) + 2 * GAP_MAX + 2,
  .state_size = sizeof(zpl_state_t),
  .init = zpl_init,
  .reset_frame = zpl_reset_frame,
  .note_sent = zpl_note_sent,
  .step = zpl_step,
  .done_query = NULL,
};

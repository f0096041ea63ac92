/*
 * ESC/POS status: real-time status (DLE EOT n), automatic status back
 * (GS a n) and the process-ID response (GS ( H fn 48).
 *
 * Sources: Epson's ESC/POS command reference (DLE EOT, GS a, GS ( H, GS I),
 * and the same commands in the programming manuals of Citizen (CT-S310:
 * "identification of send status"), Samsung (STP-103: the ASB bytes), Sewoo
 * (LK-P series: GS a) and Custom (TPTCM, SMICE) printers, read for where
 * clones differ.
 *
 * What comes back, told apart by fixed bits (the vendors agree on them):
 *   DLE EOT n reply, 1 byte:   0xx1xx10  (n = 1 printer, 2 offline cause,
 *                                        3 error cause, 4 paper sensors)
 *   ASB, 4 bytes:              0xx1xx00, then three of 0xx0xxxx (XON/XOFF
 *                              may come between them)
 *   GS I / GS r, 1 byte:       0xx0xxxx  (not parsed: passed through)
 *   header-to-NUL blocks:      37h or 5Fh ... 00h (GS ( H fn 48 answers
 *                              37h 22h d1 d2 d3 d4 00h, d = '0'..'9')
 * A DLE EOT reply does not say which n it answers: it is decoded under the
 * oldest DLE EOT seen in the outgoing stream (note_sent), the job's included,
 * since printers act on real-time commands even inside raster data.  With no
 * query waiting, a reply speaks for nothing.  A block's content is never
 * read as status bytes (printer-ID text is full of bytes that look like
 * them).
 *
 * Some printers also send text on the back channel: a letter that looks
 * like a DLE EOT reply or an ASB's first byte ('R' is 52h, 0101 0010) is
 * taken as text when it follows text on the same line (a printable reply
 * byte has bit 5 or 6 set: waiting for online recovery, the feed button,
 * cover open, paper end -- and does not come in the middle of a line of
 * text); a line that begins with such a letter still loses it.
 *
 * Where the vendors differ, the safe reading: ASB byte 2 bits 2, 5, 6 are an
 * error on every model that defines them (undefined ones are 0); the two
 * bits of each paper sensor pair are ORed, not ANDed; DLE EOT 2's "stopped by
 * paper end" may set media-empty but never clears it (only the paper sensors
 * do); the autocutter error is reported as a jam.
 *
 * The probe, DLE EOT 1 (10h 04h 01h), is three C0 control codes none of
 * which prints or moves paper on a printer that ignores the command, so it
 * may go to any ESC/POS printer.  Arming (GS a 0Eh: online, error and paper
 * status) and the completion query (GS ( H 06 00 30 30 d1..d4) contain
 * printable bytes a clone without them prints as text: they go only to a
 * printer that answered the probe and is known to have them.
 */

#include "printer-status.h"

#include <string.h>

#define DLE 0x10
#define EOT 0x04
#define XON 0x11
#define XOFF 0x13
#define PID_HEADER 0x37
#define PID_ID 0x22
#define INFO_HEADER 0x5f
#define BLOCK_MAX 80 /* longest header-to-NUL block (GS I's printer information) */
#define ASB_XOFF_MAX 4

/* DLE EOT n with n = 7 and 8 carry one more byte; their replies are not decoded. */
#define KIND_NO_DECODE 0

enum frame
{
  F_IDLE,
  F_ASB,   /* after an ASB's first byte */
  F_PID,   /* after 37h: 22h makes it a process ID */
  F_DIGIT, /* process ID digits */
  F_NUL,   /* the process ID's closing NUL */
  F_BLOCK  /* another header-to-NUL block */
};

enum scan
{
  S_TEXT,
  S_DLE,
  S_EOT,   /* DLE EOT: n next */
  S_EXTRA  /* DLE EOT 7/8: one more byte */
};

typedef struct
{
  fp_query_fifo_t queries;
  uint8_t scan;
  uint8_t frame;
  uint8_t count;    /* frame bytes that count (status bytes, digits, block bytes) */
  uint8_t xoffs;
  uint8_t asb[4];
  uint8_t pid[4];
} escpos_state_t;

static void escpos_init(void *state)
{
  memset(state, 0, sizeof(escpos_state_t));
}

static void escpos_reset_frame(void *state)
{
  escpos_state_t *s = state;

  s->frame = F_IDLE;
  s->count = 0;
  s->xoffs = 0;
}

/* Finds DLE EOT n in the bytes sent, wherever they are. */
static void escpos_note_sent(void *state, const uint8_t *data, size_t len, bool own)
{
  escpos_state_t *s = state;

  for (size_t i = 0; i < len; i++)
  {
    uint8_t b;

    if (s->scan == S_TEXT) /* only a DLE starts a query: skip to the next one */
    {
      const uint8_t *dle = memchr(data + i, DLE, len - i);

      if (!dle)
        break;
      i = (size_t)(dle - data);
    }
    b = data[i];
    switch (s->scan)
    {
      case S_DLE:
        s->scan = b == EOT ? S_EOT : S_TEXT;
        break;
      case S_EOT:
        s->scan = S_TEXT;
        if (b >= 1 && b <= 4)
          fp_query_push(&s->queries, b, own);
        else if (b == 7 || b == 8)
        {
          fp_query_push(&s->queries, KIND_NO_DECODE, own);
          s->scan = S_EXTRA;
        }
        break;
      case S_EXTRA:
      default:
        s->scan = S_TEXT;
        break;
    }
    if (s->scan == S_TEXT && b == DLE)
      s->scan = S_DLE;
  }
}

/* Decodes a DLE EOT reply byte as the answer to query `n`. */
static void decode_realtime(int n, uint8_t b, fp_reply_t *r)
{
  switch (n)
  {
    case 1:
      r->known = FP_COND_OFFLINE;
      r->conditions = (b & 0x08) ? FP_COND_OFFLINE : 0;
      break;
    case 2:
      r->known = FP_COND_COVER_OPEN | FP_COND_OTHER_ERROR;
      r->conditions = ((b & 0x04) ? FP_COND_COVER_OPEN : 0) | ((b & 0x40) ? FP_COND_OTHER_ERROR : 0);
      if (b & 0x20)
      {
        r->known |= FP_COND_MEDIA_EMPTY;
        r->conditions |= FP_COND_MEDIA_EMPTY;
      }
      break;
    case 3:
      r->known = FP_COND_MEDIA_JAM | FP_COND_OTHER_ERROR;
      r->conditions = ((b & 0x08) ? FP_COND_MEDIA_JAM : 0) | ((b & 0x64) ? FP_COND_OTHER_ERROR : 0);
      break;
    case 4:
      r->known = FP_COND_MEDIA_LOW | FP_COND_MEDIA_EMPTY;
      r->conditions = ((b & 0x0c) ? FP_COND_MEDIA_LOW : 0) | ((b & 0x60) ? FP_COND_MEDIA_EMPTY : 0);
      break;
    default:
      break; /* unsolicited, or DLE EOT 7/8: speaks for nothing */
  }
}

/* Decodes the four ASB bytes. */
static void decode_asb(const uint8_t a[4], fp_reply_t *r)
{
  r->known = FP_COND_ALL;
  r->conditions = ((a[0] & 0x08) ? FP_COND_OFFLINE : 0) | ((a[0] & 0x20) ? FP_COND_COVER_OPEN : 0)
                  | ((a[1] & 0x08) ? FP_COND_MEDIA_JAM : 0)
                  | ((a[1] & 0x64) ? FP_COND_OTHER_ERROR : 0)
                  | ((a[2] & 0x03) ? FP_COND_MEDIA_LOW : 0)
                  | ((a[2] & 0x0c) ? FP_COND_MEDIA_EMPTY : 0);
  r->code = (long)((uint32_t)a[0] | (uint32_t)a[1] << 8 | (uint32_t)a[2] << 16
                   | (uint32_t)a[3] << 24);
}

/* A byte outside any frame. */
static fp_step_t step_idle(escpos_state_t *s, uint8_t b, fp_reply_t *r)
{
  if ((b & 0x93) == 0x12)
  {
    int n = fp_query_answer(&s->queries, r);

    r->type = FP_REPLY_STATUS;
    r->code = b;
    decode_realtime(n, b, r);
    return FP_STEP_REPLY;
  }
  if ((b & 0x93) == 0x10 && b != XON && b != XOFF)
  {
    s->frame = F_ASB;
    s->asb[0] = b;
    s->count = 1;
    s->xoffs = 0;
    return FP_STEP_HOLD;
  }
  if (b == PID_HEADER || b == INFO_HEADER)
  {
    s->frame = b == PID_HEADER ? F_PID : F_BLOCK;
    s->count = 1;
    return FP_STEP_HOLD;
  }
  return FP_STEP_OTHER;
}

/* The end of a header-to-NUL block that is not a process ID. */
static fp_step_t block_byte(escpos_state_t *s, uint8_t b, fp_reply_t *r)
{
  s->frame = F_BLOCK;
  if (b == 0x00)
  {
    escpos_reset_frame(s);
    r->type = FP_REPLY_UNPARSED;
    return FP_STEP_REPLY;
  }
  if (++s->count >= BLOCK_MAX)
  {
    escpos_reset_frame(s);
    return FP_STEP_REJECT;
  }
  return FP_STEP_HOLD;
}

static fp_step_t escpos_step(void *state, uint8_t b, fp_reply_t *r)
{
  escpos_state_t *s = state;

  switch (s->frame)
  {
    case F_ASB:
      if ((b == XON || b == XOFF) && s->xoffs < ASB_XOFF_MAX)
      {
        s->xoffs++;
        return FP_STEP_HOLD;
      }
      if ((b & 0x90) != 0x00)
      {
        escpos_reset_frame(s);
        return FP_STEP_REJECT;
      }
      s->asb[s->count++] = b;
      if (s->count < 4)
        return FP_STEP_HOLD;
      escpos_reset_frame(s);
      r->type = FP_REPLY_STATUS;
      decode_asb(s->asb, r);
      return FP_STEP_REPLY;
    case F_PID:
      if (b != PID_ID)
        return block_byte(s, b, r);
      s->frame = F_DIGIT;
      s->count = 0;
      return FP_STEP_HOLD;
    case F_DIGIT:
      if (b < '0' || b > '9')
        return block_byte(s, b, r);
      s->pid[s->count++] = b;
      if (s->count == 4)
        s->frame = F_NUL;
      return FP_STEP_HOLD;
    case F_NUL:
      if (b != 0x00)
        return block_byte(s, b, r);
      escpos_reset_frame(s);
      r->type = FP_REPLY_DONE;
      fp_status_copy_id(r->id, s->pid, 4);
      return FP_STEP_REPLY;
    case F_BLOCK:
      return block_byte(s, b, r);
    case F_IDLE:
    default:
      return step_idle(s, b, r);
  }
}

/* A printable DLE EOT reply or ASB first byte (0xx1xx10, 0xx1xx00): after text, text. */
static bool escpos_text_byte(uint8_t b)
{
  return b >= 0x20 && b < 0x7f && (b & 0x91) == 0x10;
}

/* GS ( H 06 00 30 30 d1..d4: answered once everything before it has printed. */
static size_t escpos_done_query(const char *id, uint8_t *out, size_t size)
{
  static const uint8_t head[] = {0x1d, '(', 'H', 0x06, 0x00, 0x30, 0x30};

  if (!id || strlen(id) != 4 || strspn(id, "0123456789") != 4 || size < sizeof(head) + 4)
    return 0;
  memcpy(out, head, sizeof(head));
  memcpy(out + sizeof(head), id, 4);
  return sizeof(head) + 4;
}

static const uint8_t escpos_probe[] = {DLE, EOT, 0x01};
static const uint8_t escpos_arm[] = {0x1d, 'a', 0x0e};
static const uint8_t escpos_disarm[] = {0x1b, '@'}; /* models differ on whether ESC @ cancels GS a */

const fp_status_language_t fp_status_escpos = {
  .name = "escpos",
  .probe = escpos_probe,
  .probe_len = sizeof(escpos_probe),
  .probe_blind = true,
  .command_set = "ESC/POS",
  .arm = escpos_arm,
  .arm_len = sizeof(escpos_arm),
  .disarm = escpos_disarm,
  .disarm_len = sizeof(escpos_disarm),
  .reply_max = BLOCK_MAX + 2,
  .state_size = sizeof(escpos_state_t),
  .init = escpos_init,
  .reset_frame = escpos_reset_frame,
  .note_sent = escpos_note_sent,
  .step = escpos_step,
  .text_byte = escpos_text_byte,
  .done_query = escpos_done_query,
};

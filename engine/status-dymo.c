/*
 * DYMO LabelWriter status: ESC A, answered with one status byte.
 *
 * Sources: DYMO's "LabelWriter 400 Series Technical Reference Manual"
 * (ESC A, Request Status) and "LabelWriter 450 Series Technical Reference
 * Manual", as quoted in public protocol notes; DYMO's own GPL CUPS driver
 * (its LabelWriter language monitor) for how a host uses it.
 *
 * The reply to ESC A (1Bh 41h) on the 300/400/450 series is one byte:
 *   bit 0 (01h) ready, always 1        bit 5 (20h) out of paper
 *   bit 1 (02h) at top of form         bit 6 (40h) paper jam
 *   bits 2, 4 reserved (0)             bit 7 (80h) error (also set with
 *   bit 3 reserved (roll changed on a Twin Turbo)      out of paper)
 * A healthy idle printer answers 03h.  There is no cover bit.  DYMO's
 * driver asks again every 0.2 s while the paper is out, so the printer
 * answers in that state.  Conditions: out of paper -> media-empty, jam ->
 * media-jam, error without either -> other error; top of form clear means
 * a label is still being printed or fed (`queued` 1, else 0).
 *
 * Where models differ, the reading that fails safe: a byte is a reply only
 * while an own ESC A waits for one and only with bit 0 set and bits 2 and 4
 * clear (the SE450 inverts bit 0; a 550-series printer answers ESC A with a
 * 32-byte block whose first byte is a print state, 0 to 5, never of this
 * shape: it gets no status).  The 550 series also takes a third byte (a
 * lock) after ESC A, which would be the job's next byte, so ESC A is not
 * blind-safe: only a queue that says the printer answers (status=on) asks.
 * The job's own ESC A is not noted: inside a raster line those bytes are
 * pixels, and the status parser does not see the lines' framing; a reply to
 * a job's own query taken as the backend's says the same printer's status.
 * DYMO has no unsolicited status: the host polls.
 */

#include "printer-status.h"

#include <string.h>

#define ESC 0x1b
#define STATUS_READY 0x01
#define STATUS_TOP_OF_FORM 0x02
#define STATUS_RESERVED 0x14
#define STATUS_PAPER_OUT 0x20
#define STATUS_JAM 0x40
#define STATUS_ERROR 0x80
#define KIND_STATUS 1

typedef struct
{
  fp_query_fifo_t queries;
  bool            after_esc; /* note_sent: the last own byte was ESC */
} dymo_state_t;

static void dymo_init(void *state)
{
  memset(state, 0, sizeof(dymo_state_t));
}

static void dymo_reset_frame(void *state)
{
  (void)state; /* a reply is one byte: no frame outlives a step */
}

/* Notes the backend's own ESC A (the job's are not commands when inside raster lines). */
static void dymo_note_sent(void *state, const uint8_t *data, size_t len, bool own)
{
  dymo_state_t *s = state;

  if (!own)
    return;
  for (size_t i = 0; i < len; i++)
  {
    if (s->after_esc && data[i] == 'A')
      fp_query_push(&s->queries, KIND_STATUS, own);
    s->after_esc = data[i] == ESC;
  }
}

/* Decodes a status byte into `r`. */
static void decode(uint8_t b, fp_reply_t *r)
{
  r->type = FP_REPLY_STATUS;
  r->known = FP_COND_MEDIA_EMPTY | FP_COND_MEDIA_JAM | FP_COND_OTHER_ERROR;
  r->conditions = (b & STATUS_PAPER_OUT ? FP_COND_MEDIA_EMPTY : 0)
                  | (b & STATUS_JAM ? FP_COND_MEDIA_JAM : 0)
                  | ((b & STATUS_ERROR) && !(b & (STATUS_PAPER_OUT | STATUS_JAM))
                       ? FP_COND_OTHER_ERROR : 0);
  r->code = b;
  r->queued = b & STATUS_TOP_OF_FORM ? 0 : 1;
}

static fp_step_t dymo_step(void *state, uint8_t b, fp_reply_t *r)
{
  dymo_state_t *s = state;

  if (s->queries.count == 0 || (b & (STATUS_READY | STATUS_RESERVED)) != STATUS_READY)
    return FP_STEP_OTHER;
  decode(b, r);
  r->solicited = fp_query_answer(&s->queries, r) >= 0;
  return FP_STEP_REPLY;
}

static const uint8_t dymo_probe[] = { ESC, 'A' };

const fp_status_language_t fp_status_dymo = {
  .name = "dymo",
  .probe = dymo_probe,
  .probe_len = sizeof(dymo_probe),
  .probe_blind = false,
  .command_set = NULL,
  .arm = NULL,
  .arm_len = 0,
  .reply_max = 1,
  .state_size = sizeof(dymo_state_t),
  .init = dymo_init,
  .reset_frame = dymo_reset_frame,
  .note_sent = dymo_note_sent,
  .step = dymo_step,
  .done_query = NULL,
};

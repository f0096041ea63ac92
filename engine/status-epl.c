/*
 * EPL2 status: ^ee, the immediate error report.
 *
 * Sources: Intermec's ESim programmer's references (v4.20 and v5.12, the
 * EPL2 emulation of the EasyCoder printers: "^ee - Immediate Error Report")
 * and Zebra's EPL programming guides (980352-001, 14245L-003: ^ee, and the
 * eR example that reports "11" for the print head open and "00" for no
 * error), as quoted in public manual mirrors.
 *
 * ^ee, ended by CR or LF, is answered with ASCII codes of two digits:
 * "00" CR LF when there is no error, else "XX" CR LF or "XX,YY,..." CR LF.
 * It is processed at once, between commands and also while the printer
 * waits for an error to be fixed -- but not inside a download (GW, GM, a
 * stored form), a quoted string or a variable input, and not while more
 * than about 8000 bytes wait in the input buffer: a printer that stopped
 * reading answers only the query it had already taken in.
 *
 * Codes, where the vendors agree or only one defines them: 07 out of media
 * (ESim; Zebra: paper or ribbon out) -> media-empty; 11 print head open
 * (Zebra's example) -> cover-open; 81 cutter jammed (ESim) -> media-jam;
 * 92 paused (ESim) -> offline.  Every other code (syntax, data length,
 * memory errors, over temperature...) raises nothing: a code this parser
 * cannot place must not hold a job for a person who has nothing to fix.
 * A reply lists every error the printer has, so it clears the conditions
 * it can report that it does not list.
 *
 * The query is text that a printer without EPL prints, so it goes only with
 * status=on.  EPL2 sends nothing unasked on the print channel: the host
 * polls -- but not once the job has sent a '?' line: the printer then takes
 * the next lines as the variable data of a stored form, as many as the form
 * has variables (which the tracker does not know), and a ^ee among them would
 * be printed on the label; from there on only the question after the job's
 * last byte goes.  Only the backend's own ^ee are noted (a job's are unlikely, and
 * one inside GW data is pixels that no printer answers), and digits
 * arriving while none of them waits are the printer's other output.  A
 * reply that lists no code that stops printing (`queued` 0) says the
 * printer parsed everything before the query without a reason to stop --
 * not that the last label is out of the printer: EPL2 has no way to say so.
 */

#include "printer-status.h"

#include <string.h>

#define CODES_MAX 8 /* codes one reply may list before it is taken as no reply */
#define KIND_EE 1

enum frame
{
  F_IDLE,
  F_CODE,  /* inside a reply: `digits` of the code in progress */
  F_END    /* after the CR: the LF */
};

typedef struct
{
  fp_query_fifo_t queries;
  uint8_t scan;    /* note_sent: bytes of "^ee" matched in own bytes */
  bool    mid_line;  /* note_sent: the job's last byte was not a LF */
  bool    variables; /* the job sent a '?' line: variable data may follow */
  uint8_t frame;
  uint8_t digits;
  uint8_t ncodes;
  uint8_t code;    /* the code in progress */
  unsigned conditions;
} epl_state_t;

static void epl_init(void *state)
{
  memset(state, 0, sizeof(epl_state_t));
}

static void epl_reset_frame(void *state)
{
  epl_state_t *s = state;

  s->frame = F_IDLE;
  s->digits = s->ncodes = s->code = 0;
  s->conditions = 0;
}

/* Notes the backend's own ^ee, and a '?' line of the job's. */
static void epl_note_sent(void *state, const uint8_t *data, size_t len, bool own)
{
  static const char query[] = "^ee";
  epl_state_t      *s = state;

  if (!own)
  {
    for (size_t i = 0; i < len && !s->variables; i++)
    {
      s->variables = !s->mid_line && data[i] == '?';
      s->mid_line = data[i] != '\n';
    }
    return;
  }
  for (size_t i = 0; i < len; i++)
  {
    s->scan = data[i] == (uint8_t)query[s->scan] ? s->scan + 1 : data[i] == '^';
    if (s->scan == sizeof(query) - 1)
    {
      fp_query_push(&s->queries, KIND_EE, own);
      s->scan = 0;
    }
  }
}

/* The condition an error code reports (0: none this parser can place). */
static unsigned code_condition(uint8_t code)
{
  switch (code)
  {
    case 7:
      return FP_COND_MEDIA_EMPTY;
    case 11:
      return FP_COND_COVER_OPEN;
    case 81:
      return FP_COND_MEDIA_JAM;
    case 92:
      return FP_COND_OFFLINE;
    default:
      return 0;
  }
}

/* Ends the code in progress; false when it is not two digits or one too many. */
static bool end_code(epl_state_t *s)
{
  if (s->digits != 2 || s->ncodes == CODES_MAX)
    return false;
  s->conditions |= code_condition(s->code);
  s->ncodes++;
  s->digits = 0;
  s->code = 0;
  return true;
}

static fp_step_t epl_step(void *state, uint8_t b, fp_reply_t *r)
{
  epl_state_t *s = state;

  switch (s->frame)
  {
    case F_CODE:
      if (b >= '0' && b <= '9' && s->digits < 2)
      {
        s->code = (uint8_t)(s->code * 10 + (b - '0'));
        s->digits++;
        return FP_STEP_HOLD;
      }
      if (b == ',' && end_code(s))
        return FP_STEP_HOLD;
      if ((b == '\r' || b == '\n') && end_code(s))
      {
        s->frame = F_END;
        if (b == '\r')
          return FP_STEP_HOLD;
        break; /* a bare LF ends it too */
      }
      epl_reset_frame(s);
      return FP_STEP_REJECT;
    case F_END:
      if (b != '\n')
      {
        epl_reset_frame(s);
        return FP_STEP_REJECT;
      }
      break;
    case F_IDLE:
    default:
      if (s->queries.count == 0 || b < '0' || b > '9')
        return FP_STEP_OTHER;
      epl_reset_frame(s);
      s->frame = F_CODE;
      s->code = (uint8_t)(b - '0');
      s->digits = 1;
      return FP_STEP_HOLD;
  }
  r->type = FP_REPLY_STATUS;
  r->known = FP_COND_MEDIA_EMPTY | FP_COND_COVER_OPEN | FP_COND_MEDIA_JAM | FP_COND_OFFLINE;
  r->conditions = s->conditions;
  r->queued = s->conditions ? -1 : 0;
  r->solicited = fp_query_answer(&s->queries, r) >= 0;
  epl_reset_frame(s);
  return FP_STEP_REPLY;
}

static bool epl_may_poll(const void *state)
{
  return !((const epl_state_t *)state)->variables;
}

static const uint8_t epl_probe[] = "^ee\r\n";

const fp_status_language_t fp_status_epl = {
  .name = "epl",
  .probe = epl_probe,
  .probe_len = sizeof(epl_probe) - 1,
  .probe_blind = false,
  .command_set = "EPL",
  .arm = NULL,
  .arm_len = 0,
  .reply_max = CODES_MAX * 3 + 1,
  .state_size = sizeof(epl_state_t),
  .init = epl_init,
  .reset_frame = epl_reset_frame,
  .note_sent = epl_note_sent,
  .step = epl_step,
  .may_poll = epl_may_poll,
  .done_query = NULL,
};

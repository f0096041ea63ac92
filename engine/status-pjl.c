/*
 * PJL status (PCL and other PJL printers): INFO STATUS and unsolicited
 * USTATUS DEVICE / TIMED answers, USTATUS JOB END as printer-confirmed
 * completion of a job bracketed by JOB/EOJ, and ECHO.
 *
 * Sources: HP's "Printer Job Language Technical Reference Manual" (status
 * readback, USTATUS, JOB/EOJ, ECHO, and its table of status code groups);
 * what Windows' PJL language monitor (pjlmon) is documented to do with them
 * (USTATUS DEVICE=ON and JOB=ON, 40xxx/41xxx as intervention/paper-out).
 *
 * A reply is "@PJL <what>" CR LF, lines of NAME=VALUE (or a bare word),
 * and a form feed.  Lines may end in LF alone.  The codes, as status:
 *   10xxx  informational: no condition (10002 and ONLINE=FALSE: offline)
 *   11xxx  background paper loading (another tray still feeds): media-low
 *   30xxx, 35xxx  auto-continuable and potential-intervention warnings: none
 *   40021 door open, 40022 jam, 40079 offline, other 40xxx: other error
 *   41xxx  foreground paper loading (load paper): media-empty
 *   42xxx, 44xxx  paper jam;  43xxx, 5xxxx: other error
 *   anything else (parser errors 20xxx-27xxx, file system 32xxx, codes this
 *   table does not know): the reply speaks for nothing, so it neither raises
 *   nor clears a condition -- the safe reading of a code not understood.
 * A code of more than 6 digits makes the line malformed and the reply no
 * reply (handed back as bytes).
 *
 * The probe (INFO STATUS inside a UEL) is text: a PCL printer without PJL
 * would print it, so it goes only to a printer whose device ID lists PJL or
 * that the queue says speaks it (the backend: status=on only).  The arming
 * is USTATUS DEVICE=ON alone.
 *
 * Re-arming: in the PJL Technical Reference USTATUSOFF (or USTATUS ...=OFF)
 * switches unsolicited status off and a power cycle loses it; ESC E resets
 * PCL, not PJL.  Whether a job's "@PJL RESET" or "@PJL INITIALIZE" ends it
 * too is not relied on either way, nor whether it outlives a connection
 * (the emulator's ends with it).  Fail-safe: every command a job could use
 * to switch it off is a PJL line, and a PJL section ends at the job's next
 * UEL, so the UEL is the "disarm" sequence -- the backend arms again (at
 * the command boundary the tracker vouches for) after each UEL in the job,
 * and per connection.  A job that switches status off itself goes without
 * it until its next UEL.
 *
 * Completion is "@PJL ECHO <id>": the printer answers it only once its PJL
 * parser reached it, i.e. everything sent before it was parsed.  For a page
 * printer "parsed" is not "printed": pages may still be in the engine.  (The
 * printed-page confirmation is USTATUS JOB END for a job bracketed by JOB
 * NAME= and EOJ, which this parser recognises but the backend does not ask
 * for.)  The same ECHO, sent after a cancel's reset, shows the printer is
 * back at PJL command level.
 */

#include "printer-status.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define FF 0x0c
#define LINE_MAX_LEN 160
#define CODE_DIGITS_MAX 6
#define UEL "\x1b%-12345X"

enum kind
{
  K_NONE,
  K_STATUS, /* INFO STATUS, USTATUS DEVICE, USTATUS TIMED */
  K_JOB,    /* USTATUS JOB */
  K_ECHO    /* ECHO */
};

/* Outgoing queries whose answers are attributed: their kind is the reply's. */
typedef struct
{
  fp_query_fifo_t queries;
  /* the reply being parsed */
  uint8_t kind;        /* K_NONE while the first line is read */
  bool    in_frame;
  bool    has_code, online_false, end, has_name;
  long    code;
  char    id[FP_STATUS_ID_MAX + 1];
  char    line[LINE_MAX_LEN + 1];
  size_t  len;
  /* the outgoing line being scanned */
  char    out[24];
  size_t  outlen;
  bool    out_skip; /* the outgoing line is past what is looked at */
} pjl_state_t;

static void pjl_init(void *state)
{
  memset(state, 0, sizeof(pjl_state_t));
}

static void pjl_reset_frame(void *state)
{
  pjl_state_t *s = state;

  s->kind = K_NONE;
  s->in_frame = false;
  s->has_code = s->online_false = s->end = s->has_name = false;
  s->code = -1;
  s->id[0] = '\0';
  s->len = 0;
}

/* Squeezes spaces out of a command line's start: "@PJL  INFO STATUS" -> "@PJLINFOSTATUS". */
static void out_char(pjl_state_t *s, char c)
{
  if (c == ' ' || c == '\t' || s->out_skip)
    return;
  if (s->outlen == sizeof(s->out) - 1)
  {
    s->out_skip = true;
    return;
  }
  s->out[s->outlen++] = c;
  s->out[s->outlen] = '\0';
}

/* The query an outgoing line (squeezed) is, if one whose answer comes back. */
static void out_line_end(pjl_state_t *s, bool own)
{
  if (!strncasecmp(s->out, "@PJLINFOSTATUS", 14))
    fp_query_push(&s->queries, K_STATUS, own);
  else if (!strncasecmp(s->out, "@PJLECHO", 8))
    fp_query_push(&s->queries, K_ECHO, own);
  s->outlen = 0;
  s->out[0] = '\0';
  s->out_skip = false;
}

/* Finds INFO STATUS and ECHO lines in the bytes sent. */
static void pjl_note_sent(void *state, const uint8_t *data, size_t len, bool own)
{
  pjl_state_t *s = state;

  for (size_t i = 0; i < len; i++)
  {
    if (data[i] == '\n' || data[i] == '\r' || data[i] == FF || data[i] == 0x1b)
      out_line_end(s, own);
    else if (s->outlen > 0 || data[i] == '@')
      out_char(s, (char)data[i]);
  }
}

/* Maps a status code to the conditions it speaks for. */
static void map_code(long code, fp_reply_t *r)
{
  long group = code / 1000;

  r->known = FP_COND_ALL;
  r->conditions = 0;
  if (group == 10 || group == 30 || group == 35)
    r->conditions = code == 10002 ? FP_COND_OFFLINE : 0;
  else if (group == 11)
    r->conditions = FP_COND_MEDIA_LOW;
  else if (code == 40021)
    r->conditions = FP_COND_COVER_OPEN;
  else if (code == 40022)
    r->conditions = FP_COND_MEDIA_JAM;
  else if (code == 40079)
    r->conditions = FP_COND_OFFLINE;
  else if (group == 40 || group == 43 || (group >= 50 && group <= 59))
    r->conditions = FP_COND_OTHER_ERROR;
  else if (group == 41)
    r->conditions = FP_COND_MEDIA_EMPTY;
  else if (group == 42 || group == 44)
    r->conditions = FP_COND_MEDIA_JAM;
  else
    r->known = 0;
}

/* A quoted or bare value: copies it to the reply's id; false when not printable. */
static bool take_value(pjl_state_t *s, const char *v)
{
  size_t n = strlen(v);

  if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
  {
    v++;
    n -= 2;
  }
  return fp_status_copy_id(s->id, (const uint8_t *)v, n);
}

/* Parses a whole decimal of at most CODE_DIGITS_MAX digits; -1 if it is not one. */
static long parse_code(const char *v)
{
  long n = 0;
  size_t i;

  for (i = 0; v[i]; i++)
  {
    if (v[i] < '0' || v[i] > '9' || i >= CODE_DIGITS_MAX)
      return -1;
    n = n * 10 + (v[i] - '0');
  }
  return i > 0 ? n : -1;
}

/* The first line: which reply this is; false when none this parser reads. */
static bool first_line(pjl_state_t *s)
{
  const char *l = s->line + 4; /* after "@PJL" */

  l += strspn(l, " \t");
  if (!strncasecmp(l, "ECHO", 4) && (l[4] == ' ' || l[4] == '\t' || l[4] == '\0'))
  {
    l += 4;
    l += strspn(l, " \t");
    s->kind = K_ECHO;
    return fp_status_copy_id(s->id, (const uint8_t *)l, strlen(l));
  }
  if (!strncasecmp(l, "INFO", 4))
  {
    l += 4;
    l += strspn(l, " \t");
    s->kind = !strcasecmp(l, "STATUS") ? K_STATUS : K_NONE;
    return s->kind != K_NONE;
  }
  if (!strncasecmp(l, "USTATUS", 7))
  {
    l += 7;
    l += strspn(l, " \t");
    if (!strcasecmp(l, "DEVICE") || !strcasecmp(l, "TIMED"))
      s->kind = K_STATUS;
    else if (!strcasecmp(l, "JOB"))
      s->kind = K_JOB;
    return s->kind != K_NONE;
  }
  return false;
}

/* A body line; false when malformed. */
static bool body_line(pjl_state_t *s)
{
  char *l = s->line + strspn(s->line, " \t");
  char *eq = strchr(l, '=');

  if (s->kind == K_STATUS && !strncasecmp(l, "CODE=", 5))
  {
    s->code = parse_code(l + 5);
    s->has_code = true;
    return s->code >= 0;
  }
  if (s->kind == K_STATUS && !strncasecmp(l, "ONLINE=", 7))
  {
    s->online_false = !strcasecmp(l + 7, "FALSE");
    return true;
  }
  if (s->kind == K_JOB && !strcasecmp(l, "END"))
    s->end = true;
  else if (s->kind == K_JOB && !strncasecmp(l, "NAME=", 5))
    s->has_name = take_value(s, eq + 1);
  return true;
}

/* The form feed: the reply is complete. */
static fp_step_t finish(pjl_state_t *s, fp_reply_t *r)
{
  uint8_t want = s->kind;

  if (s->kind == K_STATUS)
  {
    r->type = FP_REPLY_STATUS;
    if (s->has_code)
    {
      map_code(s->code, r);
      r->code = s->code;
    }
    if (s->online_false)
    {
      r->known |= FP_COND_OFFLINE;
      r->conditions |= FP_COND_OFFLINE;
    }
  }
  else if (s->kind == K_JOB)
    r->type = s->end && s->has_name ? FP_REPLY_DONE : FP_REPLY_UNPARSED;
  else
    r->type = FP_REPLY_ECHO;
  memcpy(r->id, s->id, sizeof(r->id));
  /* Queries the printer skipped are not waited for: PJL answers in order. */
  if (want != K_JOB)
  {
    uint8_t kind;
    bool own;

    while (fp_query_pop(&s->queries, &kind, &own))
      if (kind == want)
      {
        r->solicited = true;
        r->own = own;
        break;
      }
  }
  pjl_reset_frame(s);
  return FP_STEP_REPLY;
}

/* A line ended (LF, or the FF before any LF). */
static fp_step_t line_end(pjl_state_t *s)
{
  bool ok;

  if (s->len > 0 && s->line[s->len - 1] == '\r')
    s->len--;
  s->line[s->len] = '\0';
  ok = s->kind == K_NONE ? first_line(s) : body_line(s);
  s->len = 0;
  if (!ok)
  {
    pjl_reset_frame(s);
    return FP_STEP_REJECT;
  }
  return FP_STEP_HOLD;
}

static fp_step_t pjl_step(void *state, uint8_t b, fp_reply_t *r)
{
  pjl_state_t *s = state;

  if (!s->in_frame)
  {
    if (b != '@')
      return FP_STEP_OTHER;
    pjl_reset_frame(s);
    s->in_frame = true;
  }
  if (b == '\n' || (b == FF && s->len > 0))
  {
    if (line_end(s) == FP_STEP_REJECT)
      return FP_STEP_REJECT;
    return b == FF ? finish(s, r) : FP_STEP_HOLD;
  }
  if (b == FF && s->kind != K_NONE)
    return finish(s, r);
  /* The first four bytes must be "@PJL"; a line holds printable text and CR. */
  if (s->len == LINE_MAX_LEN || b == FF || (b < 0x20 && b != '\r' && b != '\t') || b > 0x7e
      || (s->kind == K_NONE && s->len >= 1 && s->len < 4 && (b | 0x20) != (uint8_t)"@pjl"[s->len]))
  {
    pjl_reset_frame(s);
    return FP_STEP_REJECT;
  }
  s->line[s->len++] = (char)b;
  return FP_STEP_HOLD;
}

/* "UEL @PJL ECHO id UEL": answered once the PJL parser reached it; 0 when `id` does not fit. */
static size_t pjl_done_query(const char *id, uint8_t *out, size_t size)
{
  int n;

  if (!id || !*id || strlen(id) > 40)
    return 0;
  for (const char *c = id; *c; c++)
    if (*c < 0x21 || *c > 0x7e)
      return 0;
  n = snprintf((char *)out, size, "%s@PJL\r\n@PJL ECHO %s\r\n%s", UEL, id, UEL);
  return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

static const uint8_t pjl_probe[] = UEL "@PJL\r\n@PJL INFO STATUS\r\n" UEL;
static const uint8_t pjl_arm[] = UEL "@PJL\r\n@PJL USTATUS DEVICE=ON\r\n" UEL;
static const uint8_t pjl_disarm[] = UEL;

const fp_status_language_t fp_status_pjl = {
  .name = "pjl",
  .probe = pjl_probe,
  .probe_len = sizeof(pjl_probe) - 1,
  .probe_blind = false,
  .command_set = "PJL",
  .arm = pjl_arm,
  .arm_len = sizeof(pjl_arm) - 1,
  .disarm = pjl_disarm,
  .disarm_len = sizeof(pjl_disarm) - 1,
  .reply_max = FP_STATUS_REPLY_MAX,
  .state_size = sizeof(pjl_state_t),
  .init = pjl_init,
  .reset_frame = pjl_reset_frame,
  .note_sent = pjl_note_sent,
  .step = pjl_step,
  .done_query = pjl_done_query,
};

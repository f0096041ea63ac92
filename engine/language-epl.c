/*
 * The EPL2 tracker (Eltron/Zebra page-mode label printers; CUPS's
 * zebraep2.ppd, not the ESC-based EPL line mode of zebraep1.ppd).  EPL2
 * commands are lines ended by LF (CR does not count), so a cut line is the
 * usual half-sent command; the tracker keeps where it is in the line and
 * follows the lines that carry binary data or change how lines are taken:
 * - GW p1,p2,p3,p4 then p3 * p4 bytes of raster data, after ',' or after
 *   the line's LF (Zebra: "GWp1,p2,p3,p4,DATA -or- GWp1,p2,p3,p4[cr...]<lf>
 *   DATA"; CUPS rastertolabel sends "GW0,y,bytes,1\n", the data, "\n");
 * - GM "name" p1, LF, then p1 bytes of a PCX file;
 * - FS "name" ... FE: between these lines the printer stores the lines in a
 *   form instead of running them.
 * Data is skipped in one step; other lines are skipped to their LF.
 *
 * Completing a half-sent command (epl_completion):
 * - a cut line gets its LF: the command runs with what it received (a GW
 *   or GM header first takes the data its size digits so far ask for);
 * - data owed is sent as 0xFF: in GW data a 1 bit is a white dot and a 0
 *   bit a black one (Zebra's GW article; rastertolabel inverts CUPS's
 *   raster for it), and in PCX run-length data 0xFF 0xFF is 63 bytes of
 *   0xFF, white in a 1-bit PCX;
 * - a GM name left open gets its closing quote;
 * - while a form is being stored, FE then ends it: in the prefix after a
 *   cut line, or in the suffix after data owed inside the form (GW or GM
 *   data ends its command, so the printer is at the start of a line after
 *   the fill, and the reset's lines are run, not stored in the form).
 * No harmless value exists, and the completion has a visible effect, for:
 * a cut command line (it runs truncated: a cut P prints the label buffer,
 * a cut text or barcode line draws its truncated data into the buffer,
 * which the reset's N clears, a cut setting such as q816 takes the value
 * received so far, q8), a cut GM (the stored graphic is cut or
 * corrupt), and a cut form (stored up to the cut, its graphic white from
 * the cut on).
 * Not followed: ES soft-font downloads (binary character data whose size
 * the references give inconsistently; a driver never sends one) and the
 * variable data lines after "?" (their count is that of the V and C lines
 * of a form stored earlier, possibly by another job).
 *
 * Bounds.  A size beyond what a real printer takes means the bytes are not
 * EPL2 (a PDF, a mis-routed file): the tracker is then lost until it is
 * started again, and its completion is implausible (the claimed size, for
 * the log, and nothing to send).  The EPL2 manual gives GW and GM no
 * ranges, so the bounds are physical and generous: a GW row is at most
 * 1024 bytes (8192 dots; the widest EPL2 heads are 6.6 inches at 203 dpi,
 * 1344 dots) and a GW graphic at most 65535 rows (the range of the label
 * length, Q), so at most 64 MiB; a GM PCX file at most 64 MiB too (the
 * largest GW graphic, uncompressed, with its header; EPL2 printers store
 * graphics in a few MB of memory).  So no plausible EPL2 completion owes
 * more than 64 MiB.
 * EPL2 has no way back to command level from inside GW or GM data, which
 * the printer takes by count.
 */

#include "language.h"

#include <string.h>

#define WHITE 0xff
#define NUMBER_MAX 1000000000000000ull /* numbers stop growing here */
#define GW_WIDTH_MAX 1024                  /* GW p3: bytes a row */
#define GW_ROWS_MAX 65535                  /* GW p4: rows */
#define GM_SIZE_MAX (UINT64_C(64) << 20)   /* GM p1: bytes of PCX */

/* Where the parser is. */
typedef enum phase_e
{
  P_LINE_START = 0, /* at the start of a line */
  P_FIRST,          /* one character of a line: the second decides the command */
  P_LINE,           /* in a line, up to its LF */
  P_GW,             /* GW parameters */
  P_GM_NAME,        /* GM: up to the end of the quoted name */
  P_GM_SIZE,        /* GM: the size, up to LF */
  P_DATA,           /* binary data */
  P_LOST            /* a size no printer accepts: `owed` is the claim; bytes are ignored */
} phase_t;

/* Lines whose end changes the form state. */
typedef enum line_kind_e
{
  L_PLAIN = 0,
  L_FORM_STORE, /* FS */
  L_FORM_END    /* FE */
} line_kind_t;

/* The tracker state: plain data, copied freely. */
typedef struct epl_s
{
  uint64_t owed;    /* P_DATA: bytes left */
  uint64_t number;  /* P_GW, P_GM_SIZE: the number being read */
  uint64_t width;   /* P_GW: p3, bytes per row */
  uint8_t  phase;   /* phase_t */
  uint8_t  first;   /* P_FIRST: the line's first character */
  uint8_t  kind;    /* P_LINE: line_kind_t */
  uint8_t  field;   /* P_GW: index of the parameter being read */
  uint8_t  digits;  /* P_GW, P_GM_SIZE: digits of the number being read */
  uint8_t  quoted;  /* P_GM_NAME: inside the quotes */
  uint8_t  storing; /* between FS and FE */
} epl_t;

_Static_assert(sizeof(epl_t) <= FP_TRACKER_STATE_MAX, "EPL state too large");

/* Start `bytes` of binary data (none: the next line starts). */
static void begin_data(epl_t *s, uint64_t bytes)
{
  s->owed = bytes;
  s->phase = bytes ? P_DATA : P_LINE_START;
}

/* A size beyond the bounds (see the top of this file): not EPL2, lost until init. */
static void lose(epl_t *s, uint64_t claimed)
{
  s->owed = claimed;
  s->phase = P_LOST;
}

/* Start reading a number. */
static void begin_number(epl_t *s)
{
  s->number = 0;
  s->digits = 0;
}

/* Add decimal digit `b` to the number being read. */
static void number_digit(epl_t *s, uint8_t b)
{
  if (s->number >= NUMBER_MAX)
    return;
  s->number = s->number * 10 + (uint64_t)(b - '0');
  s->digits = s->digits < 255 ? (uint8_t)(s->digits + 1) : 255;
}

/* The second character of a line names its command. */
static void command_byte(epl_t *s, uint8_t b)
{
  s->phase = P_LINE;
  s->kind = L_PLAIN;
  if (s->first == 'G' && b == 'W')
  {
    s->phase = P_GW;
    s->field = 0;
    s->width = 0;
    begin_number(s);
  }
  else if (s->first == 'G' && b == 'M')
  {
    s->phase = P_GM_NAME;
    s->quoted = 0;
  }
  else if (s->first == 'F' && (b == 'S' || b == 'E'))
    s->kind = b == 'S' ? L_FORM_STORE : L_FORM_END;
}

/* A command line (P_LINE) ended. */
static void line_end(epl_t *s)
{
  if (s->kind != L_PLAIN)
    s->storing = s->kind == L_FORM_STORE;
  s->phase = P_LINE_START;
}

/*
 * A byte of GW's parameters: p1,p2,p3,p4 then ',' or LF before the data.
 * p3 and p4 are checked digit by digit, so that a size cut short is lost
 * already: only more digits, or its end, may follow.
 */
static void gw_byte(epl_t *s, uint8_t b)
{
  if (b >= '0' && b <= '9')
  {
    number_digit(s, b);
    if ((s->field == 2 && s->number > GW_WIDTH_MAX) || (s->field == 3 && s->number > GW_ROWS_MAX))
      lose(s, s->field == 2 ? s->number : s->width * s->number);
  }
  else if (b == ',' || b == '\n')
  {
    if (s->field == 3)
      begin_data(s, s->width * s->number); /* p4 rows of p3 bytes */
    else if (b == '\n')
      s->phase = P_LINE_START; /* no p4: no data */
    else
    {
      if (s->field == 2)
        s->width = s->number;
      s->field++;
      begin_number(s);
    }
  }
}

/* A byte of GM's name part: "name". */
static void gm_name_byte(epl_t *s, uint8_t b)
{
  if (b == '\n')
    s->phase = P_LINE_START; /* no size: no data */
  else if (b == '"' && s->quoted)
  {
    s->phase = P_GM_SIZE;
    begin_number(s);
  }
  else if (b == '"')
    s->quoted = 1;
}

/* A byte of GM's size, up to the LF that precedes the data (checked digit by digit). */
static void gm_size_byte(epl_t *s, uint8_t b)
{
  if (b >= '0' && b <= '9')
  {
    number_digit(s, b);
    if (s->number > GM_SIZE_MAX)
      lose(s, s->number);
  }
  else if (b == '\n')
    begin_data(s, s->number);
}

/* Skip the rest of a plain line; returns where it stopped. */
static const uint8_t *skip_line(epl_t *s, const uint8_t *p, const uint8_t *end)
{
  const uint8_t *lf = memchr(p, '\n', (size_t)(end - p));

  if (!lf)
    return end;
  line_end(s);
  return lf + 1;
}

/* Observe bytes the printer accepted. */
static void epl_feed(void *state, const uint8_t *p, size_t len)
{
  epl_t         *s = state;
  const uint8_t *end = p + len;

  while (p < end)
  {
    uint8_t b = *p;

    switch (s->phase)
    {
      case P_LOST: return; /* nothing is followed any more */
      case P_LINE_START:
        p++;
        if (b != '\n' && b != '\r')
        {
          s->first = b;
          s->phase = P_FIRST;
        }
        break;
      case P_FIRST:
        p++;
        if (b == '\n')
          s->phase = P_LINE_START;
        else
          command_byte(s, b);
        break;
      case P_LINE: p = skip_line(s, p, end); break;
      case P_GW: gw_byte(s, *p++); break;
      case P_GM_NAME: gm_name_byte(s, *p++); break;
      case P_GM_SIZE: gm_size_byte(s, *p++); break;
      default:
      {
        size_t n = (size_t)(end - p) < s->owed ? (size_t)(end - p) : (size_t)s->owed;

        p += n;
        if (!(s->owed -= n))
          s->phase = P_LINE_START;
        break;
      }
    }
  }
}

/* Start at the start of a line, not storing a form. */
static void epl_init(void *state)
{
  memset(state, 0, sizeof(epl_t));
}

/* The next harmless byte of a completion (see the top of this file). */
static uint8_t safe_byte(const epl_t *s)
{
  static const char form_end[] = "FE\n";

  switch (s->phase)
  {
    case P_LINE_START: return (uint8_t)form_end[0];
    case P_FIRST: return s->first == 'F' && s->storing ? (uint8_t)form_end[1] : '\n';
    case P_GM_NAME: return s->quoted ? '"' : '\n';
    default: return '\n';
  }
}

/* true when mid-command; `out` gets the shortest harmless completion. */
static bool epl_completion(const void *state, fp_completion_t *out)
{
  epl_t s;

  memcpy(&s, state, sizeof(s));
  if (s.phase == P_LOST)
  {
    out->implausible = true;
    out->fill_count = s.owed;
    return true;
  }
  if (s.phase == P_LINE_START && !s.storing)
    return false;

  /* Bytes go into the prefix through a copy of the parser; at most a
     quote, an LF and "FE\n" come before the printer is idle or data. */
  while ((s.phase != P_LINE_START || s.storing) && s.phase != P_DATA
         && out->prefix_len < FP_COMPLETION_PREFIX_MAX)
  {
    uint8_t b = safe_byte(&s);

    out->prefix[out->prefix_len++] = b;
    epl_feed(&s, &b, 1);
  }
  out->fill_byte = WHITE;
  if (s.phase == P_DATA)
  {
    static const char form_end[] = "FE\n";

    out->fill_count = s.owed;
    if (s.storing)
    {
      /* the fill ends the data: the printer is at the start of a line, still storing */
      memcpy(out->suffix, form_end, sizeof(form_end) - 1);
      out->suffix_len = sizeof(form_end) - 1;
    }
  }
  return true;
}

const fp_language_t fp_language_epl = {
  .name = "epl",
  .reset_preset = "epl",
  .state_size = sizeof(epl_t),
  .init = epl_init,
  .feed = epl_feed,
  .completion = epl_completion,
  .surplus_fill_harmless = false, /* surplus 0xFF would begin a command line */
};

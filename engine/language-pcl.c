/*
 * The PCL tracker: PCL 5 and PCL 3 (with PCL 3GUI, HP-GL/2 and HP RTL, which
 * share PCL's escape syntax) inside PJL job framing.  It follows the
 * printer's parser in a few dozen bytes of state and never buffers the job:
 * text is scanned for ESC, parameterized escape sequences (ESC, a parameter
 * character '!'..'/', an optional group character '`'..'~', then values
 * each ended by a parameter character, lower case to continue and upper case
 * to end: ESC*b2m1234W) are parsed with their value, the commands that carry
 * binary data (ESC&a#W, ESC&b#W, ESC&n#W, ESC&p#X, ESC(s#W, ESC)s#W, ESC(f#W,
 * ESC*b#W, ESC*b#V, ESC*c#W, ESC*g#W, ESC*i#W, ESC*l#W, ESC*m#W, ESC*o#W,
 * ESC*v#W, in either case, the sequence going on after the data when lower
 * case) skip their data in one step.  The syntax follows the PCL 5
 * Technical Reference as the printers apply it: spaces inside a value are
 * ignored, other characters of 0x20..0x3F after a value are ignored up to
 * the parameter character, any other byte (ESC included) ends the sequence
 * and is taken afresh; ESC followed by a byte that is neither a parameter
 * character nor a two-character command ('0'..'~') is dropped; a negative
 * byte count is no data.
 *
 * PJL: the Universal Exit Language (ESC%-12345X) leaves PCL for PJL, whose
 * "@PJL ..." lines are followed up to the LF; "@PJL ENTER LANGUAGE=x" enters
 * PCL for PCL, PCL3GUI, PCL5..., HPGL2 and RTL, and an untracked language
 * for any other (PCLXL, POSTSCRIPT, PDF, ...), in which only the UEL is
 * looked for.  Data after PJL lines without ENTER LANGUAGE is taken as PCL
 * (the printer's automatic language switch), except data starting with '%'
 * (PostScript's "%!", PDF) or ')' (PCL XL's ") HP-PCL XL"), taken as an
 * untracked language.  A job starts in PJL (an idle printer detects the
 * language of a new job).  ESC Y (display functions on) makes the printer
 * print every escape sequence instead of running it, until ESC Z.
 *
 * Completing a half-sent command (pcl_completion):
 * - a lone ESC becomes ESC E (printer reset: what the reset preset sends
 *   anyway);
 * - a sequence cut after its parameter or group character, inside a value,
 *   or after a lower-case parameter is ended with '@' and its value so far:
 *   '@' is assigned only to "underline off" (ESC&d@) and "default font"
 *   (ESC(#@, ESC)#@) and is an ignored, unassigned parameter everywhere
 *   else; a cut UEL is thus not completed as a UEL (the printer ignores
 *   ESC%-123@);
 * - owed data is sent as 0x00: blank raster rows in compression modes 0, 1,
 *   2 and 5; a zeroed pattern, font header, character, symbol set, color
 *   configuration, lookup table or dither matrix, which defines nothing
 *   usable (temporary downloads are deleted by the reset; one made
 *   permanent before the cut stays); NUL characters for transparent print
 *   data; a zeroed PML/AppleTalk configuration message (ESC&b#W);
 * - after data sent by a lower-case parameter the sequence goes on (the
 *   PCL 5 Technical Reference: a combined sequence ends at an upper-case
 *   character, and binary data follows the character that announces it;
 *   GhostPCL goes back to parameter scanning after such data): '@' ends it
 *   when the data is short enough to travel in the completion's prefix, and
 *   otherwise one NUL after the fill, as the completion's suffix, does.  The
 *   references do not say what a control byte inside a sequence does; the
 *   reading taken (the one this tracker follows, and GhostPCL's) is that it
 *   ends the sequence and is then taken as text, where NUL prints nothing.
 *   NUL is the choice that fails safe: a suffix follows any surplus fill
 *   (the backend lengthens the fill when bytes were lost with the
 *   connection), where the sequence may already be over and '@' would print;
 *   a NUL is harmless wherever it lands, and on a printer that skipped it
 *   inside the sequence the reset's leading ESC would still end it;
 * - a cut "@PJL" prefix or PJL line is ended with LF: the line runs as far
 *   as it was sent (an unknown or cut command is ignored by the printer, a
 *   string cut before its closing quote is a syntax error and ignored);
 * - display functions mode is left with ESC Z (a cut UEL in it is finished);
 * - a macro definition (ESC&f0X up to ESC&f1X), in which the printer
 *   stores the commands instead of running them, is ended with ESC&f1X
 *   after the rest of the completion (HP: "a printer reset command (ESC E
 *   or UEL) is not allowed in a macro", so ESC E is not relied on to end
 *   it; the UEL leaves PCL, and the tracker takes it as ending the
 *   definition).
 * A value cut short is thus dropped (ESC&l1@ of ESC&l12X does nothing);
 * the parameters of a combined sequence that were ended before the cut have
 * run.  No harmless value exists, and the completion has a visible effect,
 * for: a raster row in delta-row compression (modes 3 and 9), which repeats
 * the seed row (the previous row) with leading bytes made white; raster
 * rows already announced (white rows move the cursor, and ESC E prints the
 * page if anything was marked); a PJL line cut short, run as sent (a cut
 * "@PJL SET" lasts until the end of the PJL job, which the UEL of the
 * pjl+pcl reset ends; a cut "@PJL DEFAULT" is stored); a macro definition
 * (the macro is defined with what was sent before the cut; a temporary
 * one is deleted by the reset).
 *
 * The reset preset is pjl+pcl (UEL, then ESC E) rather than pcl: the UEL
 * ends the PJL job (its @PJL SET values go back to the defaults instead of
 * applying to the next job) and whatever language the job had entered
 * (PostScript, PCL XL, which ignore ESC E), and ESC E then resets PCL,
 * also on printers without PJL, for which the UEL is an unknown, ignored PCL
 * sequence (on a PJL printer it makes an empty PCL job, which prints
 * nothing).  reset=pjl+pcl and reset=pcl both select this tracker.  Surplus NUL fill is harmless: NUL is skipped between PJL
 * lines, prints nothing in PCL, and is what HPLIP pads a canceled job with.
 *
 * Bounds.  A byte count beyond what a real printer takes means the bytes
 * are not PCL (a PDF or a binary file taken for PCL text): the tracker is
 * then lost until it is started again, and its completion is implausible
 * (the claimed count, for the log, and nothing to send).  The PCL 5
 * Technical Reference gives every value field, byte counts included, the
 * range 0..32767; the bounds are generous beyond it:
 * - raster rows (ESC*b#W, ESC*b#V) and downloads (fonts ESC)s#W,
 *   characters ESC(s#W, symbol sets ESC(f#W, patterns ESC*c#W, dither
 *   matrices ESC*m#W): at most 1 MiB.  HP RTL on large-format printers
 *   sends rows beyond 32767 bytes (a 60-inch row at 600 dpi in 24-bit color
 *   is 108 kB), and TrueType font headers carry whole font segments;
 * - the short configuration data (ESC*v#W 6 or 18 bytes, ESC*g#W, ESC*i#W,
 *   ESC*l#W, ESC*o#W, ESC&b#W, ESC&n#W, ESC&a#W) and transparent print
 *   data (ESC&p#X): at most 64 KiB, twice the value range.
 * So no plausible PCL completion owes more than 1 MiB.  PJL lines carry no
 * counts the tracker follows (FSDOWNLOAD is not followed), and HP-GL/2
 * carries none: its strings and polylines end at a terminator.
 *
 * The resynchronisation (sent before the reset when a completion is
 * refused) is the UEL, ESC%-12345X: a PJL printer looks for it below the
 * language interpreters and leaves any language, also from inside data,
 * where its firmware does so (HP documents the UEL as the exit from any
 * language); a printer without PJL takes it as data it was owed or as an
 * unknown, ignored PCL sequence.  On an idle printer it ends an empty PJL
 * job, which prints nothing (the pjl+pcl reset begins with it anyway).
 */

#include "language.h"

#include <string.h>

#define ESC 0x1b

/* Where the data goes. */
typedef enum context_e
{
  C_PJL = 0, /* PJL (also the start of a job): "@PJL" lines, or a language starts */
  C_PCL,     /* PCL, HP-GL/2, RTL */
  C_OTHER,   /* a language this tracker does not follow: only the UEL counts */
  C_DISPLAY  /* PCL display functions: only ESC Z and the UEL count */
} context_t;

/* Where the parser is. */
typedef enum phase_e
{
  P_TEXT = 0,   /* outside any command (PJL: at the start of a line) */
  P_ESCAPE,     /* ESC received */
  P_CLASS,      /* ESC and a parameter character: a group character may follow */
  P_PARAM,      /* reading a value and its parameter character */
  P_DATA,       /* skipping `owed` data bytes */
  P_PJL_PREFIX, /* `matched` bytes of "@PJL" received at the start of a line */
  P_PJL_LINE,   /* inside a PJL command line */
  P_LOST        /* a count no printer accepts: `owed` is the claim; bytes are ignored */
} phase_t;

/* Value flags. */
#define V_DIGITS 0x01   /* a digit, sign or decimal point was seen */
#define V_NEGATIVE 0x02 /* '-' */
#define V_FRACTION 0x04 /* '.' seen: further digits are the fraction */
#define V_GARBAGE 0x08  /* a stray 0x20..0x3F byte followed the value */

/* Values beyond this are kept at this (no PCL count comes close). */
#define VALUE_MAX (UINT64_C(1) << 48)

/* PJL ENTER LANGUAGE recognition, one step per word of the line. */
typedef enum enter_e
{
  E_ENTER = 0, /* expecting ENTER */
  E_LANGUAGE,  /* expecting LANGUAGE */
  E_EQUALS,    /* expecting '=' */
  E_VALUE,     /* expecting the language name */
  E_PCL,       /* "ENTER LANGUAGE = <a PCL language>" */
  E_OTHER,     /* "ENTER LANGUAGE = <another language>" */
  E_NONE       /* another command */
} enter_t;

#define WORD_MAX 8

/* The tracker state: plain data, copied freely. */
typedef struct pcl_s
{
  uint64_t owed;           /* P_DATA: bytes left */
  uint64_t value;          /* P_PARAM: integer part of the value */
  uint8_t  context;        /* context_t */
  uint8_t  phase;          /* phase_t */
  uint8_t  pclass;         /* parameter character ('&', '*', ...) */
  uint8_t  group;          /* group character, 0 when none */
  uint8_t  flags;          /* V_* */
  uint8_t  combined;       /* P_DATA: the data parameter was lower case */
  uint8_t  matched;        /* bytes of "@PJL" or of the UEL matched */
  uint8_t  enter;          /* P_PJL_LINE: enter_t */
  uint8_t  word_len;       /* P_PJL_LINE: bytes in `word` (WORD_MAX + 1: longer) */
  uint8_t  macro;          /* inside a macro definition (ESC&f0X) */
  char     word[WORD_MAX]; /* P_PJL_LINE: the current word, upper case */
} pcl_t;

_Static_assert(sizeof(pcl_t) <= FP_TRACKER_STATE_MAX, "PCL state too large");

static const char uel[] = "\x1b%-12345X";
static const char pjl_prefix[] = "@PJL";

#define UEL_LEN (sizeof(uel) - 1)
#define PJL_PREFIX_LEN (sizeof(pjl_prefix) - 1)

#define DOWNLOAD_MAX (UINT64_C(1) << 20) /* raster rows and downloads */
#define CONFIG_MAX (UINT64_C(1) << 16)   /* configuration and transparent data */

/*
 * The most data ESC `pclass` `group` ... `param` (upper case) may carry
 * (see the top of this file), or 0 when it carries none.
 */
static uint64_t data_max(uint8_t pclass, uint8_t group, uint8_t param)
{
  static const struct
  {
    char     name[4];
    uint64_t max;
  } commands[] = {
    { "*bW", DOWNLOAD_MAX }, { "*bV", DOWNLOAD_MAX }, { ")sW", DOWNLOAD_MAX },
    { "(sW", DOWNLOAD_MAX }, { "(fW", DOWNLOAD_MAX }, { "*cW", DOWNLOAD_MAX },
    { "*mW", DOWNLOAD_MAX }, { "&aW", CONFIG_MAX },   { "&bW", CONFIG_MAX },
    { "&nW", CONFIG_MAX },   { "&pX", CONFIG_MAX },   { "*gW", CONFIG_MAX },
    { "*iW", CONFIG_MAX },   { "*lW", CONFIG_MAX },   { "*oW", CONFIG_MAX },
    { "*vW", CONFIG_MAX },
  };

  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (commands[i].name[0] == pclass && commands[i].name[1] == group
        && commands[i].name[2] == param)
      return commands[i].max;
  return 0;
}

/* Start reading a new value. */
static void begin_value(pcl_t *s)
{
  s->value = 0;
  s->flags = 0;
  s->phase = P_PARAM;
}

/* Start a PJL line after its "@PJL". */
static void begin_pjl_line(pcl_t *s)
{
  s->phase = P_PJL_LINE;
  s->enter = E_ENTER;
  s->word_len = 0;
}

/* Back to the text of the current context (PJL: the start of a line). */
static void end_command(pcl_t *s)
{
  s->phase = P_TEXT;
  s->matched = 0;
}

/* A parameter character ended the value: run it. */
static void parameter(pcl_t *s, uint8_t param)
{
  bool     combined = param >= 0x60;
  uint8_t  upper = combined ? (uint8_t)(param - 0x20) : param;
  uint64_t max = data_max(s->pclass, s->group, upper);

  if (max && !(s->flags & V_NEGATIVE) && s->value > max)
  {
    s->owed = s->value; /* not PCL: lost until init */
    s->phase = P_LOST;
    return;
  }
  if (max && !(s->flags & V_NEGATIVE) && s->value)
  {
    s->owed = s->value;
    s->combined = combined;
    s->phase = P_DATA;
    return;
  }
  if (s->pclass == '&' && s->group == 'f' && upper == 'X' && s->value <= 1
      && !(s->flags & V_NEGATIVE))
    s->macro = s->value == 0; /* macro control: 0 starts a definition, 1 stops it */
  if (combined)
    begin_value(s);
  else if (s->pclass == '%' && !s->group && upper == 'X' && s->value == 12345
           && (s->flags & (V_NEGATIVE | V_FRACTION | V_GARBAGE)) == V_NEGATIVE)
  {
    s->context = C_PJL; /* the Universal Exit Language */
    s->macro = 0;
    end_command(s);
  }
  else
    end_command(s);
}

/* A byte of a value or its parameter character; false when it ends the sequence unused. */
static bool param_byte(pcl_t *s, uint8_t b)
{
  if (s->flags & V_GARBAGE)
  {
    if (b >= 0x20 && b <= 0x3f)
      return true;
    s->flags &= (uint8_t)~V_GARBAGE;
  }
  else if (b >= '0' && b <= '9')
  {
    if (!(s->flags & V_FRACTION))
    {
      s->value = s->value * 10 + (uint64_t)(b - '0');
      if (s->value > VALUE_MAX)
        s->value = VALUE_MAX;
    }
    s->flags |= V_DIGITS;
    return true;
  }
  else if (b == '-' || b == '+' || b == '.')
  {
    s->flags |= V_DIGITS | (b == '-' ? V_NEGATIVE : b == '.' ? V_FRACTION : 0);
    return true;
  }
  else if (b >= 0x20 && b <= 0x3f)
  {
    if (b != ' ' && (s->flags & V_DIGITS))
      s->flags |= V_GARBAGE;
    return true;
  }

  if (b >= 0x40 && b <= 0x7e && b != 0x5f)
  {
    parameter(s, b);
    return true;
  }
  end_command(s);
  return false;
}

/* The byte after ESC; false when it is not part of the sequence. */
static bool escape_byte(pcl_t *s, uint8_t b)
{
  if (b >= 0x21 && b <= 0x2f)
  {
    s->pclass = b;
    s->group = 0;
    s->phase = P_CLASS;
    return true;
  }
  end_command(s);
  if (b >= 0x30 && b <= 0x7e)
  {
    if (b == 'Y')
      s->context = C_DISPLAY;
    return true;
  }
  return false; /* the ESC is dropped, the byte is taken afresh */
}

/* The language an ENTER LANGUAGE value names (`s->word`, `s->word_len` bytes). */
static enter_t language_of(const pcl_t *s)
{
  static const char *const pcl_names[] = { "HPGL2", "HPGL", "RTL" };
  size_t                   len = s->word_len;

  if (len > WORD_MAX)
    return E_OTHER;
  if (len >= 3 && !memcmp(s->word, "PCL", 3))
    return len >= 4 && s->word[3] == 'X' ? E_OTHER : E_PCL;
  for (size_t i = 0; i < sizeof(pcl_names) / sizeof(pcl_names[0]); i++)
    if (strlen(pcl_names[i]) == len && !memcmp(s->word, pcl_names[i], len))
      return E_PCL;
  return E_OTHER;
}

/* A word of a PJL line ended: advance the ENTER LANGUAGE recognition. */
static void pjl_word_end(pcl_t *s)
{
  if (!s->word_len)
    return;
  switch (s->enter)
  {
    case E_ENTER:
      s->enter = s->word_len == 5 && !memcmp(s->word, "ENTER", 5) ? E_LANGUAGE : E_NONE;
      break;
    case E_LANGUAGE:
      s->enter = s->word_len == 8 && !memcmp(s->word, "LANGUAGE", 8) ? E_EQUALS : E_NONE;
      break;
    case E_VALUE: s->enter = (uint8_t)language_of(s); break;
    case E_EQUALS: s->enter = E_NONE; break;
    default: break;
  }
  s->word_len = 0;
}

/* A byte of a PJL line (after "@PJL"). */
static void pjl_line_byte(pcl_t *s, uint8_t b)
{
  if (b == '\n')
  {
    pjl_word_end(s);
    if (s->enter == E_PCL)
      s->context = C_PCL;
    else if (s->enter == E_OTHER)
      s->context = C_OTHER;
    end_command(s);
  }
  else if (b == ' ' || b == '\t' || b == '\r' || b == '=')
  {
    pjl_word_end(s);
    if (b == '=')
      s->enter = s->enter == E_EQUALS ? E_VALUE : E_NONE;
  }
  else
  {
    if (s->word_len < WORD_MAX)
      s->word[s->word_len] = (char)(b >= 'a' && b <= 'z' ? b - 0x20 : b);
    if (s->word_len <= WORD_MAX)
      s->word_len++;
  }
}

/* A byte at the start of a PJL line; false when it belongs to the language that follows. */
static bool pjl_start_byte(pcl_t *s, uint8_t b)
{
  switch (b)
  {
    case '@':
      s->phase = P_PJL_PREFIX;
      s->matched = 1;
      return true;
    case '\r':
    case '\n':
    case ' ':
    case '\t':
    case '\f':
    case 0:
      return true;
    case '%': /* PostScript, PDF */
    case ')': /* PCL XL */
      s->context = C_OTHER;
      return true;
    case ESC:
      s->context = C_PCL;
      s->phase = P_ESCAPE;
      return true;
    default:
      s->context = C_PCL; /* the automatic language switch: PCL text */
      return false;
  }
}

/* Skip the bytes of an untracked language (or display functions) up to the UEL. */
static const uint8_t *scan_for_uel(pcl_t *s, const uint8_t *p, const uint8_t *end)
{
  while (p < end)
  {
    uint8_t b = *p;

    if (!s->matched)
    {
      const uint8_t *esc = memchr(p, ESC, (size_t)(end - p));

      if (!esc)
        return end;
      p = esc + 1;
      s->matched = 1;
      continue;
    }
    p++;
    if (s->context == C_DISPLAY && s->matched == 1 && b == 'Z')
    {
      s->context = C_PCL;
      s->matched = 0;
      return p;
    }
    if (b == (uint8_t)uel[s->matched])
    {
      if (++s->matched == UEL_LEN)
      {
        s->context = C_PJL;
        s->macro = 0;
        s->matched = 0;
        return p;
      }
    }
    else
      s->matched = b == ESC;
  }
  return p;
}

/* Observe bytes the printer accepted. */
static void pcl_feed(void *state, const uint8_t *p, size_t len)
{
  pcl_t         *s = state;
  const uint8_t *end = p + len;

  if (s->phase == P_LOST)
    return; /* nothing is followed any more */
  while (p < end)
  {
    if (s->context == C_OTHER || s->context == C_DISPLAY)
    {
      p = scan_for_uel(s, p, end);
      continue;
    }
    switch (s->phase)
    {
      case P_TEXT:
        if (s->context == C_PJL)
        {
          if (pjl_start_byte(s, *p))
            p++;
        }
        else if ((p = memchr(p, ESC, (size_t)(end - p))))
        {
          p++;
          s->phase = P_ESCAPE;
        }
        else
          return;
        break;

      case P_ESCAPE:
        if (escape_byte(s, *p))
          p++;
        break;

      case P_CLASS:
        if (*p >= 0x60 && *p <= 0x7e)
          s->group = *p++;
        begin_value(s);
        break;

      case P_PARAM:
        if (param_byte(s, *p))
          p++;
        break;

      case P_DATA:
      {
        size_t n = (size_t)(end - p) < s->owed ? (size_t)(end - p) : (size_t)s->owed;

        p += n;
        if (!(s->owed -= n))
        {
          if (s->combined)
            begin_value(s);
          else
            end_command(s);
        }
        break;
      }

      case P_LOST: return; /* lost in this feed: nothing is followed any more */

      case P_PJL_PREFIX:
        if (*p == (uint8_t)pjl_prefix[s->matched])
        {
          p++;
          if (++s->matched == PJL_PREFIX_LEN)
            begin_pjl_line(s);
        }
        else
        {
          s->context = C_PCL; /* not PJL after all: the language's own data */
          end_command(s);
        }
        break;

      case P_PJL_LINE:
        if (*p == ESC)
          end_command(s); /* taken afresh at the start of a line */
        else
          pjl_line_byte(s, *p++);
        break;
    }
  }
}

/* Start in the idle state: PJL, at the start of a line. */
static void pcl_init(void *state)
{
  memset(state, 0, sizeof(pcl_t));
}

/* The harmless next byte of a half-sent command (see the top of this file). */
static uint8_t safe_byte(const pcl_t *s)
{
  if (s->context == C_DISPLAY)
    return s->matched <= 1 ? (uint8_t)(s->matched ? 'Z' : ESC) : (uint8_t)uel[s->matched];
  switch (s->phase)
  {
    case P_ESCAPE: return 'E';
    case P_PJL_PREFIX: return (uint8_t)pjl_prefix[s->matched];
    case P_PJL_LINE: return '\n';
    default: return '@';
  }
}

/* true when the printer is outside any command. */
static bool idle(const pcl_t *s)
{
  return s->context == C_OTHER || (s->context != C_DISPLAY && s->phase == P_TEXT);
}

/* true when mid-command; `out` gets the shortest harmless completion. */
static bool pcl_completion(const void *state, fp_completion_t *out)
{
  pcl_t s;

  memcpy(&s, state, sizeof(s));
  if (s.phase == P_LOST)
  {
    out->implausible = true;
    out->fill_count = s.owed;
    return true;
  }
  if (idle(&s) && !s.macro)
    return false;

  /* Bytes go into the prefix, fed through a copy of the parser so that the
     completion always agrees with it; owed data becomes the fill, or part
     of the prefix when a lower-case data parameter needs '@' after it. */
  while (!idle(&s) && out->prefix_len < FP_COMPLETION_PREFIX_MAX)
  {
    uint8_t b;

    if (s.phase == P_DATA)
    {
      size_t zeros = (size_t)s.owed;

      if (!s.combined || out->prefix_len + s.owed >= FP_COMPLETION_PREFIX_MAX)
      {
        out->fill_count = s.owed;
        if (s.combined)
          out->suffix[out->suffix_len++] = 0x00; /* ends the sequence the data was sent in */
        break;
      }
      memset(out->prefix + out->prefix_len, 0, zeros);
      pcl_feed(&s, out->prefix + out->prefix_len, zeros);
      out->prefix_len += zeros;
      continue;
    }
    b = safe_byte(&s);
    out->prefix[out->prefix_len++] = b;
    pcl_feed(&s, &b, 1);
  }
  out->fill_byte = 0x00;
  if (s.macro)
  {
    static const char stop[] = "\x1b&f1X";

    /* after the fill (and the NUL that ends a sequence going on after it),
       the printer is between commands */
    memcpy(out->suffix + out->suffix_len, stop, sizeof(stop) - 1);
    out->suffix_len += sizeof(stop) - 1;
  }
  return true;
}

const fp_language_t fp_language_pcl = {
  .name = "pcl",
  .reset_preset = "pjl+pcl",
  .state_size = sizeof(pcl_t),
  .init = pcl_init,
  .feed = pcl_feed,
  .completion = pcl_completion,
  .surplus_fill_harmless = true, /* NUL prints nothing in PCL and is skipped in PJL */
  .resync = (const uint8_t *)uel,
  .resync_len = UEL_LEN,
};

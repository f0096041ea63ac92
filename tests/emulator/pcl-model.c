/*
 * pcl-model.c: the printer emulator's PJL and PCL 5 parser model.
 *
 * A byte-at-a-time state machine on two levels. Between jobs the printer is
 * at the PJL level: lines beginning "@PJL" are PJL commands, "@PJL ENTER
 * LANGUAGE = PCL" selects PCL and any other byte selects it implicitly (as
 * printers with automatic language switching do). The UEL (ESC %-12345X)
 * returns to the PJL level from PCL, HP-GL/2 or any other language.
 *
 * At the PCL level printable bytes collect into a line that CR, LF or FF
 * prints; FF ejects the page. Escape sequences are either two-character
 * (ESC E: reset) or parameterized: ESC, a parameterized character (! to /),
 * an optional group character (` to ~), then value fields each closed by a
 * parameter character, lower case to combine with the next, upper case to
 * end the sequence (ESC*b2m600W). The parameters in the table below are
 * followed by as many bytes of binary data as their value says; those bytes
 * are consumed whatever they are, which is how a cut raster row swallows the
 * next job. A byte that does not fit the syntax ends the sequence and is
 * parsed again on its own; an ESC inside a sequence begins a new one.
 *
 * Raster rows (ESC*b#W, ESC*b#V) between ESC*r#A (or the first row) and
 * ESC*rB / ESC*rC, printable text, FF, ESC E or the UEL are reported as one
 * image; a row from another connection ends it and begins a new one.
 */

#include "pcl-model.h"
#include "pjl-status.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define HT 0x09
#define LF 0x0a
#define FF 0x0c
#define CR 0x0d
#define ESC 0x1b
#define DEL 0x7f

#define PJL_MAX 256                    /* PJL line bytes kept for the log */
#define VALUE_MAX UINT64_C(0xffffffff) /* value fields saturate here */
#define UEL_VALUE 12345                /* ESC %-12345X */

/* The Universal Exit Language sequence, as the other-language level scans for it. */
static const unsigned char uel[] = {ESC, '%', '-', '1', '2', '3', '4', '5', 'X'};

/* The prefix of a PJL command line. */
static const char pjl_prefix[] = "@PJL";

/* What selects PCL after the prefix, spaces removed and upper-cased. */
static const char enter_language[] = "@PJLENTERLANGUAGE=";

/* Where the printer is between escape sequences. */
enum level
{
  LEVEL_PJL,      /* at a job boundary: PJL lines, or a job's first PCL byte */
  LEVEL_PJL_LINE, /* in a line that began with '@' (a PJL command once "@PJL" is complete) */
  LEVEL_PCL,      /* PCL text and commands */
  LEVEL_HPGL,     /* HP-GL/2 (ESC %#B): only escape sequences count */
  LEVEL_OTHER     /* another language (PJL ENTER LANGUAGE): ignored up to the UEL */
};

/* Where the escape sequence parser is. */
enum esc
{
  ESC_NONE,  /* not in an escape sequence */
  ESC_START, /* got ESC */
  ESC_GROUP, /* got ESC and a parameterized character; a group character may follow */
  ESC_VALUE, /* in a value field, up to its parameter character */
  ESC_DATA   /* consuming a parameter's binary data */
};

/* A parameter followed by as many data bytes as its value: ESC pchar group # param. */
struct data_command
{
  unsigned char pchar;
  unsigned char group;
  unsigned char param;
};

/* The parameters that carry binary data. */
static const struct data_command data_commands[] = {
  {'*', 'b', 'W'}, /* transfer raster data by row */
  {'*', 'b', 'V'}, /* transfer raster data by plane */
  {'*', 'c', 'W'}, /* user-defined pattern */
  {'*', 'g', 'W'}, /* configure raster data */
  {'*', 'i', 'W'}, /* viewing illuminant */
  {'*', 'l', 'W'}, /* colour lookup tables */
  {'*', 'm', 'W'}, /* download dither matrix */
  {'*', 'o', 'W'}, /* driver configuration */
  {'*', 'v', 'W'}, /* configure image data */
  {'(', 'f', 'W'}, /* symbol set definition */
  {'(', 's', 'W'}, /* download character */
  {')', 's', 'W'}, /* font header */
  {'&', 'b', 'W'}, /* I/O configuration */
  {'&', 'n', 'W'}, /* alphanumeric ID */
  {'&', 'p', 'X'}, /* transparent print data */
};

typedef struct pcl_model
{
  mc_core_t core;             /* first: events, counters, owner, swallowed bytes */

  enum level level;
  enum esc esc;
  unsigned char name[3];      /* ESC, parameterized character, group character */
  size_t name_len;
  uint64_t value;             /* the value field so far (integer part) */
  int negative;               /* it began with '-' */
  int fraction;               /* a '.' arrived: later digits are the fraction */
  int digits;                 /* digits or sign seen in this value field */
  uint64_t remaining;         /* ESC_DATA: data bytes left */
  int data_last;              /* ESC_DATA: the parameter ended the sequence */
  int data_raster;            /* ESC_DATA: raster row data */

  mc_text_t line;             /* the text line being composed */
  unsigned char pjl[PJL_MAX]; /* LEVEL_PJL_LINE: the line so far */
  size_t pjl_len;
  size_t uel_matched;         /* LEVEL_OTHER: bytes of the UEL matched */

  unsigned width;             /* ESC*r#S: raster width in dots (0: not set) */
  unsigned height;            /* ESC*r#T: raster height in rows (0: not set) */
  int raster;                 /* a raster image is open */
  unsigned raster_owner;
  uint64_t raster_bytes;      /* row data bytes received */
  uint64_t raster_zeros;
  uint64_t raster_swallowed;
  uint64_t page_texts;        /* lines printed on the current page */
  uint64_t page_graphics;     /* raster images begun on it */

  pjl_status_t pjl_status;    /* what the PJL level answers (pjl-status.c) */
} pcl_model_t;

/* Prints the pending text line, if any. */
static void print_line(pcl_model_t *m, unsigned conn)
{
  if (m->line.len == 0)
    return;
  mc_text_print(&m->core, &m->line, conn);
  m->page_texts++;
}

/* Closes the raster image, if one is open. */
static void end_raster(pcl_model_t *m, unsigned conn)
{
  if (!m->raster)
    return;
  m->raster = 0;
  mc_image_end(&m->core, conn, m->raster_owner, m->raster_bytes, m->raster_zeros,
               m->raster_swallowed);
}

/* Opens a raster image for the current command's connection, closing another's. */
static void begin_raster(pcl_model_t *m, unsigned conn)
{
  uint64_t declared = ((uint64_t)m->width + 7) / 8 * m->height;

  if (m->raster && m->raster_owner == m->core.owner)
    return;
  end_raster(m, conn);
  m->raster = 1;
  m->raster_owner = m->core.owner;
  m->raster_bytes = 0;
  m->raster_zeros = 0;
  m->raster_swallowed = 0;
  m->page_graphics++;
  mc_image_begin(&m->core, conn, "raster", declared, m->width, m->height);
}

/* Ends the page: prints the pending line, closes the raster, ejects the page if marked (or
   `always`), reporting what ejected it. */
static void end_page(pcl_model_t *m, unsigned conn, const char *by, int always)
{
  mc_event_t ev;

  print_line(m, conn);
  end_raster(m, conn);
  if (!always && m->page_texts == 0 && m->page_graphics == 0)
    return;
  m->core.stats.pages++;
  mc_event_init(&m->core, &ev, MC_EV_PAGE, conn);
  ev.cmd = by;
  ev.texts = m->page_texts;
  ev.graphics = m->page_graphics;
  mc_emit(&m->core, &ev);
  m->page_texts = 0;
  m->page_graphics = 0;
}

/* ESC E: prints what the page holds, then restores the defaults. */
static void do_reset(pcl_model_t *m, unsigned conn)
{
  end_page(m, conn, "reset", 0);
  m->width = 0;
  m->height = 0;
  m->level = LEVEL_PCL;
  m->core.stats.resets++;
  mc_emit_simple(&m->core, MC_EV_RESET, conn, 0, NULL, 0);
}

/* ESC %-12345X: ends the job in any language and returns to PJL. */
static void do_uel(pcl_model_t *m, unsigned conn)
{
  end_page(m, conn, "uel", 0);
  m->level = LEVEL_PJL;
  mc_emit_simple(&m->core, MC_EV_UEL, conn, 0, NULL, 0);
}

/* Clears the value field. */
static void clear_value(pcl_model_t *m)
{
  m->value = 0;
  m->negative = 0;
  m->fraction = 0;
  m->digits = 0;
}

/* Starts an escape sequence on its ESC. */
static void begin_escape(pcl_model_t *m, unsigned conn)
{
  mc_begin_command(&m->core, conn, ESC);
  m->esc = ESC_START;
  m->name[0] = ESC;
  m->name_len = 1;
  clear_value(m);
}

/* Ends the escape sequence. */
static void end_escape(pcl_model_t *m)
{
  mc_flush_foreign(&m->core);
  m->esc = ESC_NONE;
}

/* Reports the escape sequence so far, and `b` if nonzero, as unknown, and ends it. */
static void unknown_escape(pcl_model_t *m, unsigned conn, unsigned char b)
{
  unsigned char cmd[sizeof(m->name) + 1];
  size_t len = m->name_len;

  memcpy(cmd, m->name, len);
  if (b)
    cmd[len++] = b;
  m->core.stats.unknown++;
  mc_emit_simple(&m->core, MC_EV_UNKNOWN, conn, 0, cmd, len);
  end_escape(m);
}

/* Nonzero when parameter `param` of the current sequence is followed by binary data. */
static int carries_data(const pcl_model_t *m, unsigned char param)
{
  unsigned char group = m->name_len > 2 ? m->name[2] : 0;
  size_t i;

  for (i = 0; i < sizeof(data_commands) / sizeof(data_commands[0]); i++)
    if (data_commands[i].pchar == m->name[1] && data_commands[i].group == group
        && data_commands[i].param == param)
      return 1;
  return 0;
}

/* Carries out a parameter that has no data. */
static void apply(pcl_model_t *m, unsigned conn, unsigned char param, uint64_t v, int negative)
{
  unsigned char pchar = m->name[1], group = m->name_len > 2 ? m->name[2] : 0;

  if (pchar == '*' && group == 'r')
  {
    if (param == 'A')
      begin_raster(m, conn);
    else if (param == 'B' || param == 'C')
      end_raster(m, conn);
    else if (param == 'S')
      m->width = (unsigned)v;
    else if (param == 'T')
      m->height = (unsigned)v;
  }
  else if (pchar == '%' && group == 0)
  {
    if (param == 'X' && negative && v == UEL_VALUE)
      do_uel(m, conn);
    else if (param == 'B')
      m->level = LEVEL_HPGL;
    else if (param == 'A')
      m->level = LEVEL_PCL;
  }
  else if (pchar == '&' && group == 'l' && param == 'H' && v == 0)
    end_page(m, conn, "eject", 1);
}

/* Parameter character `param` (upper-cased) closed a value field; `last`: it ends the sequence. */
static void run_param(pcl_model_t *m, unsigned conn, unsigned char param, int last)
{
  uint64_t v = m->value;
  int negative = m->negative;

  clear_value(m);
  if (carries_data(m, param))
  {
    m->data_last = last;
    m->data_raster = m->name[1] == '*' && m->name_len > 2 && m->name[2] == 'b';
    if (m->data_raster)
      begin_raster(m, conn);
    if (!negative && v > 0)
    {
      m->remaining = v;
      m->esc = ESC_DATA;
      return;
    }
  }
  else
    apply(m, conn, param, v, negative);
  if (last)
    end_escape(m);
}

/* The byte after ESC; returns 0 when it must be parsed again. */
static int start_byte(pcl_model_t *m, unsigned conn, unsigned char b)
{
  if (b >= '!' && b <= '/')
  {
    mc_count_bytes(&m->core, conn, 1);
    m->name[m->name_len++] = b;
    m->esc = ESC_GROUP;
    return 1;
  }
  if (b >= '0' && b <= '~')
  {
    mc_count_bytes(&m->core, conn, 1);
    if (b == 'E')
      do_reset(m, conn);
    end_escape(m); /* the other two-character escapes change nothing modelled here */
    return 1;
  }
  unknown_escape(m, conn, 0);
  return 0;
}

/* A byte of a value field or its parameter character; returns 0 when it must be parsed again. */
static int value_byte(pcl_model_t *m, unsigned conn, unsigned char b)
{
  if (b >= '0' && b <= '9')
  {
    if (!m->fraction)
      m->value = m->value > (VALUE_MAX - 9) / 10 ? VALUE_MAX : m->value * 10 + (uint64_t)(b - '0');
    m->digits = 1;
  }
  else if ((b == '+' || b == '-') && !m->digits && !m->fraction)
  {
    m->negative = b == '-';
    m->digits = 1;
  }
  else if (b == '.' && !m->fraction)
    m->fraction = 1;
  else if (!(b >= '@' && b <= '^') && !(b >= '`' && b <= '~'))
  {
    unknown_escape(m, conn, 0);
    return 0;
  }
  mc_count_bytes(&m->core, conn, 1);
  if (b >= '@' && b <= '^')
    run_param(m, conn, b, 1);
  else if (b >= '`' && b <= '~')
    run_param(m, conn, (unsigned char)(b - 0x20), 0);
  return 1;
}

/* A byte inside an escape sequence (not its data); returns 0 when it must be parsed again. */
static int escape_byte(pcl_model_t *m, unsigned conn, unsigned char b)
{
  if (b == ESC)
  {
    unknown_escape(m, conn, 0); /* cut short by a new sequence */
    begin_escape(m, conn);
    return 1;
  }
  switch (m->esc)
  {
    case ESC_START:
      return start_byte(m, conn, b);
    case ESC_GROUP:
      m->esc = ESC_VALUE;
      if (b >= '`' && b <= '~')
      {
        mc_count_bytes(&m->core, conn, 1);
        m->name[m->name_len++] = b;
        return 1;
      }
      return value_byte(m, conn, b); /* no group character: ESC %-12345X, ESC (8U */
    default:
      return value_byte(m, conn, b);
  }
}

/* A byte at the PCL level. */
static void pcl_byte(pcl_model_t *m, unsigned conn, unsigned char b)
{
  switch (b)
  {
    case ESC:
      begin_escape(m, conn);
      return;
    case CR:
    case LF:
      print_line(m, conn);
      return;
    case FF:
      end_page(m, conn, "ff", 1);
      return;
    default:
      break;
  }
  if (b != HT && (b < 0x20 || b == DEL))
    return; /* other controls (NUL, BS, SI, SO...) are ignored */
  end_raster(m, conn); /* printable data ends raster graphics */
  mc_text_add(&m->core, &m->line, conn, b);
}

/* The language a PJL line selects with ENTER LANGUAGE: LEVEL_PCL, LEVEL_OTHER, or `keep`. */
static enum level entered_language(const pcl_model_t *m, enum level keep)
{
  char squeezed[PJL_MAX + 1];
  size_t i, n = 0, prefix = sizeof(enter_language) - 1;

  for (i = 0; i < m->pjl_len; i++)
    if (m->pjl[i] != ' ' && m->pjl[i] != HT && m->pjl[i] != CR)
      squeezed[n++] = (char)toupper(m->pjl[i]);
  squeezed[n] = '\0';
  if (n <= prefix || memcmp(squeezed, enter_language, prefix) != 0)
    return keep;
  return strcmp(squeezed + prefix, "PCL") == 0 ? LEVEL_PCL : LEVEL_OTHER;
}

/* A byte at the PJL level; returns 0 when it must be parsed again. */
static int pjl_byte(pcl_model_t *m, unsigned conn, unsigned char b)
{
  if (b == '@')
  {
    m->level = LEVEL_PJL_LINE;
    m->pjl[0] = b;
    m->pjl_len = 1;
    return 1;
  }
  if (b != ESC && (b <= ' ' || b == DEL))
    return 1; /* blank lines and controls between PJL commands */
  m->level = LEVEL_PCL; /* anything else is the job's first PCL byte */
  return 0;
}

/* A byte of a line that began with '@'; returns 0 when it must be parsed again. */
static int pjl_line_byte(pcl_model_t *m, unsigned conn, unsigned char b)
{
  size_t i;

  if (m->pjl_len < sizeof(pjl_prefix) - 1)
  {
    if (b == (unsigned char)pjl_prefix[m->pjl_len])
    {
      m->pjl[m->pjl_len++] = b;
      return 1;
    }
    m->level = LEVEL_PCL; /* not PJL after all: the line so far is PCL text */
    for (i = 0; i < m->pjl_len; i++)
      pcl_byte(m, conn, m->pjl[i]);
    return 0;
  }
  if (b == LF || b == ESC)
  {
    mc_emit_simple(&m->core, MC_EV_PJL, conn, 0, m->pjl, m->pjl_len);
    pjl_status_line(&m->core, &m->pjl_status, conn, m->pjl, m->pjl_len);
    m->level = entered_language(m, LEVEL_PJL);
    m->uel_matched = 0;
    return b == LF;
  }
  if (b != CR && m->pjl_len < PJL_MAX)
    m->pjl[m->pjl_len++] = b;
  return 1;
}

/* A byte of another language, scanned for the UEL. */
static void other_byte(pcl_model_t *m, unsigned conn, unsigned char b)
{
  if (b == uel[m->uel_matched])
  {
    if (++m->uel_matched == sizeof(uel))
    {
      m->uel_matched = 0;
      do_uel(m, conn);
    }
    return;
  }
  m->uel_matched = b == uel[0] ? 1 : 0;
}

/* One byte outside a parameter's data; returns 0 when it must be parsed again. */
static int step(void *model, unsigned conn, unsigned char b)
{
  pcl_model_t *m = model;

  if (m->esc != ESC_NONE)
    return escape_byte(m, conn, b);
  switch (m->level)
  {
    case LEVEL_PJL:
      return pjl_byte(m, conn, b);
    case LEVEL_PJL_LINE:
      return pjl_line_byte(m, conn, b);
    case LEVEL_PCL:
      pcl_byte(m, conn, b);
      return 1;
    case LEVEL_HPGL:
      if (b == ESC)
        begin_escape(m, conn);
      return 1;
    case LEVEL_OTHER:
    default:
      other_byte(m, conn, b);
      return 1;
  }
}

/* Consumes up to `len` bytes of the current parameter's data; returns how many (0: none due). */
static size_t take_data(void *model, unsigned conn, const unsigned char *buf, size_t len)
{
  pcl_model_t *m = model;
  size_t n;

  if (m->esc != ESC_DATA)
    return 0;
  n = mc_block_part(len, m->remaining);
  if (m->data_raster)
  {
    m->raster_bytes += n;
    m->raster_zeros += mc_zeros(buf, n);
  }
  if (mc_count_bytes(&m->core, conn, n) && m->data_raster)
    m->raster_swallowed += n;
  m->remaining -= n;
  if (m->remaining == 0)
  {
    if (m->data_last)
      end_escape(m);
    else
      m->esc = ESC_VALUE; /* a combined sequence goes on after the data */
  }
  return n;
}

/* Creates a model in its power-on state. */
static void *model_new(mc_event_fn fn, void *ctx)
{
  pcl_model_t *m = mc_model_new(sizeof(*m), fn, ctx);

  if (m == NULL)
    return NULL;
  m->level = LEVEL_PJL;
  m->esc = ESC_NONE;
  return m;
}

/* Parses bytes received on connection `conn`. */
static void model_feed(void *model, unsigned conn, const unsigned char *buf, size_t len)
{
  mc_feed(model, conn, buf, len, take_data, step);
}

/* Connection `conn` ended: reports its swallowed bytes and an escape sequence left pending. */
static void model_conn_end(void *model, unsigned conn)
{
  pcl_model_t *m = model;

  if (m->esc != ESC_NONE)
    mc_conn_end(&m->core, conn, m->esc == ESC_DATA ? m->remaining : 1, m->name, m->name_len);
  pjl_status_conn_end(&m->pjl_status);
}

/* The printer's conditions changed: unsolicited PJL status where it was asked for. */
static void model_status_changed(void *model)
{
  pcl_model_t *m = model;

  pjl_status_changed(&m->core, &m->pjl_status);
}

/* Power cycle: forgets the sequence, the line and the page in progress, and the settings. */
static void model_power_cycle(void *model)
{
  pcl_model_t *m = model;

  if (m->esc != ESC_NONE)
    end_escape(m);
  m->level = LEVEL_PJL;
  m->line.len = 0;
  m->pjl_len = 0;
  m->uel_matched = 0;
  m->raster = 0;
  m->width = 0;
  m->height = 0;
  m->page_texts = 0;
  m->page_graphics = 0;
}

/* Nonzero while the parser is inside an escape sequence or its data. */
static int model_busy(const void *model)
{
  const pcl_model_t *m = model;

  return m->esc != ESC_NONE;
}

/* The PCL model behind the emulator's interface. */
const mc_language_t pcl_language = {
  "pcl", model_new, free, model_feed, model_conn_end, model_power_cycle, mc_model_finish,
  model_busy, mc_model_stats, model_status_changed,
};

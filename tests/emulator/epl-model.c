/*
 * epl-model.c: the printer emulator's EPL2 parser model.
 *
 * EPL2 commands are lines ended by LF; CR is skipped.  The lines this model
 * acts on:
 *   A...,"text"    a text field: printed as a text event (its quoted data)
 *   GWx,y,w,h      then w * h bytes of raster data, right after the comma
 *                  that ends h or after the line's LF: image "gw"
 *   GM"name"n      then n bytes of a PCX file after the LF: image "gm"
 *   FS"name" / FE  the lines between them are stored in a form, not run (their
 *                  GW and GM data is taken all the same, without image events)
 *   N              clears the label buffer (reported as a reset)
 *   P...           prints the label: a label event (end=p)
 *   ^ee            the immediate error report (ESim, Zebra): answered at once
 *                  -- at its CR or LF -- with "00" CR LF, or the codes of what
 *                  holds the printer, "07" (out of paper) and "11" (head
 *                  open), comma-separated; not inside a form being stored
 * Every other line is taken and does nothing here.  Data owed by GW or GM
 * consumes the bytes that follow whichever connection sends them; so does a
 * line left without its LF.  The bytes other connections send into a
 * command are counted by model-common.c.
 */

#include "epl-model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_KEPT 256 /* the start of a line kept for parsing; the rest is counted */

typedef struct epl_model
{
  mc_core_t core;           /* first: events, counters, owner, swallowed bytes */

  unsigned char line[LINE_MAX_KEPT];
  size_t len;               /* bytes of the line kept */
  int in_line;              /* a line has begun (its first byte came) */
  int storing;              /* between FS and FE */

  uint64_t remaining;       /* GW/GM data bytes still owed (0: none) */
  const char *image_cmd;    /* "gw" or "gm" while data is owed */
  int quiet;                /* ... into a form being stored: no image events */
  unsigned image_owner;
  uint64_t image_bytes, zeros, image_swallowed;

  uint64_t texts, graphics; /* on the label being built */
} epl_model_t;

/* Parses the decimal number at `*p` (moving past it); -1 when there is none. */
static long long number(const char **p, const char *end)
{
  long long v = -1;

  while (*p < end && **p >= '0' && **p <= '9' && v < 1000000000LL)
  {
    v = (v < 0 ? 0 : v * 10) + (**p - '0');
    (*p)++;
  }
  return v;
}

/* Begins owed data of `bytes` bytes for image command `cmd`. */
static void begin_data(epl_model_t *m, unsigned conn, const char *cmd, uint64_t bytes,
                       unsigned width, unsigned height)
{
  m->in_line = 0;
  m->len = 0;
  m->quiet = m->storing;
  m->image_cmd = cmd;
  m->image_owner = m->core.owner;
  m->image_bytes = m->zeros = m->image_swallowed = 0;
  m->remaining = bytes;
  if (!m->quiet)
  {
    m->graphics++;
    mc_image_begin(&m->core, conn, cmd, bytes, width, height);
  }
  if (bytes == 0)
  {
    if (!m->quiet)
      mc_image_end(&m->core, conn, m->image_owner, 0, 0, 0);
    mc_flush_foreign(&m->core);
  }
}

/* "GWx,y,w,h" with its four numbers, ending the kept line: the data's size; -1 when not. */
static long long gw_size(const epl_model_t *m, unsigned *width, unsigned *height)
{
  const char *p = (const char *)m->line + 2, *end = (const char *)m->line + m->len;
  long long v[4];

  if (m->len < 2 || memcmp(m->line, "GW", 2))
    return -1;
  for (int i = 0; i < 4; i++)
  {
    if ((v[i] = number(&p, end)) < 0 || (i < 3 && (p == end || *p++ != ',')))
      return -1;
  }
  if (p != end || v[2] > 65535 || v[3] > 65535)
    return -1;
  *width = (unsigned)v[2];
  *height = (unsigned)v[3];
  return v[2] * v[3];
}

/* Answers ^ee with what holds the printer. */
static void error_report(epl_model_t *m, unsigned conn)
{
  char reply[16];
  int n = 0;

  if (m->core.conditions & MC_COND_PAPER_OUT)
    n += snprintf(reply + n, sizeof(reply) - (size_t)n, "%s07", n ? "," : "");
  if (m->core.conditions & MC_COND_COVER_OPEN)
    n += snprintf(reply + n, sizeof(reply) - (size_t)n, "%s11", n ? "," : "");
  if (n == 0)
    n = snprintf(reply, sizeof(reply), "00");
  n += snprintf(reply + n, sizeof(reply) - (size_t)n, "\r\n");
  mc_status_reply(&m->core, conn, (const unsigned char *)"^ee", 3, (const unsigned char *)reply,
                  (size_t)n);
}

/* 'GM"name"n', the whole kept line: the PCX file's size; -1 when not. */
static long long gm_size(const epl_model_t *m)
{
  const char *l = (const char *)m->line, *end = l + m->len, *q, *p;
  long long size;

  if (m->len < 3 || memcmp(l, "GM", 2) || !(q = memchr(l + 3, '"', m->len - 3)))
    return -1;
  p = q + 1;
  size = number(&p, end);
  return p == end ? size : -1;
}

/* Runs the complete line kept (its LF came). */
static void run_line(epl_model_t *m, unsigned conn)
{
  const char *l = (const char *)m->line, *q, *r;
  unsigned width, height;
  long long size;
  mc_event_t ev;

  /* Data follows, in a form being stored too (it is taken by count either way). */
  if ((size = gw_size(m, &width, &height)) >= 0)
    begin_data(m, conn, "gw", (uint64_t)size, width, height);
  else if ((size = gm_size(m)) >= 0)
    begin_data(m, conn, "gm", (uint64_t)size, 0, 0);
  else if (m->storing)
    m->storing = !(m->len >= 2 && !memcmp(l, "FE", 2));
  else if (m->len >= 2 && !memcmp(l, "FS", 2))
    m->storing = 1;
  else if (m->len == 3 && !memcmp(l, "^ee", 3))
    error_report(m, conn);
  else if (m->len == 1 && l[0] == 'N')
  {
    m->core.stats.resets++;
    m->texts = m->graphics = 0;
    mc_emit_simple(&m->core, MC_EV_RESET, conn, 0, NULL, 0);
  }
  else if (m->len >= 1 && l[0] == 'P')
  {
    m->core.stats.labels++;
    mc_event_init(&m->core, &ev, MC_EV_LABEL, conn);
    ev.cmd = "p";
    ev.texts = m->texts;
    ev.graphics = m->graphics;
    mc_emit(&m->core, &ev);
  }
  else if (m->len >= 1 && l[0] == 'A' && (q = memchr(l, '"', m->len))
           && (r = memchr(q + 1, '"', m->len - (size_t)(q + 1 - l))))
  {
    m->texts++;
    m->core.stats.texts++;
    mc_emit_simple(&m->core, MC_EV_TEXT, conn, 0, (const unsigned char *)q + 1,
                   (size_t)(r - q - 1));
  }
}

/* One byte of a line (outside owed data); always taken. */
static int line_byte(void *model, unsigned conn, unsigned char b)
{
  epl_model_t *m = model;
  unsigned width, height;
  long long size;

  if (!m->in_line)
  {
    if (b == '\r' || b == '\n')
      return 1; /* blank lines */
    m->in_line = 1;
    m->len = 0;
    mc_begin_command(&m->core, conn, b);
  }
  mc_count_bytes(&m->core, conn, 1);
  if (b == '\r' && m->len == 3 && !memcmp(m->line, "^ee", 3) && !m->storing)
  {
    error_report(m, conn); /* run at its CR: the LF after it ends an empty line */
    m->in_line = 0;
    mc_flush_foreign(&m->core);
    return 1;
  }
  if (b == '\r')
    return 1;
  if (b == '\n')
  {
    m->in_line = 0;
    run_line(m, conn);
    if (!m->remaining)
      mc_flush_foreign(&m->core);
    return 1;
  }
  if (m->len < sizeof(m->line))
    m->line[m->len++] = b;
  /* GWx,y,w,h, -- the data begins right after the comma that ends h. */
  if (b == ',' && m->len > 1)
  {
    m->len--;
    if ((size = gw_size(m, &width, &height)) >= 0)
    {
      begin_data(m, conn, "gw", (uint64_t)size, width, height);
      return 1;
    }
    m->len++;
  }
  return 1;
}

/* Takes up to `len` owed data bytes; 0 when none are owed. */
static size_t take_data(void *model, unsigned conn, const unsigned char *buf, size_t len)
{
  epl_model_t *m = model;
  size_t n;

  if (m->remaining == 0)
    return 0;
  n = mc_block_part(len, m->remaining);
  m->zeros += mc_zeros(buf, n);
  m->image_bytes += n;
  m->remaining -= n;
  if (mc_count_bytes(&m->core, conn, n))
    m->image_swallowed += n;
  if (m->remaining == 0)
  {
    if (!m->quiet)
      mc_image_end(&m->core, conn, m->image_owner, m->image_bytes, m->zeros,
                   m->image_swallowed);
    mc_flush_foreign(&m->core);
  }
  return n;
}

static void *model_new(mc_event_fn fn, void *ctx)
{
  return mc_model_new(sizeof(epl_model_t), fn, ctx);
}

static void model_feed(void *model, unsigned conn, const unsigned char *buf, size_t len)
{
  mc_feed(model, conn, buf, len, take_data, line_byte);
}

static void model_conn_end(void *model, unsigned conn)
{
  epl_model_t *m = model;

  if (m->remaining)
    mc_conn_end(&m->core, conn, m->remaining, (const unsigned char *)m->image_cmd, 2);
  else if (m->in_line)
    mc_conn_end(&m->core, conn, 1, m->core.head, 1);
}

static void model_power_cycle(void *model)
{
  epl_model_t *m = model;

  m->in_line = m->storing = 0;
  m->len = 0;
  m->remaining = 0;
  m->texts = m->graphics = 0;
}

static int model_busy(const void *model)
{
  const epl_model_t *m = model;

  return m->remaining > 0 || m->in_line;
}

const mc_language_t epl_language = {
  "epl", model_new, free, model_feed, model_conn_end, model_power_cycle, mc_model_finish,
  model_busy, mc_model_stats, NULL,
};

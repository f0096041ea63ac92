/*
 * dymo-model.c: the printer emulator's DYMO LabelWriter parser model.
 *
 * A byte-at-a-time state machine. Between commands only three bytes mean
 * something: ESC begins a command (the table below gives each one's fixed
 * parameter count), SYN begins a raster line of exactly bytes-per-line (ESC D)
 * data bytes, and ETB a compressed line of run-length bytes (bit 7: black,
 * bits 0-6: run length - 1) covering bytes-per-line * 8 dots. Every other byte
 * there is ignored. Inside a line every byte is pixel data, ESC included; an
 * ESC right after ESC begins the command anew. Together these make the
 * documented recovery work: 85 ESC bytes (one more than the longest line)
 * then ESC @ reset the printer from any state.
 *
 * The raster lines of one label, from its first line to ESC E / ESC G (or
 * ESC @), are reported as one image. A line from another connection ends the
 * image and begins a new one. The bytes other connections send into a command
 * or a line are counted by model-common.c.
 */

#include "dymo-model.h"

#include <stdlib.h>

#define SYN 0x16
#define ETB 0x17
#define ESC 0x1b

#define PARAM_MAX 2   /* the longest command takes 2 parameter bytes */
#define RUN_MASK 0x7f /* ETB data byte: run length - 1 */

/* Where the parser is. */
enum mode
{
  MODE_IDLE,   /* between commands */
  MODE_PREFIX, /* got ESC, waiting for the command byte */
  MODE_PARAMS, /* collecting parameter bytes */
  MODE_LINE,   /* consuming the data bytes of a SYN line */
  MODE_PACKED  /* consuming the run-length bytes of an ETB line */
};

typedef struct dm_model dm_model_t;

typedef void (*command_fn)(dm_model_t *m, unsigned conn);

/* One known ESC command: command byte, parameter count, handler. */
struct command
{
  unsigned char code;
  unsigned char nparams;
  command_fn fn; /* NULL: a setting the model does not track */
};

struct dm_model
{
  mc_core_t core;              /* first: events, counters, owner, swallowed bytes */

  unsigned bytes_per_line;     /* ESC D */
  unsigned label_length;       /* ESC L, in dot lines (0: not set) */

  enum mode mode;
  const struct command *cmd;   /* the ESC command being parsed (MODE_PARAMS) */
  unsigned char param[PARAM_MAX];
  size_t nparam;               /* parameter bytes received */
  uint64_t remaining;          /* MODE_LINE: data bytes left; MODE_PACKED: dots left */

  uint64_t lines;              /* raster lines on the current label */
  uint64_t skipped;            /* lines skipped with ESC f on the current label */
  int image;                   /* the label's raster is open */
  unsigned image_owner;
  uint64_t image_bytes;        /* data bytes received (ETB: run-length bytes) */
  uint64_t zeros;
  uint64_t image_swallowed;
};

static void cmd_defaults(dm_model_t *m, unsigned conn);
static void cmd_reset(dm_model_t *m, unsigned conn);
static void cmd_bytes_per_line(dm_model_t *m, unsigned conn);
static void cmd_form_feed(dm_model_t *m, unsigned conn);
static void cmd_label_length(dm_model_t *m, unsigned conn);
static void cmd_skip(dm_model_t *m, unsigned conn);
static void cmd_status(dm_model_t *m, unsigned conn);

/* The ESC commands the model knows, with their fixed parameter byte counts. */
static const struct command commands[] = {
  {'*', 0, cmd_defaults},       /* restore default settings */
  {'@', 0, cmd_reset},          /* reset */
  {'A', 0, cmd_status},         /* get printer status */
  {'B', 1, NULL},               /* dot tab: n blank bytes at the left */
  {'C', 1, NULL},               /* tape type (LabelWriter Duo tape) */
  {'D', 1, cmd_bytes_per_line}, /* bytes per line */
  {'E', 0, cmd_form_feed},      /* form feed: end of label */
  {'G', 0, cmd_form_feed},      /* short form feed: end of label */
  {'L', 2, cmd_label_length},   /* label length n1 * 256 + n2 dot lines */
  {'Q', 2, NULL},               /* line tab n1 * 256 + n2 */
  {'V', 0, NULL},               /* return firmware revision */
  {'c', 0, NULL},               /* density: light */
  {'d', 0, NULL},               /* density: medium */
  {'e', 0, NULL},               /* density: normal */
  {'f', 2, cmd_skip},           /* ESC f 1 n: skip n lines */
  {'g', 0, NULL},               /* density: dark */
  {'h', 0, NULL},               /* text quality */
  {'i', 0, NULL},               /* barcode and graphics quality */
  {'q', 1, NULL},               /* roll select '0' auto, '1' left, '2' right */
  {'y', 0, NULL},               /* 203 dpi */
  {'z', 0, NULL},               /* 136 dpi */
};

/* Attributes `n` bytes to `conn`; the swallowed bytes of a raster line also count for the image. */
static void count_bytes(dm_model_t *m, unsigned conn, uint64_t n)
{
  if (mc_count_bytes(&m->core, conn, n) && (m->mode == MODE_LINE || m->mode == MODE_PACKED))
    m->image_swallowed += n;
}

/* Starts a command (ESC) or a raster line (SYN, ETB) on its first byte. */
static void begin_command(dm_model_t *m, unsigned conn, unsigned char first)
{
  mc_begin_command(&m->core, conn, first);
  m->mode = MODE_PREFIX;
  m->cmd = NULL;
  m->nparam = 0;
  m->remaining = 0;
}

/* Ends the current command and returns to the idle level. */
static void end_command(dm_model_t *m)
{
  mc_flush_foreign(&m->core);
  m->mode = MODE_IDLE;
  m->cmd = NULL;
}

/* Opens the label's raster image for `conn`'s lines. */
static void begin_image(dm_model_t *m, unsigned conn)
{
  m->image = 1;
  m->image_owner = conn;
  m->image_bytes = 0;
  m->zeros = 0;
  m->image_swallowed = 0;
  mc_image_begin(&m->core, conn, "label", (uint64_t)m->bytes_per_line * m->label_length,
                 m->bytes_per_line, m->label_length);
}

/* Closes the label's raster image, if one is open. */
static void end_image(dm_model_t *m, unsigned conn)
{
  if (!m->image)
    return;
  m->image = 0;
  mc_image_end(&m->core, conn, m->image_owner, m->image_bytes, m->zeros, m->image_swallowed);
}

/* Restores the power-on settings. */
static void restore_defaults(dm_model_t *m)
{
  m->bytes_per_line = DM_DEFAULT_BYTES_PER_LINE;
  m->label_length = 0;
}

/* Ends a raster line whose bytes have all arrived. */
static void end_line(dm_model_t *m)
{
  m->lines++;
  m->core.stats.lines++;
  end_command(m);
}

/* Starts a SYN or ETB raster line, in the label image of its connection. */
static void begin_line(dm_model_t *m, unsigned conn, unsigned char first)
{
  begin_command(m, conn, first);
  if (m->image && m->image_owner != conn)
    end_image(m, conn);
  if (!m->image)
    begin_image(m, conn);
  m->mode = first == SYN ? MODE_LINE : MODE_PACKED;
  m->remaining = (uint64_t)m->bytes_per_line * (first == SYN ? 1 : 8);
  if (m->remaining == 0)
    end_line(m);
}

/* ESC *: restore the default settings. */
static void cmd_defaults(dm_model_t *m, unsigned conn)
{
  restore_defaults(m);
}

/* ESC @: reset; a label in progress is abandoned. */
static void cmd_reset(dm_model_t *m, unsigned conn)
{
  end_image(m, conn);
  restore_defaults(m);
  m->lines = 0;
  m->skipped = 0;
  m->core.stats.resets++;
  mc_emit_simple(&m->core, MC_EV_RESET, conn, 0, NULL, 0);
}

/* ESC D n: n data bytes per raster line. */
static void cmd_bytes_per_line(dm_model_t *m, unsigned conn)
{
  m->bytes_per_line = m->param[0];
}

/* ESC E / ESC G: feed to the next label; the label is done. */
static void cmd_form_feed(dm_model_t *m, unsigned conn)
{
  mc_event_t ev;

  end_image(m, conn);
  m->core.stats.labels++;
  mc_event_init(&m->core, &ev, MC_EV_LABEL, conn);
  ev.lines = m->lines;
  ev.skipped = m->skipped;
  ev.short_feed = m->core.head[1] == 'G';
  mc_emit(&m->core, &ev);
  m->lines = 0;
  m->skipped = 0;
}

/*
 * ESC A: one status byte (DYMO's LabelWriter 400/450 technical references):
 * 01h ready (always), 02h at top of form (no label being printed, none
 * waiting), 20h out of paper, 80h error (with out of paper, and for an open
 * cover, which has no bit of its own).
 */
static void cmd_status(dm_model_t *m, unsigned conn)
{
  static const unsigned char query[] = {ESC, 'A'};
  unsigned conditions = m->core.conditions;
  unsigned char status = 0x01;

  if (!m->image && m->lines == 0 && m->core.waiting == 0)
    status |= 0x02;
  if (conditions & MC_COND_PAPER_OUT)
    status |= 0x20 | 0x80;
  if (conditions & MC_COND_COVER_OPEN)
    status |= 0x80;
  mc_status_reply(&m->core, conn, query, sizeof(query), &status, 1);
}

/* ESC L n1 n2: label length n1 * 256 + n2 dot lines (most significant byte first). */
static void cmd_label_length(dm_model_t *m, unsigned conn)
{
  m->label_length = ((unsigned)m->param[0] << 8) | m->param[1];
}

/* ESC f 1 n: skip n blank lines. */
static void cmd_skip(dm_model_t *m, unsigned conn)
{
  m->skipped += m->param[1];
}

/* The table entry for command byte `code`, or NULL. */
static const struct command *lookup(unsigned char code)
{
  size_t i;

  for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (commands[i].code == code)
      return &commands[i];
  return NULL;
}

/* Runs the command whose parameters have all arrived, and ends it. */
static void run_command(dm_model_t *m, unsigned conn)
{
  if (m->cmd->fn)
    m->cmd->fn(m, conn);
  end_command(m);
}

/* A byte between commands. */
static void idle_byte(dm_model_t *m, unsigned conn, unsigned char b)
{
  if (b != ESC && b != SYN && b != ETB)
  {
    mc_note_ignored(&m->core, conn);
    return;
  }
  mc_flush_ignored(&m->core);
  if (b == ESC)
    begin_command(m, conn, b);
  else
    begin_line(m, conn, b);
}

/* The command byte after ESC. */
static void prefix_byte(dm_model_t *m, unsigned conn, unsigned char b)
{
  if (b == ESC)
  {
    begin_command(m, conn, b); /* ESC ESC: the command begins anew */
    return;
  }
  m->core.head[1] = b;
  count_bytes(m, conn, 1);
  m->cmd = lookup(b);
  if (m->cmd == NULL)
  {
    m->core.stats.unknown++;
    mc_emit_simple(&m->core, MC_EV_UNKNOWN, conn, 0, m->core.head, sizeof(m->core.head));
    end_command(m);
    return;
  }
  if (m->cmd->nparams == 0)
    run_command(m, conn);
  else
    m->mode = MODE_PARAMS;
}

/* A parameter byte of the current ESC command. */
static void param_byte(dm_model_t *m, unsigned conn, unsigned char b)
{
  count_bytes(m, conn, 1);
  m->param[m->nparam++] = b;
  if (m->nparam == m->cmd->nparams)
    run_command(m, conn);
}

/* A run-length byte of an ETB line. */
static void packed_byte(dm_model_t *m, unsigned conn, unsigned char b)
{
  uint64_t run = (uint64_t)(b & RUN_MASK) + 1;

  count_bytes(m, conn, 1);
  m->image_bytes++;
  m->zeros += b == 0;
  m->remaining -= run < m->remaining ? run : m->remaining;
  if (m->remaining == 0)
    end_line(m);
}

/* Consumes up to `len` data bytes of the current SYN line; returns how many. */
static size_t take_line(dm_model_t *m, unsigned conn, const unsigned char *buf, size_t len)
{
  size_t n = mc_block_part(len, m->remaining);
  m->zeros += mc_zeros(buf, n);
  m->image_bytes += n;
  m->remaining -= n;
  count_bytes(m, conn, n);
  if (m->remaining == 0)
    end_line(m);
  return n;
}

/* Creates a model in its power-on state. */
static void *model_new(mc_event_fn fn, void *ctx)
{
  dm_model_t *m = mc_model_new(sizeof(*m), fn, ctx);

  if (m == NULL)
    return NULL;
  m->mode = MODE_IDLE;
  restore_defaults(m);
  return m;
}

/* Parses bytes received on connection `conn`. */
static void model_feed(void *model, unsigned conn, const unsigned char *buf, size_t len)
{
  dm_model_t *m = model;
  size_t i = 0;

  while (i < len)
  {
    switch (m->mode)
    {
      case MODE_LINE:
        i += take_line(m, conn, buf + i, len - i);
        continue;
      case MODE_IDLE:
        idle_byte(m, conn, buf[i]);
        break;
      case MODE_PREFIX:
        prefix_byte(m, conn, buf[i]);
        break;
      case MODE_PARAMS:
        param_byte(m, conn, buf[i]);
        break;
      case MODE_PACKED:
        packed_byte(m, conn, buf[i]);
        break;
    }
    i++;
  }
}

/* Bytes the current command still expects (MODE_PACKED: at most, one per dot). */
static uint64_t expected(const dm_model_t *m)
{
  switch (m->mode)
  {
    case MODE_PREFIX:
      return 1;
    case MODE_PARAMS:
      return m->cmd->nparams - m->nparam;
    case MODE_LINE:
    case MODE_PACKED:
      return m->remaining;
    default:
      return 0;
  }
}

/* Connection `conn` ended: reports its ignored and swallowed bytes and a command left pending. */
static void model_conn_end(void *model, unsigned conn)
{
  dm_model_t *m = model;

  if (m->core.ignored_conn == conn)
    mc_flush_ignored(&m->core);
  if (m->mode != MODE_IDLE)
    mc_conn_end(&m->core, conn, expected(m), m->core.head,
                m->core.head[0] == ESC && m->mode != MODE_PREFIX ? 2 : 1);
}

/* Power cycle: forgets the command and the label in progress and the settings. */
static void model_power_cycle(void *model)
{
  dm_model_t *m = model;

  mc_flush_ignored(&m->core);
  if (m->mode != MODE_IDLE)
    end_command(m);
  m->image = 0;
  m->lines = 0;
  m->skipped = 0;
  restore_defaults(m);
}

/* Nonzero while the parser is inside a command (a raster line or an ESC sequence). */
static int model_busy(const void *model)
{
  const dm_model_t *m = model;

  return m->mode != MODE_IDLE;
}

/* The DYMO model behind the emulator's interface. */
const mc_language_t dm_language = {
  "dymo", model_new, free, model_feed, model_conn_end, model_power_cycle, mc_model_finish,
  model_busy, mc_model_stats, NULL,
};

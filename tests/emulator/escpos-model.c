/*
 * escpos-model.c: the printer emulator's ESC/POS parser model.
 *
 * A byte-at-a-time state machine. At the text level printable bytes collect
 * into a line that LF prints. ESC, GS, FS and DLE begin a command; the table
 * below gives each command's fixed parameter count and, where the command is
 * more than that, a handler called every time the bytes it asked for have
 * arrived (`phase` counts those calls). A handler either asks for more
 * parameter bytes, for a block of data bytes, for bytes up to a NUL, or ends
 * the command. The bytes other connections send into a command are counted
 * by model-common.c.
 *
 * Status (Epson's ESC/POS reference: DLE EOT, GS a, GS ( H; the fixed bits
 * are the ones every vendor's "transmission status identification" table
 * gives): DLE EOT n = 1..4 is answered with one byte 0xx1xx10, GS a n sends
 * a 4-byte automatic status back (ASB) at once and then whenever a status
 * class it enabled changes, GS ( H fn 48 sends 37h 22h d1..d4 00h when it is
 * parsed -- the model parses at the emulator's print rate, so that is when
 * everything before it has printed. The printer's conditions (paper out,
 * cover open) are set by the emulator; a paper-out printer stops reading, so
 * a query behind it is not seen until the paper is back, while ASB goes out
 * at once. Whether ESC @ cancels GS a differs between models; this one
 * cancels it, the reading that makes a host re-arm. A dumb printer reports
 * the status commands it got and answers none.
 */

#include "escpos-model.h"

#include <stdlib.h>
#include <string.h>

#define NUL 0x00
#define HT 0x09
#define LF 0x0a
#define FF 0x0c
#define DLE 0x10
#define ESC 0x1b
#define FS 0x1c
#define GS 0x1d

#define PARAM_MAX 16    /* parameter bytes held at once (the longest command needs 8) */
#define BARCODE_MAX 255 /* GS k form A: data bytes before the NUL */
#define TABS_MAX 32     /* ESC D: tab positions before the NUL */
#define KANJI_BYTES 72  /* FS 2: one 24x24 user-defined character */

/* Where the parser is. */
enum mode
{
  MODE_TEXT,     /* between commands */
  MODE_PREFIX,   /* got ESC/GS/FS/DLE, waiting for the command byte */
  MODE_PARAMS,   /* collecting parameter bytes */
  MODE_DATA,     /* consuming a counted block of data bytes */
  MODE_UNTIL_NUL /* consuming bytes up to a NUL */
};

typedef struct ep_model ep_model_t;

typedef void (*command_fn)(ep_model_t *m, unsigned conn, int phase);

/* One known command: prefix byte, command byte, parameter count, handler. */
struct command
{
  unsigned char prefix;
  unsigned char code;
  unsigned char nparams;
  command_fn fn; /* NULL: nothing more than the parameters */
};

struct ep_model
{
  mc_core_t core;              /* first: events, counters, owner, swallowed bytes */

  mc_text_t line;               /* the text line being composed */

  enum mode mode;
  const struct command *cmd;   /* the command being parsed (MODE_PARAMS and later) */
  int phase;                   /* handler calls so far */
  unsigned char param[PARAM_MAX];
  size_t nparam;               /* parameter bytes received */
  size_t need;                 /* parameter bytes wanted */
  uint64_t remaining;          /* MODE_DATA: bytes left; MODE_UNTIL_NUL: bytes allowed */
  int terminated;              /* MODE_UNTIL_NUL: the NUL arrived */
  uint64_t records;            /* ESC &, FS q: records still to come */
  unsigned unit;               /* ESC &: bytes per column */

  const char *image;           /* inside a raster: "gsv0" or "escstar" */
  uint64_t image_bytes;
  uint64_t zeros;

  unsigned asb_mask;           /* GS a n: the status classes reported unasked (0: off) */
  unsigned asb_key;            /* the enabled part of the status last reported */
  unsigned row_width;          /* GS v 0: bytes per row (0: not in GS v 0) */
  unsigned row_len;            /* bytes of the row being received */
  unsigned char row_mode;      /* GS v 0's m */
  unsigned char row[65535];    /* the row being received (x is 16 bits) */
};

static void cmd_reset(ep_model_t *m, unsigned conn, int phase);
static void cmd_print(ep_model_t *m, unsigned conn, int phase);
static void cmd_cut(ep_model_t *m, unsigned conn, int phase);
static void cmd_escstar(ep_model_t *m, unsigned conn, int phase);
static void cmd_gsv(ep_model_t *m, unsigned conn, int phase);
static void cmd_block16(ep_model_t *m, unsigned conn, int phase);
static void cmd_block32(ep_model_t *m, unsigned conn, int phase);
static void cmd_dl_image(ep_model_t *m, unsigned conn, int phase);
static void cmd_user_chars(ep_model_t *m, unsigned conn, int phase);
static void cmd_nv_images(ep_model_t *m, unsigned conn, int phase);
static void cmd_kanji(ep_model_t *m, unsigned conn, int phase);
static void cmd_tabs(ep_model_t *m, unsigned conn, int phase);
static void cmd_barcode(ep_model_t *m, unsigned conn, int phase);
static void cmd_dle_eot(ep_model_t *m, unsigned conn, int phase);
static void cmd_dle_dc4(ep_model_t *m, unsigned conn, int phase);
static void cmd_asb(ep_model_t *m, unsigned conn, int phase);
static void cmd_status_query(ep_model_t *m, unsigned conn, int phase);

/* The commands the model knows, with their fixed parameter byte counts. */
static const struct command commands[] = {
  /* ESC: character, line and mechanism settings. */
  {ESC, FF, 0, cmd_print},           /* print (page mode) */
  {ESC, ' ', 1, NULL},               /* right-side character spacing */
  {ESC, '!', 1, NULL},               /* print modes */
  {ESC, '$', 2, NULL},               /* absolute position */
  {ESC, '%', 1, NULL},               /* user-defined character set on/off */
  {ESC, '&', 3, cmd_user_chars},     /* define user-defined characters */
  {ESC, '(', 3, cmd_block16},        /* ESC ( fn pL pH ... */
  {ESC, '*', 3, cmd_escstar},        /* bit image */
  {ESC, '-', 1, NULL},               /* underline */
  {ESC, '2', 0, NULL},               /* default line spacing */
  {ESC, '3', 1, NULL},               /* line spacing */
  {ESC, '<', 0, NULL},               /* return home */
  {ESC, '=', 1, NULL},               /* select peripheral device */
  {ESC, '?', 1, NULL},               /* cancel user-defined character */
  {ESC, '@', 0, cmd_reset},          /* initialize */
  {ESC, 'D', 0, cmd_tabs},           /* horizontal tabs, NUL-terminated */
  {ESC, 'E', 1, NULL},               /* emphasized */
  {ESC, 'G', 1, NULL},               /* double-strike */
  {ESC, 'J', 1, cmd_print},          /* print and feed n dots */
  {ESC, 'K', 1, cmd_print},          /* print and reverse feed n dots */
  {ESC, 'L', 0, NULL},               /* page mode */
  {ESC, 'M', 1, NULL},               /* font */
  {ESC, 'R', 1, NULL},               /* international character set */
  {ESC, 'S', 0, NULL},               /* standard mode */
  {ESC, 'T', 1, NULL},               /* print direction (page mode) */
  {ESC, 'U', 1, NULL},               /* unidirectional printing */
  {ESC, 'V', 1, NULL},               /* 90 degree rotation */
  {ESC, 'W', 8, NULL},               /* print area (page mode) */
  {ESC, '\\', 2, NULL},              /* relative position */
  {ESC, 'a', 1, NULL},               /* justification */
  {ESC, 'c', 2, NULL},               /* ESC c 3/4/5 n: sensors, panel keys */
  {ESC, 'd', 1, cmd_print},          /* print and feed n lines */
  {ESC, 'e', 1, cmd_print},          /* print and reverse feed n lines */
  {ESC, 'i', 0, cmd_cut},            /* full cut (obsolete) */
  {ESC, 'm', 0, cmd_cut},            /* partial cut (obsolete) */
  {ESC, 'p', 3, NULL},               /* drawer kick pulse */
  {ESC, 'r', 1, NULL},               /* print colour */
  {ESC, 't', 1, NULL},               /* code page */
  {ESC, 'u', 1, NULL},               /* transmit peripheral status */
  {ESC, 'v', 0, NULL},               /* transmit paper status */
  {ESC, '{', 1, NULL},               /* upside-down */
  /* GS: graphics, barcodes, cutting. */
  {GS, FF, 0, cmd_print},            /* print and feed to the label start */
  {GS, '!', 1, NULL},                /* character size */
  {GS, '$', 2, NULL},                /* absolute vertical position (page mode) */
  {GS, '(', 3, cmd_block16},         /* GS ( fn pL pH ... */
  {GS, '*', 2, cmd_dl_image},        /* define downloaded bit image */
  {GS, '/', 1, NULL},                /* print downloaded bit image */
  {GS, '8', 5, cmd_block32},         /* GS 8 L p1 p2 p3 p4 ... */
  {GS, ':', 0, NULL},                /* macro definition start/end */
  {GS, '<', 0, NULL},                /* initialize the mechanism */
  {GS, 'B', 1, NULL},                /* reverse (white on black) */
  {GS, 'E', 1, NULL},                /* print density / head energy */
  {GS, 'H', 1, NULL},                /* HRI position */
  {GS, 'I', 1, cmd_status_query},    /* transmit printer ID */
  {GS, 'L', 2, NULL},                /* left margin */
  {GS, 'P', 2, NULL},                /* motion units */
  {GS, 'T', 1, NULL},                /* print position to line start */
  {GS, 'V', 1, cmd_cut},             /* cut */
  {GS, 'W', 2, NULL},                /* print area width */
  {GS, '\\', 2, NULL},               /* relative vertical position (page mode) */
  {GS, '^', 3, NULL},                /* execute macro */
  {GS, 'a', 1, cmd_asb},             /* automatic status back */
  {GS, 'b', 1, NULL},                /* smoothing */
  {GS, 'c', 0, NULL},                /* print counter */
  {GS, 'f', 1, NULL},                /* HRI font */
  {GS, 'g', 4, NULL},                /* GS g 0/2 m nL nH: maintenance counter */
  {GS, 'h', 1, NULL},                /* barcode height */
  {GS, 'j', 1, NULL},                /* automatic status back (ink) */
  {GS, 'k', 1, cmd_barcode},         /* print barcode */
  {GS, 'r', 1, cmd_status_query},    /* transmit status */
  {GS, 'v', 1, cmd_gsv},             /* GS v 0: raster bit image */
  {GS, 'w', 1, NULL},                /* barcode module width */
  {GS, 'z', 3, NULL},                /* GS z 0 t1 t2: online recovery wait */
  /* FS: Kanji and NV graphics. */
  {FS, '!', 1, NULL},                /* Kanji print modes */
  {FS, '&', 0, NULL},                /* Kanji mode on */
  {FS, '(', 3, cmd_block16},         /* FS ( fn pL pH ... */
  {FS, '-', 1, NULL},                /* Kanji underline */
  {FS, '.', 0, NULL},                /* Kanji mode off */
  {FS, '2', 2, cmd_kanji},           /* define a user Kanji character */
  {FS, '?', 2, NULL},                /* cancel a user Kanji character */
  {FS, 'C', 1, NULL},                /* Kanji code system */
  {FS, 'S', 2, NULL},                /* Kanji spacing */
  {FS, 'W', 1, NULL},                /* Kanji quadruple size */
  {FS, 'p', 2, NULL},                /* print NV bit image */
  {FS, 'q', 1, cmd_nv_images},       /* define NV bit images */
  /* DLE: real-time commands. */
  {DLE, 0x04, 1, cmd_dle_eot},       /* DLE EOT n [a]: real-time status */
  {DLE, 0x05, 1, NULL},              /* DLE ENQ n: real-time request */
  {DLE, 0x14, 1, cmd_dle_dc4},       /* DLE DC4 fn ...: real-time functions */
};

/* DLE DC4 fn: parameter bytes that follow fn, by fn (0 for others). */
static const unsigned char dc4_params[] = {
  [1] = 2, /* pulse: m t */
  [2] = 2, /* power off: a b */
  [3] = 5, /* buzzer: a n r t1 t2 */
  [7] = 1, /* transmit status: m */
  [8] = 7, /* clear buffers: d1..d7 */
};

/* DLE DC4 8's fixed parameters. */
static const unsigned char dc4_clear_magic[7] = {1, 3, 20, 1, 6, 2, 8};

/* GS V m values that take one more byte (feed amount). */
static const unsigned char cut_with_feed[] = {65, 66, 97, 98, 103, 104};

/* Starts a command on its prefix byte. */
static void begin_command(ep_model_t *m, unsigned conn, unsigned char prefix)
{
  mc_begin_command(&m->core, conn, prefix);
  m->mode = MODE_PREFIX;
  m->cmd = NULL;
  m->phase = 0;
  m->nparam = 0;
  m->need = 0;
  m->image = NULL;
}

/* Ends the current command and returns to the text level. */
static void end_command(ep_model_t *m)
{
  mc_flush_foreign(&m->core);
  m->mode = MODE_TEXT;
  m->cmd = NULL;
  m->image = NULL;
  m->row_width = 0;
}

/* Asks for `n` more parameter bytes. */
static void want_params(ep_model_t *m, size_t n)
{
  if (m->nparam + n > PARAM_MAX)
    m->nparam = 0;
  m->need = m->nparam + n;
  m->mode = MODE_PARAMS;
}

/* Asks for a block of `n` data bytes. */
static void want_data(ep_model_t *m, uint64_t n)
{
  m->remaining = n;
  m->mode = MODE_DATA;
}

/* Asks for bytes up to a NUL, at most `max` of them before it. */
static void want_until_nul(ep_model_t *m, uint64_t max)
{
  m->remaining = max;
  m->terminated = 0;
  m->mode = MODE_UNTIL_NUL;
}

/* Nonzero when the bytes the current step asked for have all arrived. */
static int step_complete(const ep_model_t *m)
{
  switch (m->mode)
  {
    case MODE_PARAMS:
      return m->nparam >= m->need;
    case MODE_DATA:
      return m->remaining == 0;
    case MODE_UNTIL_NUL:
      return m->terminated || m->remaining == 0;
    default:
      return 0;
  }
}

/* Calls the command's handler as long as its requests are satisfied. */
static void advance(ep_model_t *m, unsigned conn)
{
  while (m->mode != MODE_TEXT && step_complete(m))
  {
    int phase = m->phase++;

    if (m->cmd && m->cmd->fn)
      m->cmd->fn(m, conn, phase);
    else
      end_command(m);
  }
}

/* Little-endian value of `n` parameter bytes starting at index `at`. */
static uint64_t param_le(const ep_model_t *m, size_t at, size_t n)
{
  uint64_t v = 0;

  while (n-- > 0)
    v = (v << 8) | m->param[at + n];
  return v;
}

/* Starts a raster image of `bytes` data bytes. */
static void begin_image(ep_model_t *m, unsigned conn, const char *name, uint64_t bytes,
                        unsigned width, unsigned height)
{
  m->image = name;
  m->image_bytes = bytes;
  m->zeros = 0;
  mc_image_begin(&m->core, conn, name, bytes, width, height);
  want_data(m, bytes);
}

/* Ends the raster image in progress and the command. */
static void end_image(ep_model_t *m, unsigned conn)
{
  mc_image_end(&m->core, conn, m->core.owner, m->image_bytes, m->zeros, m->core.swallowed);
  end_command(m);
}

/* Starts the next record of a multi-record command, or ends it. */
static void next_record(ep_model_t *m, size_t header)
{
  if (m->records == 0)
  {
    end_command(m);
    return;
  }
  m->records--;
  m->nparam = 0;
  want_params(m, header);
}

/* Nonzero while the printer cannot print (paper out, cover open): it is offline. */
static int stopped(const ep_model_t *m)
{
  return (m->core.conditions & (MC_COND_PAPER_OUT | MC_COND_COVER_OPEN)) != 0;
}

/* DLE EOT n's answer: 0xx1xx10 with the bits of class n. */
static unsigned char realtime_status(const ep_model_t *m, unsigned n)
{
  unsigned c = m->core.conditions;
  unsigned char b = 0x12;

  if (n == 1 && stopped(m))
    b |= 0x08; /* offline */
  if (n == 2)
    b |= ((c & MC_COND_COVER_OPEN) ? 0x04 : 0) | ((c & MC_COND_PAPER_OUT) ? 0x20 : 0);
  if (n == 4)
    b |= ((c & (MC_COND_PAPER_LOW | MC_COND_PAPER_OUT)) ? 0x0c : 0)
         | ((c & MC_COND_PAPER_OUT) ? 0x60 : 0);
  return b;
}

/* The four ASB bytes. */
static void asb_status(const ep_model_t *m, unsigned char out[4])
{
  unsigned c = m->core.conditions;

  out[0] = (unsigned char)(0x10 | (stopped(m) ? 0x08 : 0) | ((c & MC_COND_COVER_OPEN) ? 0x20 : 0));
  out[1] = 0x00;
  out[2] = (unsigned char)(((c & (MC_COND_PAPER_LOW | MC_COND_PAPER_OUT)) ? 0x03 : 0)
                           | ((c & MC_COND_PAPER_OUT) ? 0x0c : 0));
  out[3] = 0x00;
}

/* The part of the status GS a n enabled: bit 1 online/offline, 2 errors, 3 paper sensors. */
static unsigned asb_key(const ep_model_t *m)
{
  unsigned char a[4];

  asb_status(m, a);
  return ((m->asb_mask & 0x02) ? a[0] & 0x28u : 0) | ((m->asb_mask & 0x04) ? (unsigned)a[1] << 8 : 0)
         | ((m->asb_mask & 0x08) ? (unsigned)a[2] << 16 : 0);
}

/* Sends the ASB (`query`: the GS a that asked for it, or NULL when the status changed). */
static void send_asb(ep_model_t *m, unsigned conn, const unsigned char *query, size_t qlen)
{
  unsigned char a[4];

  asb_status(m, a);
  m->asb_key = asb_key(m);
  mc_status_reply(&m->core, conn, query, qlen, m->asb_mask ? a : NULL, sizeof(a));
}

/* GS a n: automatic status back on (status sent at once) or off. */
static void cmd_asb(ep_model_t *m, unsigned conn, int phase)
{
  unsigned char query[3] = {GS, 'a', m->param[0]};

  m->asb_mask = m->param[0] & 0x0f;
  send_asb(m, conn, query, sizeof(query));
  end_command(m);
}

/* GS ( H fn 48: the process ID, sent back now that everything before it has printed. */
static void process_id_reply(ep_model_t *m, unsigned conn)
{
  unsigned char query[11] = {GS, '(', 'H', 6, 0};
  unsigned char reply[7] = {0x37, 0x22, m->param[5], m->param[6], m->param[7], m->param[8], 0x00};

  memcpy(query + 5, m->param + 3, 6);
  mc_status_reply(&m->core, conn, query, sizeof(query), m->param[3] == 48 ? reply : NULL,
                  sizeof(reply));
}

/* GS I n, GS r n: reported as status commands; the model does not answer them. */
static void cmd_status_query(ep_model_t *m, unsigned conn, int phase)
{
  unsigned char query[3] = {m->core.head[0], m->core.head[1], m->param[0]};

  mc_status_reply(&m->core, conn, query, sizeof(query), NULL, 0);
  end_command(m);
}

/* The conditions changed: ASB when a class it covers changed. */
static void model_status_changed(void *model)
{
  ep_model_t *m = model;

  if (m->asb_mask && asb_key(m) != m->asb_key)
    send_asb(m, 0, NULL, 0);
}

/* ESC @: initialize. */
static void cmd_reset(ep_model_t *m, unsigned conn, int phase)
{
  m->line.len = 0;
  m->asb_mask = 0;
  m->core.stats.resets++;
  mc_emit_simple(&m->core, MC_EV_RESET, conn, 0, NULL, 0);
  end_command(m);
}

/* ESC d / ESC J / ESC FF ...: print the buffered line, if any, and feed. */
static void cmd_print(ep_model_t *m, unsigned conn, int phase)
{
  if (m->line.len > 0)
    mc_text_print(&m->core, &m->line, conn);
  end_command(m);
}

/* GS V m [n] and the obsolete ESC i / ESC m: cut the paper. */
static void cmd_cut(ep_model_t *m, unsigned conn, int phase)
{
  if (phase == 0 && m->core.head[0] == GS
      && memchr(cut_with_feed, m->param[0], sizeof(cut_with_feed)) != NULL)
  {
    want_params(m, 1);
    return;
  }
  m->core.stats.cuts++;
  mc_emit_simple(&m->core, MC_EV_CUT, conn, 0, NULL, 0);
  end_command(m);
}

/* ESC * m nL nH d1..dk: bit image, k columns of 1 (m < 32) or 3 (m >= 32) bytes. */
static void cmd_escstar(ep_model_t *m, unsigned conn, int phase)
{
  unsigned columns = (unsigned)param_le(m, 1, 2);
  int tall = m->param[0] >= 32;

  if (phase == 0)
    begin_image(m, conn, "escstar", (uint64_t)columns * (tall ? 3 : 1), columns, tall ? 24 : 8);
  else
    end_image(m, conn);
}

/* GS v 0 m xL xH yL yH d1..dk: raster image of x bytes by y rows. */
static void cmd_gsv(ep_model_t *m, unsigned conn, int phase)
{
  unsigned x, y;

  switch (phase)
  {
    case 0:
      if (m->param[0] != '0')
      {
        unsigned char bytes[3] = {m->core.head[0], m->core.head[1], m->param[0]};

        m->core.stats.unknown++;
        mc_emit_simple(&m->core, MC_EV_UNKNOWN, conn, 0, bytes, sizeof(bytes));
        end_command(m);
        return;
      }
      want_params(m, 5);
      return;
    case 1:
      x = (unsigned)param_le(m, 2, 2);
      y = (unsigned)param_le(m, 4, 2);
      m->row_width = x;
      m->row_len = 0;
      m->row_mode = m->param[1];
      begin_image(m, conn, "gsv0", (uint64_t)x * y, x, y);
      return;
    default:
      end_image(m, conn);
      return;
  }
}

/* ESC/GS/FS ( fn pL pH d1..dk: a block of pL + 256 pH bytes. */
static void cmd_block16(ep_model_t *m, unsigned conn, int phase)
{
  int process_id = m->core.head[0] == GS && m->param[0] == 'H' && param_le(m, 1, 2) == 6;

  if (phase == 0 && process_id)
    want_params(m, 6); /* fn m d1..d4 */
  else if (phase == 0)
    want_data(m, param_le(m, 1, 2));
  else
  {
    if (process_id)
      process_id_reply(m, conn);
    end_command(m);
  }
}

/* GS 8 L p1 p2 p3 p4 d1..dk: a block with a 32-bit length. */
static void cmd_block32(ep_model_t *m, unsigned conn, int phase)
{
  if (phase == 0)
    want_data(m, param_le(m, 1, 4));
  else
    end_command(m);
}

/* GS * x y d1..dk: downloaded bit image of x * y * 8 bytes. */
static void cmd_dl_image(ep_model_t *m, unsigned conn, int phase)
{
  if (phase == 0)
    want_data(m, (uint64_t)m->param[0] * m->param[1] * 8);
  else
    end_command(m);
}

/* ESC & y c1 c2 [x d1..d(y*x)]...: user-defined characters c1..c2. */
static void cmd_user_chars(ep_model_t *m, unsigned conn, int phase)
{
  if (phase == 0)
  {
    m->unit = m->param[0];
    m->records = m->param[2] >= m->param[1] ? (uint64_t)(m->param[2] - m->param[1]) + 1 : 0;
  }
  else if (phase % 2 == 1)
  {
    want_data(m, (uint64_t)m->unit * m->param[0]);
    return;
  }
  next_record(m, 1);
}

/* FS q n [xL xH yL yH d1..dk]...: n NV bit images of x * y * 8 bytes. */
static void cmd_nv_images(ep_model_t *m, unsigned conn, int phase)
{
  if (phase == 0)
    m->records = m->param[0];
  else if (phase % 2 == 1)
  {
    want_data(m, param_le(m, 0, 2) * param_le(m, 2, 2) * 8);
    return;
  }
  next_record(m, 4);
}

/* FS 2 c1 c2 d1..d72: one user-defined Kanji character. */
static void cmd_kanji(ep_model_t *m, unsigned conn, int phase)
{
  if (phase == 0)
    want_data(m, KANJI_BYTES);
  else
    end_command(m);
}

/* ESC D n1..nk NUL: tab positions. */
static void cmd_tabs(ep_model_t *m, unsigned conn, int phase)
{
  if (phase == 0)
    want_until_nul(m, TABS_MAX);
  else
    end_command(m);
}

/* GS k m ...: barcode; m 0..6 data up to NUL, m 65..79 n then n bytes. */
static void cmd_barcode(ep_model_t *m, unsigned conn, int phase)
{
  int counted = m->param[0] >= 65 && m->param[0] <= 79;

  if (phase == 0 && m->param[0] <= 6)
    want_until_nul(m, BARCODE_MAX);
  else if (phase == 0 && counted)
    want_params(m, 1);
  else if (phase == 1 && counted)
    want_data(m, m->param[1]);
  else
    end_command(m);
}

/* DLE EOT n [a]: real-time status; n 7 and 8 take one more byte. */
static void cmd_dle_eot(ep_model_t *m, unsigned conn, int phase)
{
  unsigned char query[3] = {DLE, 0x04, m->param[0]}, reply;

  if (phase == 0 && (m->param[0] == 7 || m->param[0] == 8))
  {
    want_params(m, 1);
    return;
  }
  reply = realtime_status(m, m->param[0]);
  mc_status_reply(&m->core, conn, query, sizeof(query),
                  m->param[0] >= 1 && m->param[0] <= 4 ? &reply : NULL, 1);
  end_command(m);
}

/* DLE DC4 fn ...: real-time functions; fn 8 clears the buffers. */
static void cmd_dle_dc4(ep_model_t *m, unsigned conn, int phase)
{
  unsigned char fn = m->param[0];

  if (phase == 0)
  {
    want_params(m, fn < sizeof(dc4_params) ? dc4_params[fn] : 0);
    return;
  }
  if (fn == 8 && memcmp(m->param + 1, dc4_clear_magic, sizeof(dc4_clear_magic)) == 0)
  {
    m->line.len = 0;
    m->core.stats.clears++;
    mc_emit_simple(&m->core, MC_EV_CLEAR, conn, 0, NULL, 0);
  }
  end_command(m);
}

/* The table entry for prefix + code, or NULL. */
static const struct command *lookup(unsigned char prefix, unsigned char code)
{
  size_t i;

  for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (commands[i].prefix == prefix && commands[i].code == code)
      return &commands[i];
  return NULL;
}

/* A byte at the text level. */
static void text_byte(ep_model_t *m, unsigned conn, unsigned char b)
{
  switch (b)
  {
    case LF:
      mc_text_print(&m->core, &m->line, conn);
      return;
    case FF:
      if (m->line.len > 0)
        mc_text_print(&m->core, &m->line, conn);
      return;
    case ESC:
    case GS:
    case FS:
    case DLE:
      begin_command(m, conn, b);
      return;
    default:
      break;
  }
  if (b != HT && (b < 0x20 || b == 0x7f))
    return; /* other controls (NUL, CR, CAN...) are ignored */
  mc_text_add(&m->core, &m->line, conn, b);
}

/* The command byte after a prefix; returns 0 when the byte must be parsed again. */
static int prefix_byte(ep_model_t *m, unsigned conn, unsigned char b)
{
  m->core.head[1] = b;
  m->cmd = lookup(m->core.head[0], b);
  if (m->cmd == NULL && m->core.head[0] == DLE)
  {
    end_command(m); /* a lone DLE is ignored; b is an ordinary byte */
    return 0;
  }
  mc_count_bytes(&m->core, conn, 1);
  if (m->cmd == NULL)
  {
    m->core.stats.unknown++;
    mc_emit_simple(&m->core, MC_EV_UNKNOWN, conn, 0, m->core.head, sizeof(m->core.head));
    end_command(m);
    return 1;
  }
  want_params(m, m->cmd->nparams);
  advance(m, conn);
  return 1;
}

/* One byte outside a data block; returns 0 when it must be parsed again. */
static int step(void *model, unsigned conn, unsigned char b)
{
  ep_model_t *m = model;

  switch (m->mode)
  {
    case MODE_TEXT:
      text_byte(m, conn, b);
      return 1;
    case MODE_PREFIX:
      return prefix_byte(m, conn, b);
    case MODE_PARAMS:
      mc_count_bytes(&m->core, conn, 1);
      if (m->nparam < PARAM_MAX)
        m->param[m->nparam++] = b;
      advance(m, conn);
      return 1;
    case MODE_UNTIL_NUL:
      mc_count_bytes(&m->core, conn, 1);
      if (b == NUL)
        m->terminated = 1;
      else
        m->remaining--;
      advance(m, conn);
      return 1;
    case MODE_DATA:
    default:
      return 1; /* take_data handles data blocks */
  }
}

/* GS v 0 data: collects rows and reports each one as it is printed. */
static void print_rows(ep_model_t *m, unsigned conn, const unsigned char *buf, size_t n)
{
  while (n > 0 && m->row_width > 0)
  {
    size_t k = m->row_width - m->row_len < n ? m->row_width - m->row_len : n;
    mc_event_t ev;

    memcpy(m->row + m->row_len, buf, k);
    m->row_len += (unsigned)k;
    buf += k;
    n -= k;
    if (m->row_len < m->row_width)
      break;
    m->row_len = 0;
    mc_event_init(&m->core, &ev, MC_EV_ROW, conn);
    ev.data = m->row;
    ev.len = m->row_width;
    ev.height = m->row_mode & 2 ? 2 : 1;
    ev.width = m->row_mode & 1 ? 2 : 1;
    mc_emit(&m->core, &ev);
  }
}

/* Consumes up to `len` bytes of the current data block; returns how many (0: no block). */
static size_t take_data(void *model, unsigned conn, const unsigned char *buf, size_t len)
{
  ep_model_t *m = model;
  size_t n;

  if (m->mode != MODE_DATA || m->remaining == 0)
    return 0;
  n = mc_block_part(len, m->remaining);
  if (m->image)
    m->zeros += mc_zeros(buf, n);
  if (m->image && strcmp(m->image, "gsv0") == 0)
    print_rows(m, conn, buf, n);
  m->remaining -= n;
  mc_count_bytes(&m->core, conn, n);
  advance(m, conn);
  return n;
}

/* Creates a model in its power-on state. */
static void *model_new(mc_event_fn fn, void *ctx)
{
  ep_model_t *m = mc_model_new(sizeof(*m), fn, ctx);

  if (m == NULL)
    return NULL;
  m->mode = MODE_TEXT;
  return m;
}

/* Parses bytes received on connection `conn`. */
static void model_feed(void *model, unsigned conn, const unsigned char *buf, size_t len)
{
  mc_feed(model, conn, buf, len, take_data, step);
}

/* Bytes the current command still expects (an upper bound for MODE_UNTIL_NUL). */
static uint64_t expected(const ep_model_t *m)
{
  switch (m->mode)
  {
    case MODE_PREFIX:
      return 1;
    case MODE_PARAMS:
      return m->need > m->nparam ? m->need - m->nparam : 0;
    case MODE_DATA:
      return m->remaining;
    case MODE_UNTIL_NUL:
      return m->remaining + 1;
    default:
      return 0;
  }
}

/* Connection `conn` ended: reports its swallowed bytes and a command left pending. */
static void model_conn_end(void *model, unsigned conn)
{
  ep_model_t *m = model;

  if (m->mode != MODE_TEXT)
    mc_conn_end(&m->core, conn, expected(m), m->core.head, m->mode == MODE_PREFIX ? 1 : 2);
}

/* Power cycle: forgets the command in progress and the line buffer. */
static void model_power_cycle(void *model)
{
  ep_model_t *m = model;

  if (m->mode != MODE_TEXT)
    end_command(m);
  m->line.len = 0;
}

/* Nonzero while the parser is inside a command (not at the text level). */
static int model_busy(const void *model)
{
  const ep_model_t *m = model;

  return m->mode != MODE_TEXT;
}

/* The ESC/POS model behind the emulator's interface. */
const mc_language_t ep_language = {
  "escpos", model_new, free, model_feed, model_conn_end, model_power_cycle, mc_model_finish,
  model_busy, mc_model_stats, model_status_changed,
};

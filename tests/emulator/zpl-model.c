/*
 * zpl-model.c: the printer emulator's ZPL II parser model.
 *
 * A byte-at-a-time state machine. A command is a prefix (^ or ~) and a
 * two-character name; its parameters run up to the next prefix. Between
 * ^XA and ^XZ the printer builds a label format: ^FD (or ^FV) field data up
 * to the next prefix is printed as a text, ^XZ prints the label. Outside
 * commands, blanks are skipped and other bytes ignored.
 *
 * Graphics are counted: ~DG name,t,w, is followed by t bytes of image (w
 * per row), ^GFA,b,c,w, by c bytes and ~DY name,A,x,t,w, by t bytes, as
 * ASCII hex with ZPL II compression -- G to Y repeat the next hex digit 1 to
 * 19 times, g to z 20 to 400 times (the counts add up), ',' fills the rest
 * of the row with 0, '!' with 1, ':' repeats the previous row; other bytes
 * are skipped -- but, as the ZPL II guide says, "~DN or any caret or tilde
 * character prematurely aborts the download". Binary data (^GFB and ^GFC:
 * b bytes, ~DY with B or C: t bytes) is different: "all control prefixes
 * ... will be ignored until the total number of bytes needed ... is
 * received". So a cut hex download ends at the next job's first command,
 * while cut binary data consumes the next job as image data until it has
 * all its bytes. The bytes other connections send into a command are
 * counted by model-common.c.
 */

#include "zpl-model.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CARET '^'
#define TILDE '~'
#define DEL 0x7f

#define FIELDS_MAX 5 /* header fields kept: ~DY has five before its data */
#define NIBBLE_ONES 0xf

/* Where the parser is. */
enum mode
{
  MODE_IDLE,   /* between commands */
  MODE_NAME,   /* got ^ or ~, collecting the two-character name */
  MODE_PARAMS, /* a command's parameters, up to the next prefix */
  MODE_FIELD,  /* ^FD / ^FV field data, up to the next prefix */
  MODE_HEADER, /* ~DG / ^GF / ~DY parameters, up to the comma before the data */
  MODE_HEX,    /* ASCII hex data with compression */
  MODE_BINARY  /* binary data */
};

typedef struct zpl_model zpl_model_t;

typedef void (*command_fn)(zpl_model_t *m, unsigned conn);

/* One command the model knows: prefix, name, handler. */
struct command
{
  unsigned char prefix;
  char name[3];
  command_fn fn;
};

struct zpl_model
{
  mc_core_t core;             /* first: events, counters, owner, swallowed bytes */

  enum mode mode;
  unsigned char name[3];      /* the prefix and the name */
  size_t name_len;

  unsigned commas;            /* MODE_HEADER: commas so far */
  unsigned commas_wanted;     /* the comma that ends the header */
  uint64_t field[FIELDS_MAX]; /* header fields as numbers */
  unsigned char letter[FIELDS_MAX]; /* and their first letters (^GF, ~DY: the format) */

  int in_format;              /* between ^XA and ^XZ */
  uint64_t fields;            /* fields printed in the format */
  uint64_t graphics;          /* ^GF and ^XG in the format */
  mc_text_t text;             /* MODE_FIELD: the field data */

  uint64_t nibbles;           /* MODE_HEX: nibbles in the image (2 per byte) */
  uint64_t pos;               /* nibbles decoded */
  uint64_t row;               /* nibbles per row */
  uint64_t repeat;            /* count for the next hex digit (0: none) */
  unsigned high;              /* the byte's first nibble, while pos is odd */
  uint64_t row_zeros;         /* zero bytes in the current row */
  uint64_t prev_row_zeros;    /* and in the previous one (':' repeats it) */
  int cut_short;              /* the prefix of the command being read ended hex data */
  uint64_t remaining;         /* MODE_BINARY: bytes left */
  uint64_t image_bytes;       /* MODE_BINARY: bytes the image holds */
  uint64_t zeros;             /* zero bytes in the image so far */
  uint64_t image_swallowed;   /* image data from other connections */
};

static void cmd_start_format(zpl_model_t *m, unsigned conn);
static void cmd_end_format(zpl_model_t *m, unsigned conn);
static void cmd_field(zpl_model_t *m, unsigned conn);
static void cmd_graphic_field(zpl_model_t *m, unsigned conn);
static void cmd_recall_graphic(zpl_model_t *m, unsigned conn);
static void cmd_download_graphic(zpl_model_t *m, unsigned conn);
static void cmd_download_object(zpl_model_t *m, unsigned conn);
static void cmd_abort_download(zpl_model_t *m, unsigned conn);
static void cmd_cancel(zpl_model_t *m, unsigned conn);
static void cmd_power_on_reset(zpl_model_t *m, unsigned conn);
static void cmd_host_status(zpl_model_t *m, unsigned conn);

/* The commands the model acts on; the others only take parameters. */
static const struct command commands[] = {
  {CARET, "XA", cmd_start_format},     /* start format */
  {CARET, "XZ", cmd_end_format},       /* end format: print the label */
  {CARET, "FD", cmd_field},            /* field data */
  {CARET, "FV", cmd_field},            /* field variable */
  {CARET, "GF", cmd_graphic_field},    /* graphic field */
  {CARET, "XG", cmd_recall_graphic},   /* recall a stored graphic */
  {TILDE, "DG", cmd_download_graphic}, /* download graphic */
  {TILDE, "DY", cmd_download_object},  /* download objects */
  {TILDE, "DN", cmd_abort_download},   /* abort download graphic */
  {TILDE, "JA", cmd_cancel},           /* cancel all */
  {TILDE, "JX", cmd_cancel},           /* cancel the format being received */
  {TILDE, "JR", cmd_power_on_reset},   /* power on reset */
  {TILDE, "HS", cmd_host_status},      /* host status return */
};

/* Nonzero for a command prefix. */
static int is_prefix(unsigned char b)
{
  return b == CARET || b == TILDE;
}

/* Attributes `n` bytes of the command to `conn`; image data also counts for the image. */
static void count_bytes(zpl_model_t *m, unsigned conn, uint64_t n)
{
  if (mc_count_bytes(&m->core, conn, n) && (m->mode == MODE_HEX || m->mode == MODE_BINARY))
    m->image_swallowed += n;
}

/* Starts a command on its prefix byte. */
static void begin_command(zpl_model_t *m, unsigned conn, unsigned char prefix)
{
  mc_begin_command(&m->core, conn, prefix);
  m->mode = MODE_NAME;
  m->name[0] = prefix;
  m->name_len = 1;
}

/* Ends the current command and returns to the idle level. */
static void end_command(zpl_model_t *m)
{
  mc_flush_foreign(&m->core);
  m->mode = MODE_IDLE;
}

/* Reports the current command as unknown (cut short or malformed) and ends it. */
static void unknown_command(zpl_model_t *m, unsigned conn)
{
  m->core.stats.unknown++;
  mc_emit_simple(&m->core, MC_EV_UNKNOWN, conn, 0, m->name, m->name_len);
  end_command(m);
}

/* Starts an image of `bytes` bytes, `rowbytes` a row. */
static void begin_image(zpl_model_t *m, unsigned conn, const char *cmd, uint64_t bytes,
                        uint64_t rowbytes)
{
  m->zeros = 0;
  m->image_swallowed = 0;
  mc_image_begin(&m->core, conn, cmd, bytes, (unsigned)rowbytes,
                 rowbytes ? (unsigned)(bytes / rowbytes) : 0);
}

/* Ends the image with `bytes` bytes received, and the command. */
static void end_image(zpl_model_t *m, unsigned conn, uint64_t bytes)
{
  mc_image_end(&m->core, conn, m->core.owner, bytes, m->zeros, m->image_swallowed);
  end_command(m);
}

/* Counts `n` zero bytes of the image. */
static void add_zeros(zpl_model_t *m, uint64_t n)
{
  m->zeros += n;
  m->row_zeros += n;
}

/* At a row's end, remembers its zero bytes for ':' and starts the next row. */
static void check_row_end(zpl_model_t *m)
{
  if (m->pos % m->row != 0)
    return;
  m->prev_row_zeros = m->row_zeros;
  m->row_zeros = 0;
}

/* Appends `n` nibbles of value `v` to the image, clipped to its size. */
static void put_nibbles(zpl_model_t *m, unsigned v, uint64_t n)
{
  while (n > 0 && m->pos < m->nibbles)
  {
    uint64_t k = m->row - m->pos % m->row;
    uint64_t taken;

    if (k > n)
      k = n;
    if (k > m->nibbles - m->pos)
      k = m->nibbles - m->pos;
    taken = k;
    if (m->pos % 2 == 1) /* completes a byte begun earlier */
    {
      add_zeros(m, m->high == 0 && v == 0);
      m->pos++;
      k--;
    }
    if (v == 0)
      add_zeros(m, k / 2);
    m->pos += k;
    if (k % 2 == 1)
      m->high = v;
    n -= taken;
    check_row_end(m);
  }
}

/* ':' at the start of a row: the previous row again (inside a row: the rest of it, whose zero
   bytes are not counted). */
static void repeat_row(zpl_model_t *m)
{
  uint64_t k = m->row - m->pos % m->row;

  if (k < m->row)
  {
    put_nibbles(m, NIBBLE_ONES, k);
    return;
  }
  if (k > m->nibbles - m->pos)
    k = m->nibbles - m->pos; /* the image's last, shorter row */
  add_zeros(m, m->prev_row_zeros < k / 2 ? m->prev_row_zeros : k / 2);
  m->pos += k;
  check_row_end(m);
}

/* Decodes one character of hex data; anything but data is skipped. */
static void hex_char(zpl_model_t *m, unsigned conn, unsigned char b)
{
  uint64_t n;

  if (isxdigit(b))
  {
    n = m->repeat ? m->repeat : 1;
    m->repeat = 0;
    put_nibbles(m, (unsigned)(isdigit(b) ? b - '0' : toupper(b) - 'A' + 10), n);
  }
  else if (b >= 'G' && b <= 'Y')
    m->repeat += (uint64_t)(b - 'F');
  else if (b >= 'g' && b <= 'z')
    m->repeat += 20 * (uint64_t)(b - 'f');
  else if (b == ',' || b == '!' || b == ':')
  {
    m->repeat = 0;
    if (b == ':')
      repeat_row(m);
    else
      put_nibbles(m, b == ',' ? 0 : NIBBLE_ONES, m->row - m->pos % m->row);
  }
  if (m->repeat > m->nibbles)
    m->repeat = m->nibbles;
  if (m->pos == m->nibbles)
    end_image(m, conn, m->nibbles / 2);
}

/* Starts hex data of `bytes` bytes, `rowbytes` a row. */
static void begin_hex(zpl_model_t *m, unsigned conn, const char *cmd, uint64_t bytes,
                      uint64_t rowbytes)
{
  m->mode = MODE_HEX;
  m->nibbles = 2 * bytes;
  m->row = rowbytes ? 2 * rowbytes : (m->nibbles ? m->nibbles : 1);
  m->pos = 0;
  m->repeat = 0;
  m->high = 0;
  m->row_zeros = 0;
  m->prev_row_zeros = m->row / 2; /* ':' on the first row repeats a blank one */
  begin_image(m, conn, cmd, bytes, rowbytes);
  if (m->nibbles == 0)
    end_image(m, conn, 0);
}

/* Starts `bytes` bytes of binary data. */
static void begin_binary(zpl_model_t *m, unsigned conn, const char *cmd, uint64_t bytes,
                         uint64_t rowbytes)
{
  m->mode = MODE_BINARY;
  m->remaining = bytes;
  m->image_bytes = bytes;
  begin_image(m, conn, cmd, bytes, rowbytes);
  if (bytes == 0)
    end_image(m, conn, 0);
}

/* The header is complete: starts the download it announced. */
static void begin_data(zpl_model_t *m, unsigned conn)
{
  unsigned char gf = m->letter[0], dy = m->letter[1];

  if (m->name[0] == CARET && gf == 'A') /* ^GFA,b,c,w, */
    begin_hex(m, conn, "gfa", m->field[2], m->field[3]);
  else if (m->name[0] == CARET && (gf == 'B' || gf == 'C'))
    begin_binary(m, conn, gf == 'B' ? "gfb" : "gfc", m->field[1], m->field[3]);
  else if (m->name[0] == CARET)
    unknown_command(m, conn);
  else if (toupper(m->name[2]) == 'G') /* ~DG name,t,w, */
    begin_hex(m, conn, "dg", m->field[1], m->field[2]);
  else if (dy == 'A' || dy == 'P') /* ~DY name,A,x,t,w, (P: a PNG file, no rows) */
    begin_hex(m, conn, dy == 'A' ? "dya" : "dyp", m->field[3], dy == 'A' ? m->field[4] : 0);
  else if (dy == 'B' || dy == 'C')
    begin_binary(m, conn, dy == 'B' ? "dyb" : "dyc", m->field[3], m->field[4]);
  else
    unknown_command(m, conn);
}

/* Starts collecting a header of `commas` comma-separated fields. */
static void want_header(zpl_model_t *m, unsigned commas)
{
  m->mode = MODE_HEADER;
  m->commas = 0;
  m->commas_wanted = commas;
  memset(m->field, 0, sizeof(m->field));
  memset(m->letter, 0, sizeof(m->letter));
}

/* ^XA: a label format begins. */
static void cmd_start_format(zpl_model_t *m, unsigned conn)
{
  if (!m->in_format)
  {
    m->in_format = 1;
    m->fields = 0;
    m->graphics = 0;
  }
  end_command(m);
}

/* ^XZ: the format ends and its label is printed. */
static void cmd_end_format(zpl_model_t *m, unsigned conn)
{
  mc_event_t ev;

  if (m->in_format)
  {
    m->in_format = 0;
    m->core.stats.labels++;
    mc_event_init(&m->core, &ev, MC_EV_LABEL, conn);
    ev.cmd = "xz";
    ev.texts = m->fields;
    ev.graphics = m->graphics;
    mc_emit(&m->core, &ev);
  }
  end_command(m);
}

/* ^FD / ^FV: field data follows. */
static void cmd_field(zpl_model_t *m, unsigned conn)
{
  m->mode = MODE_FIELD;
  m->text.len = 0;
}

/* ^GF a,b,c,w,data: a graphic field. */
static void cmd_graphic_field(zpl_model_t *m, unsigned conn)
{
  m->graphics += m->in_format;
  want_header(m, 4);
}

/* ^XG: a stored graphic is placed on the label. */
static void cmd_recall_graphic(zpl_model_t *m, unsigned conn)
{
  m->graphics += m->in_format;
  m->mode = MODE_PARAMS;
}

/* ~DG name,t,w,data: a graphic download. */
static void cmd_download_graphic(zpl_model_t *m, unsigned conn)
{
  want_header(m, 3);
}

/* ~DY name,b,x,t,w,data: an object download (a graphic in format b). */
static void cmd_download_object(zpl_model_t *m, unsigned conn)
{
  want_header(m, 5);
}

/* ~DN: ends graphics mode; active when its tilde cut a hex download short. */
static void cmd_abort_download(zpl_model_t *m, unsigned conn)
{
  mc_emit_simple(&m->core, MC_EV_ABORT, conn, (uint64_t)m->cut_short, NULL, 0);
  end_command(m);
}

/* Drops the format in progress. */
static void drop_format(zpl_model_t *m)
{
  m->in_format = 0;
  m->fields = 0;
  m->graphics = 0;
  m->text.len = 0;
}

/* ~JA (cancel all), ~JX (cancel the format being received): the format in progress is dropped. */
static void cmd_cancel(zpl_model_t *m, unsigned conn)
{
  drop_format(m);
  m->core.stats.clears++;
  mc_emit_simple(&m->core, MC_EV_CLEAR, conn, 0, NULL, 0);
  end_command(m);
}

/* ~JR: power on reset. */
static void cmd_power_on_reset(zpl_model_t *m, unsigned conn)
{
  drop_format(m);
  m->core.stats.resets++;
  mc_emit_simple(&m->core, MC_EV_RESET, conn, 0, NULL, 0);
  end_command(m);
}

/*
 * ~HS: three strings, STX fields ETX CR LF (Zebra's ZPL II guide): paper out,
 * pause, formats waiting and a format in progress in the first; head up and
 * labels remaining in the second; password and RAM in the third. Paper out
 * raises the paper-out flag, cover open the head-up flag. Formats print as
 * they are parsed, except those a paused printer holds (core.waiting, the
 * emulator's --hold), which are the formats in the receive buffer.
 */
static void cmd_host_status(zpl_model_t *m, unsigned conn)
{
  unsigned conditions = m->core.conditions;
  unsigned waiting = m->core.waiting < 999 ? (unsigned)m->core.waiting : 999;
  char reply[160];
  int n = snprintf(reply, sizeof(reply),
                   "\x02" "030,%d,0,1245,%03u,0,0,%d,000,0,0,0\x03\r\n"
                   "\x02" "001,0,%d,0,0,2,6,0,00000000,1,000\x03\r\n"
                   "\x02" "1234,0\x03\r\n",
                   (conditions & MC_COND_PAPER_OUT) != 0, waiting, m->in_format != 0,
                   (conditions & MC_COND_COVER_OPEN) != 0);

  mc_status_reply(&m->core, conn, m->name, sizeof(m->name), (const unsigned char *)reply,
                  (size_t)n);
  end_command(m);
}

/* Runs the command whose name is complete. */
static void run_name(zpl_model_t *m, unsigned conn)
{
  size_t i;

  for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (commands[i].prefix == m->name[0] && commands[i].name[0] == toupper(m->name[1])
        && commands[i].name[1] == toupper(m->name[2]))
    {
      commands[i].fn(m, conn);
      m->cut_short = 0;
      return;
    }
  m->mode = MODE_PARAMS;
  m->cut_short = 0;
}

/* A byte between commands. */
static void idle_byte(zpl_model_t *m, unsigned conn, unsigned char b)
{
  if (is_prefix(b))
  {
    mc_flush_ignored(&m->core);
    begin_command(m, conn, b);
  }
  else if (b > ' ' && b != DEL)
    mc_note_ignored(&m->core, conn);
}

/* A byte of a command's name; returns 0 when it must be parsed again. */
static int name_byte(zpl_model_t *m, unsigned conn, unsigned char b)
{
  if (is_prefix(b))
  {
    m->cut_short = 0;
    unknown_command(m, conn);
    return 0;
  }
  count_bytes(m, conn, 1);
  if (b == '\r' || b == '\n')
    return 1;
  m->name[m->name_len++] = b;
  if (m->name_len == sizeof(m->name))
    run_name(m, conn);
  return 1;
}

/* A byte of field data; returns 0 when it must be parsed again. */
static int field_byte(zpl_model_t *m, unsigned conn, unsigned char b)
{
  if (is_prefix(b))
  {
    if (m->in_format)
    {
      m->fields++;
      mc_text_print(&m->core, &m->text, conn);
    }
    end_command(m);
    return 0;
  }
  count_bytes(m, conn, 1);
  if (b >= ' ' && b != DEL)
    mc_text_add(&m->core, &m->text, conn, b);
  return 1;
}

/* A byte of a ~DG / ^GF header; returns 0 when it must be parsed again. */
static int header_byte(zpl_model_t *m, unsigned conn, unsigned char b)
{
  uint64_t *f = m->commas < FIELDS_MAX ? &m->field[m->commas] : NULL;

  if (is_prefix(b))
  {
    unknown_command(m, conn); /* cut short before its data */
    return 0;
  }
  count_bytes(m, conn, 1);
  if (b == ',')
  {
    if (++m->commas == m->commas_wanted)
      begin_data(m, conn);
  }
  else if (f && isdigit(b) && *f < UINT64_C(1) << 40)
    *f = *f * 10 + (uint64_t)(b - '0');
  else if (f && isalpha(b) && m->letter[m->commas] == 0)
    m->letter[m->commas] = (unsigned char)toupper(b);
  return 1;
}

/* A byte of hex data; returns 0 when it must be parsed again (a prefix cut the data short). */
static int hex_byte(zpl_model_t *m, unsigned conn, unsigned char b)
{
  if (is_prefix(b))
  {
    end_image(m, conn, (m->pos + 1) / 2);
    m->cut_short = 1;
    return 0;
  }
  count_bytes(m, conn, 1);
  hex_char(m, conn, b);
  return 1;
}

/* Consumes up to `len` bytes of binary data; returns how many (0: none due). */
static size_t take_binary(void *model, unsigned conn, const unsigned char *buf, size_t len)
{
  zpl_model_t *m = model;
  size_t n;

  if (m->mode != MODE_BINARY)
    return 0;
  n = mc_block_part(len, m->remaining);
  m->zeros += mc_zeros(buf, n);
  count_bytes(m, conn, n);
  m->remaining -= n;
  if (m->remaining == 0)
    end_image(m, conn, m->image_bytes);
  return n;
}

/* One byte outside binary data; returns 0 when it must be parsed again. */
static int step(void *model, unsigned conn, unsigned char b)
{
  zpl_model_t *m = model;

  switch (m->mode)
  {
    case MODE_IDLE:
      idle_byte(m, conn, b);
      return 1;
    case MODE_NAME:
      return name_byte(m, conn, b);
    case MODE_PARAMS:
      if (is_prefix(b))
      {
        end_command(m);
        return 0;
      }
      count_bytes(m, conn, 1);
      return 1;
    case MODE_FIELD:
      return field_byte(m, conn, b);
    case MODE_HEADER:
      return header_byte(m, conn, b);
    case MODE_HEX:
      return hex_byte(m, conn, b);
    case MODE_BINARY:
    default:
      return 1; /* take_binary handles binary data */
  }
}

/* Creates a model in its power-on state. */
static void *model_new(mc_event_fn fn, void *ctx)
{
  zpl_model_t *m = mc_model_new(sizeof(*m), fn, ctx);

  if (m == NULL)
    return NULL;
  m->mode = MODE_IDLE;
  return m;
}

/* Parses bytes received on connection `conn`. */
static void model_feed(void *model, unsigned conn, const unsigned char *buf, size_t len)
{
  mc_feed(model, conn, buf, len, take_binary, step);
}

/* Bytes the current command still expects (1 for one that the next prefix ends). */
static uint64_t expected(const zpl_model_t *m)
{
  switch (m->mode)
  {
    case MODE_HEX:
      return (m->nibbles - m->pos + 1) / 2;
    case MODE_BINARY:
      return m->remaining;
    default:
      return 1;
  }
}

/* Connection `conn` ended: reports its ignored and swallowed bytes and a command left pending. */
static void model_conn_end(void *model, unsigned conn)
{
  zpl_model_t *m = model;

  if (m->core.ignored_conn == conn)
    mc_flush_ignored(&m->core);
  if (m->mode != MODE_IDLE)
    mc_conn_end(&m->core, conn, expected(m), m->name, m->name_len);
}

/* Power cycle: forgets the command and the format in progress. */
static void model_power_cycle(void *model)
{
  zpl_model_t *m = model;

  mc_flush_ignored(&m->core);
  if (m->mode != MODE_IDLE)
    end_command(m);
  drop_format(m);
  m->cut_short = 0;
}

/* Nonzero while the parser is inside a command. */
static int model_busy(const void *model)
{
  const zpl_model_t *m = model;

  return m->mode != MODE_IDLE;
}

/* The ZPL model behind the emulator's interface. */
const mc_language_t zpl_language = {
  "zpl", model_new, free, model_feed, model_conn_end, model_power_cycle, mc_model_finish,
  model_busy, mc_model_stats, NULL,
};

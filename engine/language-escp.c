/*
 * The ESC/P tracker: ESC/P and ESC/P 2 (dot-matrix and Stylus printers),
 * with the raster commands of Stylus inkjets, their remote mode and EJL
 * lines.  It follows the printer's parser in a few dozen bytes of state and
 * never buffers the job: text is scanned for ESC, command headers are kept
 * (8 bytes at most) until the data length is known, and data is skipped in
 * one step, except run-length encoded raster data, which ends when its
 * declared decoded size is reached and is followed counter by counter
 * (literal runs are skipped in one step).  Unknown commands take no
 * parameters.
 *
 * What the tracker knows, and where the data length comes from:
 * - ESC . c v h m nL nH (raster): m rows of (nL+256nH) dots, one bit each;
 *   c = 0 raw, 1 run-length encoded (a counter below 128 is followed by
 *   counter+1 literal bytes, a counter of 128 or more by one byte repeated
 *   257-counter times; a run is taken whole and the data ends at the first
 *   counter boundary where the decoded size is reached), 2 enters TIFF mode;
 *   c may also be the digit '0', '1' or '2' (rastertoescpx sends those);
 * - ESC i r c b nL nH mL mH (raster of newer Stylus printers): mL+256mH
 *   rows of nL+256nH bytes, c as for ESC .;
 * - ESC * m nL nH: nL+256nH columns of 1 byte (m < 32), 3 bytes (m < 64)
 *   or 6 bytes (48-dot modes: rastertoepson sends m = 72 and 73);
 *   ESC K, L, Y, Z nL nH: 1 byte a column; ESC ^ m nL nH (9-pin): 2 bytes;
 * - ESC ( c nL nH: nL+256nH bytes; ESC ( R with the 8 bytes "\0REMOTE1"
 *   enters remote mode: records of two letters, nL nH and nL+256nH bytes,
 *   up to ESC NUL NUL NUL;
 * - TIFF mode (ESC . 2): binary commands <ccc F bbbb> with, when F = 1, bbbb
 *   parameter bytes (a little-endian number), up to EXIT (0xE3); XFER
 *   (0x20..0x3F) is followed by bbbb (F = 0) or that number of compressed
 *   bytes;
 * - ESC SOH (EJL, as in the "exit packet mode" sequence rastertoepson and
 *   rastertoescpx send): "@EJL" lines up to LF, as long as lines start with
 *   "@EJL";
 * - ESC & NUL n m (user-defined characters, ESC/P 2 form): per character
 *   a0 a1 a2 and 3*a1 bytes; ESC D (32 values), ESC B (16 values), ESC b c
 *   (16 values): tab lists ended by NUL; ESC C n, or ESC C NUL n;
 * - every other command with a fixed count of parameter bytes.
 * ESC i is the raster command (the "immediate print" ESC i n of old 9-pin
 * printers is not recognized).
 *
 * Completing a half-sent command (escp_completion):
 * - a lone ESC becomes ESC @ (initialize: what the reset sends anyway);
 * - missing header bytes are 0x00: zero-sized images and rasters, zero-length
 *   ESC ( commands (an unknown one, ESC ( NUL, after a lone ESC (), zero
 *   movements, modes off; ESC C gets NUL NUL (a zero page length, ignored);
 *   ESC & NUL gets n = m = 0 and a zero-width character 0;
 * - owed data is sent as 0x00: white pixels (raw), and for run-length
 *   encoded data the rest of the current run as 0x00 then each decoded byte
 *   still owed as a 0x00 counter followed by one 0x00 literal (white); NUL
 *   ends a tab list; an ESC ( R cut in "\0REMOTE1" is completed with 0x00,
 *   which does not enter remote mode;
 * - EJL: a cut "@EJL" is finished and the line ended with LF;
 * - remote mode: the current record is completed with 0x00 (a record cut in
 *   its header gets a zero length) and remote mode is left with
 *   ESC NUL NUL NUL; TIFF mode: the current command's parameters and data
 *   are completed with 0x00 (white) and TIFF mode is left with EXIT.  The
 *   exit follows the data: in the completion's prefix when both fit in it,
 *   else in its suffix after the fill.
 * No harmless value exists, and the completion has a visible effect, for:
 * ESC J, ESC j, ESC ( v and the like with a value already sent (the paper
 * moves by it), ESC J 0 (prints the line buffer), ESC ( ^ and ESC ( B data
 * (NUL characters, a bar code of NULs), remote records (a setting made with
 * its value cut or zeroed, until the printer loads its defaults), ESC & and
 * ESC : (user-defined characters redefined blank), and raster rows already
 * announced (white rows feed paper).
 *
 * Bounds.  A count beyond what a real printer takes means the bytes are not
 * ESC/P (a PDF, a mis-routed file): the tracker is then lost until it is
 * started again, and its completion is implausible (the claimed count, for
 * the log, and nothing to send).  Most ESC/P counts are bounded by their
 * own width and are taken as they are: ESC ( and remote-mode records
 * (16 bits: 64 KiB), ESC * (65535 columns of at most 6 bytes), ESC K/L/Y/Z
 * and ESC ^, ESC & (3 x 255 bytes a character), and ESC . (m is one byte:
 * at most 255 rows of 65535 dots, 2 MiB).  Two are not:
 * - ESC i r c b nL nH mL mH has 16-bit row and byte counts (4 GiB): the
 *   rows are the head's nozzles of one color, at most a few hundred on
 *   Epson heads (800 on the largest), so at most 4096 rows, and at most
 *   64 MiB a band (the widest Epson, 64 inches at 2880 dpi in 2-bit
 *   dots, has 46080-byte rows: 800 of them are 37 MB);
 * - a TIFF-mode XFER count: one compressed raster row, whose count the
 *   ESC/P 2 reference gives 1 or 2 bytes (65535): at most 1 MiB.
 * Run-length raster (c = 1) is completed with two bytes a decoded byte,
 * so the largest plausible ESC/P completion is 128 MiB (ESC i, RLE).
 * ESC/P has no way back to command level from inside data (raster data is
 * consumed by count; remote mode is left only at a record boundary).
 */

#include "language.h"

#include <string.h>

#define ESC 0x1b
#define TIFF_EXIT 0xe3

#define BAND_ROWS_MAX 4096                  /* ESC i rows */
#define BAND_BYTES_MAX (UINT64_C(64) << 20) /* ESC i decoded bytes */
#define XFER_MAX (UINT64_C(1) << 20)        /* TIFF-mode XFER bytes */

/* How a command's parameters are read. */
typedef enum kind_e
{
  K_NONE = 0,    /* no parameters (also every unknown command) */
  K_FIXED,       /* `params` bytes */
  K_PAGE_LENGTH, /* ESC C n, or ESC C NUL n */
  K_LIST,        /* ESC B, ESC D: values up to a NUL, at most `params` */
  K_CHANNEL,     /* ESC b c, then values up to a NUL, at most 16 */
  K_USER_CHARS,  /* ESC & NUL n m, then per character a0 a1 a2 and 3*a1 bytes */
  K_EXTENDED,    /* ESC ( c nL nH, then nL+256nH bytes */
  K_BIT_IMAGE,   /* ESC * m nL nH, then n columns of 1, 3 or 6 bytes */
  K_NINE_PIN,    /* ESC ^ m nL nH, then n columns of 2 bytes */
  K_COLUMNS,     /* ESC K, L, Y, Z nL nH, then n bytes */
  K_RASTER,      /* ESC . c v h m nL nH */
  K_RASTER_I,    /* ESC i r c b nL nH mL mH */
  K_EJL          /* ESC SOH: EJL lines */
} kind_t;

/* One command: how to skip it. */
typedef struct command_s
{
  uint8_t kind;
  uint8_t params; /* K_FIXED: parameter count; K_LIST: most values */
} command_t;

#define FIXED(n) { K_FIXED, n }
#define SPECIAL(k) { k, 0 }

/* ESC commands that take parameters. */
static const command_t commands[128] = {
  [0x01] = SPECIAL(K_EJL),         /* EJL (Epson job language) */
  [0x19] = FIXED(1),               /* EM: cut-sheet feeder control */
  [' '] = FIXED(1),                /* intercharacter space */
  ['!'] = FIXED(1),                /* master select */
  ['$'] = FIXED(2),                /* absolute horizontal position */
  ['%'] = FIXED(1),                /* user-defined character set */
  ['&'] = SPECIAL(K_USER_CHARS),   /* define user-defined characters */
  ['('] = SPECIAL(K_EXTENDED),     /* ESC ( G, U, C, c, V, v, i, e, K, D, r, R, ... */
  ['*'] = SPECIAL(K_BIT_IMAGE),    /* bit image */
  ['+'] = FIXED(1),                /* n/360-inch line spacing */
  ['-'] = FIXED(1),                /* underline */
  ['.'] = SPECIAL(K_RASTER),       /* raster graphics */
  ['/'] = FIXED(1),                /* vertical tab channel */
  ['3'] = FIXED(1),                /* n/180-inch line spacing */
  [':'] = FIXED(3),                /* copy ROM to RAM */
  ['?'] = FIXED(2),                /* reassign bit-image mode */
  ['A'] = FIXED(1),                /* n/60-inch line spacing */
  ['B'] = { K_LIST, 16 },          /* vertical tabs */
  ['C'] = SPECIAL(K_PAGE_LENGTH),  /* page length in lines or inches */
  ['D'] = { K_LIST, 32 },          /* horizontal tabs */
  ['I'] = FIXED(1),                /* printing of control codes */
  ['J'] = FIXED(1),                /* advance n/180 inch */
  ['K'] = SPECIAL(K_COLUMNS),      /* 60-dpi graphics */
  ['L'] = SPECIAL(K_COLUMNS),      /* 120-dpi graphics */
  ['N'] = FIXED(1),                /* bottom margin */
  ['Q'] = FIXED(1),                /* right margin */
  ['R'] = FIXED(1),                /* international character set */
  ['S'] = FIXED(1),                /* superscript/subscript */
  ['U'] = FIXED(1),                /* unidirectional */
  ['W'] = FIXED(1),                /* double width */
  ['X'] = FIXED(3),                /* font by pitch and point */
  ['Y'] = SPECIAL(K_COLUMNS),      /* 120-dpi double-speed graphics */
  ['Z'] = SPECIAL(K_COLUMNS),      /* 240-dpi graphics */
  ['\\'] = FIXED(2),               /* relative horizontal position */
  ['^'] = SPECIAL(K_NINE_PIN),     /* 9-pin graphics */
  ['a'] = FIXED(1),                /* justification */
  ['b'] = SPECIAL(K_CHANNEL),      /* vertical tabs in a channel */
  ['c'] = FIXED(2),                /* horizontal motion index */
  ['e'] = FIXED(2),                /* fixed tab increment */
  ['f'] = FIXED(2),                /* horizontal/vertical skip */
  ['h'] = FIXED(1),                /* double/quadruple size */
  ['i'] = SPECIAL(K_RASTER_I),     /* raster of newer Stylus printers */
  ['j'] = FIXED(1),                /* reverse feed n/216 inch */
  ['k'] = FIXED(1),                /* typeface */
  ['l'] = FIXED(1),                /* left margin */
  ['m'] = FIXED(1),                /* printing of upper control codes */
  ['p'] = FIXED(1),                /* proportional mode */
  ['q'] = FIXED(1),                /* character style */
  ['r'] = FIXED(1),                /* printing color */
  ['s'] = FIXED(1),                /* low-speed mode */
  ['t'] = FIXED(1),                /* character table */
  ['w'] = FIXED(1),                /* double height */
  ['x'] = FIXED(1),                /* letter quality or draft */
  ['{'] = FIXED(1),                /* emulation (Okidata: ESC { A) */
};

/* Where the data goes. */
typedef enum context_e
{
  C_ESCP = 0, /* ESC/P commands and text */
  C_EJL,      /* "@EJL" lines after ESC SOH */
  C_REMOTE,   /* remote-mode records */
  C_TIFF      /* TIFF-mode binary commands */
} context_t;

/* Where the parser is. */
typedef enum phase_e
{
  P_TEXT = 0,  /* outside any command (EJL: at the start of a line) */
  P_ESCAPE,    /* ESC received; the command byte is next */
  P_HEADER,    /* collecting header (or parameter, record header) bytes */
  P_DATA,      /* skipping `owed` bytes */
  P_RLE,       /* run-length encoded data: `owed` decoded bytes left */
  P_UNTIL_NUL, /* a list up to a NUL, at most `owed` bytes */
  P_REMOTE1,   /* the 8 bytes of ESC ( R: "\0REMOTE1" enters remote mode */
  P_EJL_PREFIX, /* `matched` bytes of "@EJL" */
  P_EJL_LINE,  /* inside an EJL line */
  P_LOST       /* a count no printer accepts: `owed` is the claim; bytes are ignored */
} phase_t;

/* The tracker state: plain data, copied freely. */
typedef struct escp_s
{
  uint64_t owed;    /* P_DATA, P_UNTIL_NUL, P_REMOTE1: bytes left; P_RLE: decoded bytes left */
  uint32_t records; /* ESC &: characters not yet started */
  uint8_t  context; /* context_t */
  uint8_t  phase;   /* phase_t */
  uint8_t  code;    /* the command byte (TIFF mode: the command) */
  uint8_t  stage;   /* ESC &: 0 the command header, 1 a character header */
  uint8_t  got;     /* header bytes collected */
  uint8_t  run;     /* P_RLE: literal bytes left in the current run */
  uint8_t  repeat;  /* P_RLE: 1 when a repeat counter waits for its byte */
  uint8_t  matched; /* P_EJL_PREFIX: bytes of "@EJL" received */
  uint8_t  hdr[8];  /* header bytes collected */
} escp_t;

_Static_assert(sizeof(escp_t) <= FP_TRACKER_STATE_MAX, "ESC/P state too large");

static const char ejl_prefix[] = "@EJL";
static const uint8_t remote1[] = { 0, 'R', 'E', 'M', 'O', 'T', 'E', '1' };
#define REMOTE_EXIT_LEN 4 /* ESC NUL NUL NUL leaves remote mode */

#define EJL_PREFIX_LEN (sizeof(ejl_prefix) - 1)
#define REMOTE_RECORD_HEADER 4

/* The ESC command `code`, or NULL when it takes no parameters. */
static const command_t *lookup(uint8_t code)
{
  return code < 128 && commands[code].kind != K_NONE ? &commands[code] : NULL;
}

/* Little-endian 16-bit value at `p`. */
static uint64_t le16(const uint8_t *p)
{
  return (uint64_t)p[0] | (uint64_t)p[1] << 8;
}

/* The compression of ESC . and ESC i: 0, 1 or 2 also when sent as a digit. */
static uint8_t compression(uint8_t c)
{
  return c >= '0' && c <= '2' ? (uint8_t)(c - '0') : c;
}

/* Bytes a column of ESC * m takes. */
static uint64_t column_bytes(uint8_t m)
{
  return m < 32 ? 1 : m < 64 ? 3 : 6;
}

/* TIFF-mode parameter bytes of command `c`: bbbb when F = 1, none otherwise. */
static unsigned tiff_params(uint8_t c)
{
  bool has_params = c >= 0x20 && c < 0xa0 && (c & 0x10);

  return has_params ? c & 0x0fu : 0;
}

/* Header bytes the current command needs, given those collected so far. */
static unsigned header_need(const escp_t *s)
{
  const command_t *c;

  if (s->context == C_REMOTE)
    return REMOTE_RECORD_HEADER;
  if (s->context == C_TIFF)
    return tiff_params(s->code);
  c = lookup(s->code);
  switch (c->kind)
  {
    case K_FIXED: return c->params;
    case K_PAGE_LENGTH: return s->got && !s->hdr[0] ? 2 : 1;
    case K_CHANNEL: return 1;
    case K_USER_CHARS:
    case K_EXTENDED:
    case K_BIT_IMAGE:
    case K_NINE_PIN: return 3;
    case K_COLUMNS: return 2;
    case K_RASTER: return 6;
    case K_RASTER_I: return 7;
    default: return 0;
  }
}

/* Back to text (or, in remote and TIFF modes, to the next record or command). */
static void end_command(escp_t *s)
{
  s->phase = P_TEXT;
  s->got = 0;
}

/* Start the next user-defined character, or end the command when none is left. */
static void next_record(escp_t *s)
{
  s->got = 0;
  if (!s->records)
  {
    end_command(s);
    return;
  }
  s->records--;
  s->stage = 1;
  s->phase = P_HEADER;
}

/* Skip `count` data bytes next (none: the command or record is complete). */
static void begin_data(escp_t *s, uint64_t count)
{
  if (!count)
  {
    next_record(s);
    return;
  }
  s->owed = count;
  s->phase = P_DATA;
}

/* A count beyond the bounds (see the top of this file): not ESC/P, lost until init. */
static void lose(escp_t *s, uint64_t claimed)
{
  s->owed = claimed;
  s->records = 0;
  s->phase = P_LOST;
}

/* Raster data of `size` decoded bytes with compression `c`. */
static void begin_raster(escp_t *s, uint8_t c, uint64_t size)
{
  if (c != 1 || !size)
  {
    begin_data(s, size);
    return;
  }
  s->owed = size;
  s->run = 0;
  s->repeat = 0;
  s->phase = P_RLE;
}

/* Skip a list up to a NUL, at most `limit` bytes. */
static void begin_until_nul(escp_t *s, uint64_t limit)
{
  s->owed = limit;
  s->phase = P_UNTIL_NUL;
}

/* A remote-mode record header is complete. */
static void remote_header_done(escp_t *s)
{
  if (s->hdr[0] == ESC) /* ESC NUL NUL NUL: remote mode ends */
  {
    s->context = C_ESCP;
    end_command(s);
  }
  else
    begin_data(s, le16(s->hdr + 2));
}

/* A TIFF-mode command and its parameters are complete. */
static void tiff_command_done(escp_t *s)
{
  uint64_t number = 0;
  unsigned n = s->got < sizeof(s->hdr) ? s->got : sizeof(s->hdr);

  if (s->code == TIFF_EXIT)
  {
    s->context = C_ESCP;
    end_command(s);
    return;
  }
  for (unsigned i = n; i > 0; i--)
    number = number << 8 | s->hdr[i - 1];
  if (s->code >= 0x20 && s->code < 0x40 && number > XFER_MAX)
    lose(s, number);
  else if (s->code >= 0x20 && s->code < 0x40) /* XFER: compressed bytes follow */
    begin_data(s, tiff_params(s->code) ? number : s->code & 0x0fu);
  else
    end_command(s);
}

/* The header of an ESC command is complete: work out the data that follows. */
static void header_done(escp_t *s)
{
  const uint8_t *h = s->hdr;

  if (s->context == C_REMOTE)
  {
    remote_header_done(s);
    return;
  }
  if (s->context == C_TIFF)
  {
    tiff_command_done(s);
    return;
  }
  switch (lookup(s->code)->kind)
  {
    case K_CHANNEL: begin_until_nul(s, 17); break;
    case K_USER_CHARS:
      if (s->stage)
        begin_data(s, 3 * (uint64_t)h[1]);
      else
      {
        s->records = h[2] >= h[1] ? (uint32_t)(h[2] - h[1] + 1) : 0;
        next_record(s);
      }
      break;
    case K_EXTENDED:
      if (h[0] == 'R' && le16(h + 1) == sizeof(remote1))
      {
        s->owed = sizeof(remote1);
        s->phase = P_REMOTE1;
      }
      else
        begin_data(s, le16(h + 1));
      break;
    case K_BIT_IMAGE: begin_data(s, le16(h + 1) * column_bytes(h[0])); break;
    case K_NINE_PIN: begin_data(s, le16(h + 1) * 2); break;
    case K_COLUMNS: begin_data(s, le16(h)); break;
    case K_RASTER:
      if (compression(h[0]) == 2)
      {
        s->context = C_TIFF;
        end_command(s);
      }
      else
        begin_raster(s, compression(h[0]), (uint64_t)h[3] * ((le16(h + 4) + 7) / 8));
      break;
    case K_RASTER_I:
      if (le16(h + 5) > BAND_ROWS_MAX || le16(h + 3) * le16(h + 5) > BAND_BYTES_MAX)
        lose(s, le16(h + 3) * le16(h + 5));
      else
        begin_raster(s, compression(h[1]), le16(h + 3) * le16(h + 5));
      break;
    default: end_command(s); break;
  }
}

/* Start collecting a header, or finish at once when there is none. */
static void begin_header(escp_t *s)
{
  s->got = 0;
  s->stage = 0;
  s->records = 0;
  s->phase = P_HEADER;
  if (!header_need(s))
    header_done(s);
}

/* Handle the command byte after ESC. */
static void command_byte(escp_t *s, uint8_t code)
{
  const command_t *c = lookup(code);

  s->code = code;
  if (!c)
    end_command(s);
  else if (c->kind == K_LIST)
    begin_until_nul(s, c->params + 1u);
  else if (c->kind == K_EJL)
  {
    s->context = C_EJL;
    s->matched = 0;
    s->phase = P_EJL_PREFIX;
  }
  else
    begin_header(s);
}

/* A byte at a command (or record) boundary; false when it is to be taken afresh. */
static bool boundary_byte(escp_t *s, uint8_t b)
{
  switch (s->context)
  {
    case C_EJL:
      if (b == '\r' || b == '\n')
        return true;
      if (b == (uint8_t)ejl_prefix[0])
      {
        s->matched = 1;
        s->phase = P_EJL_PREFIX;
        return true;
      }
      s->context = C_ESCP; /* no more EJL lines */
      return false;
    case C_REMOTE:
      s->hdr[0] = b;
      s->got = 1;
      s->stage = 0;
      s->records = 0;
      s->phase = P_HEADER;
      return true;
    case C_TIFF:
      s->code = b;
      begin_header(s);
      return true;
    default:
      s->phase = P_ESCAPE; /* the caller found the ESC */
      return true;
  }
}

/* Follow run-length encoded data, counter by counter; returns the bytes used. */
static size_t rle_bytes(escp_t *s, const uint8_t *p, size_t avail)
{
  const uint8_t *start = p;
  const uint8_t *end = p + avail;

  while (p < end)
  {
    if (s->run)
    {
      size_t n = (size_t)(end - p) < s->run ? (size_t)(end - p) : s->run;

      p += n;
      s->run = (uint8_t)(s->run - n);
    }
    else if (s->repeat)
    {
      p++;
      s->repeat = 0;
    }
    else
    {
      uint64_t count = *p < 128 ? *p + 1u : 257u - *p;

      if (*p++ < 128)
        s->run = (uint8_t)count;
      else
        s->repeat = 1;
      s->owed -= count < s->owed ? count : s->owed;
    }
    if (!s->run && !s->repeat && !s->owed)
    {
      end_command(s);
      break;
    }
  }
  return (size_t)(p - start);
}

/* Follow an EJL "@EJL" prefix or line byte. */
static bool ejl_byte(escp_t *s, uint8_t b)
{
  if (s->phase == P_EJL_LINE)
  {
    if (b == '\n')
      end_command(s);
    return true;
  }
  if (b != (uint8_t)ejl_prefix[s->matched])
  {
    s->context = C_ESCP; /* not EJL: the printer's language goes on */
    end_command(s);
    return false;
  }
  if (++s->matched == EJL_PREFIX_LEN)
    s->phase = P_EJL_LINE;
  return true;
}

/* Observe bytes the printer accepted. */
static void escp_feed(void *state, const uint8_t *p, size_t len)
{
  escp_t        *s = state;
  const uint8_t *end = p + len;

  while (p < end)
  {
    size_t avail = (size_t)(end - p);

    switch (s->phase)
    {
      case P_LOST: return; /* nothing is followed any more */

      case P_TEXT:
        if (s->context == C_ESCP && !(p = memchr(p, ESC, avail)))
          return;
        if (boundary_byte(s, *p))
          p++;
        break;

      case P_ESCAPE: command_byte(s, *p++); break;

      case P_HEADER:
        if (s->got < sizeof(s->hdr))
          s->hdr[s->got] = *p;
        s->got++;
        p++;
        if (s->got >= header_need(s))
          header_done(s);
        break;

      case P_DATA:
      {
        size_t n = avail < s->owed ? avail : (size_t)s->owed;

        p += n;
        if (!(s->owed -= n))
          next_record(s);
        break;
      }

      case P_RLE: p += rle_bytes(s, p, avail); break;

      case P_UNTIL_NUL:
        if (!*p++ || !--s->owed)
          end_command(s);
        break;

      case P_REMOTE1:
        if (*p != remote1[sizeof(remote1) - s->owed])
          begin_data(s, s->owed); /* not remote mode: the rest is plain data */
        else
        {
          p++;
          if (!--s->owed)
          {
            s->context = C_REMOTE;
            end_command(s);
          }
        }
        break;

      case P_EJL_PREFIX:
      case P_EJL_LINE:
        if (ejl_byte(s, *p))
          p++;
        break;
    }
  }
}

/* Start in the idle state. */
static void escp_init(void *state)
{
  memset(state, 0, sizeof(escp_t));
}

/* true when the printer is outside any command and mode. */
static bool idle(const escp_t *s)
{
  return s->phase == P_TEXT && (s->context == C_ESCP || s->context == C_EJL);
}

/*
 * When everything the current command still expects can be sent as 0x00
 * bytes, store their count in `*count` and return true.
 */
static bool zero_fill(const escp_t *s, uint64_t *count)
{
  uint64_t per_record = s->context == C_ESCP && s->code == '&' ? 3 : 0;

  switch (s->phase)
  {
    case P_DATA: *count = s->owed + s->records * per_record; return true;
    case P_RLE: *count = s->run + s->repeat + 2 * s->owed; return true;
    case P_UNTIL_NUL: *count = 1; return true;
    case P_REMOTE1: *count = s->owed; return true;
    case P_HEADER:
      if (s->stage && !s->got)
      {
        *count = per_record + s->records * per_record;
        return true;
      }
      return false;
    default: return false;
  }
}

/* The harmless next byte of a half-sent command (see the top of this file). */
static uint8_t safe_byte(const escp_t *s)
{
  switch (s->phase)
  {
    case P_ESCAPE: return '@';
    case P_EJL_PREFIX: return (uint8_t)ejl_prefix[s->matched];
    case P_EJL_LINE: return '\n';
    case P_TEXT: return s->context == C_TIFF ? TIFF_EXIT : ESC; /* leave TIFF or remote mode */
    default: return 0;
  }
}

/* Bytes that leave the current mode after its command: EXIT, ESC NUL NUL NUL or none. */
static size_t exit_length(const escp_t *s)
{
  return s->context == C_TIFF ? 1 : s->context == C_REMOTE ? REMOTE_EXIT_LEN : 0;
}

/* true when mid-command; `out` gets the shortest harmless completion. */
static bool escp_completion(const void *state, fp_completion_t *out)
{
  escp_t   s;
  uint8_t *buf = out->prefix;
  size_t  *len = &out->prefix_len, max = FP_COMPLETION_PREFIX_MAX;

  memcpy(&s, state, sizeof(s));
  if (s.phase == P_LOST)
  {
    out->implausible = true;
    out->fill_count = s.owed;
    return true;
  }
  if (idle(&s))
    return false;

  /* Bytes go into the prefix, fed through a copy of the parser so that the
     completion always agrees with it.  Owed data becomes the fill; when a
     mode must be left after it, the exit goes into the prefix with the data
     if both fit, else into the suffix after the fill. */
  while (!idle(&s) && s.phase != P_LOST && *len < max)
  {
    uint64_t zeros;

    if (zero_fill(&s, &zeros))
    {
      if (!exit_length(&s))
      {
        out->fill_count = zeros;
        break;
      }
      if (*len + zeros + exit_length(&s) > max)
      {
        if (buf == out->suffix)
          break; /* a second long record: the reset has to do */
        out->fill_count = zeros;
        fp_language_feed_repeated(escp_feed, &s, 0x00, zeros);
        buf = out->suffix;
        len = &out->suffix_len;
        max = FP_COMPLETION_SUFFIX_MAX;
        continue;
      }
      memset(buf + *len, 0, (size_t)zeros);
      escp_feed(&s, buf + *len, (size_t)zeros);
      *len += (size_t)zeros;
    }
    else
    {
      uint8_t b = safe_byte(&s);

      buf[(*len)++] = b;
      escp_feed(&s, &b, 1);
    }
  }
  if (s.phase == P_LOST)
  {
    /* the header sent so far already claims more than the bounds (a TIFF
       XFER count cut before its last byte): the command is implausible */
    memset(out, 0, sizeof(*out));
    out->implausible = true;
    out->fill_count = s.owed;
    return true;
  }
  out->fill_byte = 0x00;
  return true;
}

const fp_language_t fp_language_escp = {
  .name = "escp",
  .reset_preset = "escp",
  .state_size = sizeof(escp_t),
  .init = escp_init,
  .feed = escp_feed,
  .completion = escp_completion,
  .surplus_fill_harmless = true, /* NUL is ignored outside commands */
};

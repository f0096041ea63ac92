/*
 * The ESC/POS tracker: a byte-at-a-time model of a receipt printer's command
 * parser, in a few dozen bytes of state, that knows how many parameter and
 * data bytes the current command still consumes.  It never buffers the job:
 * text is scanned for the four command prefixes (ESC, GS, FS, DLE), header
 * bytes are kept (8 at most) until the command's data length is known, and
 * data is skipped in one step.  Unknown ESC/GS/FS commands take no
 * parameters; DLE followed by anything but EOT/ENQ/DC4 is not a command.
 *
 * Completing a half-sent command (escpos_completion):
 * - missing header bytes get values that make the command do nothing
 *   visible, mostly 0x00: zero-sized images (ESC *, GS v 0, GS *, FS q),
 *   zero-length forms (ESC/GS/FS ( with pL = pH = 0, GS 8 L with p = 0),
 *   modes off, a zero drawer pulse (ESC p), DLE DC4 with fn 0 (ignored);
 *   ESC = gets 1 (printer enabled), ESC & gets y = 3, c1 = 32, c2 = c1
 *   (one character, then x = 0), ESC c gets "5 0" (panel buttons enabled,
 *   the default), GS g gets "2" (read a counter, not reset it), GS z "0";
 *   GS k gets m = 0 and ends its data with NUL;
 * - a lone prefix becomes a harmless whole command: ESC @ (initialize),
 *   GS B 0 (reverse off), FS . (Kanji mode off); a lone DLE is not a
 *   command yet and needs nothing;
 * - owed data is sent as 0x00: white pixels for images, NUL for
 *   NUL-terminated data (tab lists, barcodes of function A), and for ESC &
 *   and FS q also the zero widths/sizes of the characters/images still to
 *   come.
 * - a macro definition (GS : up to the next GS :), in which the printer
 *   stores every command besides running it, is ended with GS : after the
 *   rest of the completion (ESC @ does not end it: the reset and the next
 *   job would be stored in the macro, and the next job's own GS : would end
 *   the definition instead of starting one); GS ^ inside it aborts and
 *   clears the definition.
 * No harmless value exists, and the completion has a visible effect, for:
 * GS V (any m cuts: m = 49, a partial cut, is used), GS / (prints the
 * downloaded image, if one is defined), ESC d, ESC e and ESC J (print the
 * line buffer, with no feed), GS ^ (r = 0: a zero repeat count, which
 * printers may treat as one run of a defined macro), barcode data already
 * sent (GS k: the partial barcode is ended and may print), FS q / GS ( L /
 * GS 8 L definitions (NV memory is rewritten with the blank rest of the
 * image), and raster rows already announced (white rows feed paper), and a macro
 * definition (the macro is defined with what was sent before the cut and
 * the completion).
 *
 * Bounds.  A count beyond what a real ESC/POS printer accepts means the
 * bytes are not ESC/POS (a PDF, a mis-routed file): the tracker is then
 * lost until it is started again, and its completion is implausible (the
 * claimed count, for the log, and nothing to send).  The bounds are
 * generous, since one too tight would leave a real job's raster unfinished:
 * - images are at most 8192 dots wide (1024 bytes a row): the widest
 *   ESC/POS heads are 80 and 112 mm receipts (576 and 832 dots at 203 dpi)
 *   and A4 thermal printers at 300 dpi (2480 dots); Epson's own ranges are
 *   narrower (ESC * takes at most 2047 columns; GS ( L / GS 8 L raster at
 *   most 2047 dots).  This bounds GS v 0 (x), ESC * (nL + 256 nH columns)
 *   and FS q (x in bytes of 8 dots);
 * - GS v 0 keeps its whole 16-bit height (65535 rows): Epson gives
 *   yH <= 8 (2303 rows), but clones take 16-bit heights and phone apps send
 *   a whole receipt as one image; a paper roll is tens of metres long.  So
 *   one GS v 0 may owe up to 1024 x 65535 bytes (64 MiB), the largest
 *   plausible ESC/POS completion;
 * - FS q images are at most 1024 x 8 dots tall (Epson: 288 x 8);
 * - GS 8 L data is at most 16 MiB: its graphics functions take images of
 *   at most 8192 x 2304 dots in 4 tone planes (9.4 MB); the reference's
 *   range is the whole 32 bits, which no NV memory or print buffer holds;
 * - the 16-bit counts (ESC/GS/FS ( pL pH: 64 KiB), GS * (255 x 255 x 8
 *   bytes), ESC & (255 x y bytes a character) and GS k (255 bytes) are
 *   bounded by their own width and are taken as they are.
 * ESC/POS has no way back to command level from inside data: a printer in
 * GS v 0 data consumes exactly the announced bytes, whatever they are.
 */

#include "language.h"

#include <string.h>

#define ESC 0x1b
#define GS 0x1d
#define FS 0x1c
#define DLE 0x10

/* Bit mask of the prefix bytes below 32: DLE, ESC, FS, GS. */
#define PREFIX_MASK ((1u << DLE) | (1u << ESC) | (1u << FS) | (1u << GS))

#define DOTS_MAX 8192                 /* dots in a row of any image */
#define ROW_BYTES_MAX (DOTS_MAX / 8)  /* bytes in a raster row (GS v 0, FS q) */
#define NV_HEIGHT_MAX 1024            /* FS q height, in bytes of 8 dots */
#define LONG_FORM_MAX (UINT64_C(16) << 20) /* GS 8 L data bytes */

/* How a command's parameters are read. */
typedef enum kind_e
{
  K_NONE = 0,   /* no parameters (also every unknown command) */
  K_FIXED,      /* `params` bytes */
  K_BIT_IMAGE,  /* ESC * m nL nH, then (nL+256nH) x 1 or 3 bytes */
  K_USER_CHARS, /* ESC & y c1 c2, then per character: x, y*x bytes */
  K_TABS,       /* ESC D n1..nk NUL, at most 32 values */
  K_FORM,       /* ESC/GS/FS ( fn pL pH, then pL+256pH bytes */
  K_RASTER,     /* GS v 0 m xL xH yL yH, then x*y bytes */
  K_DOWNLOAD,   /* GS * x y, then x*y*8 bytes */
  K_LONG_FORM,  /* GS 8 L p1 p2 p3 p4, then p bytes */
  K_CUT,        /* GS V m, and n when m feeds first */
  K_BARCODE,    /* GS k m: NUL-terminated data (m 0..6) or n + n bytes (m 65..79) */
  K_NV_IMAGES,  /* FS q n, then per image: xL xH yL yH, x*y*8 bytes */
  K_STATUS,     /* DLE EOT n, and a when n is 7 or 8 */
  K_REALTIME    /* DLE DC4 fn, then a count of bytes that depends on fn */
} kind_t;

/* One command: how to skip it, and the harmless values of its header. */
typedef struct command_s
{
  uint8_t     kind;
  uint8_t     params; /* K_FIXED: parameter count */
  const char *safe;   /* harmless header bytes by position; 0x00 beyond (NULL: all 0x00) */
} command_t;

#define FIXED(n) { K_FIXED, n, NULL }
#define FIXED_SAFE(n, s) { K_FIXED, n, s }
#define SPECIAL(k, s) { k, 0, s }

/* ESC commands that take parameters. */
static const command_t esc_commands[128] = {
  [' '] = FIXED(1),                         /* right-side character spacing */
  ['!'] = FIXED(1),                         /* print mode */
  ['$'] = FIXED(2),                         /* absolute print position */
  ['%'] = FIXED(1),                         /* user-defined character set on/off */
  ['&'] = SPECIAL(K_USER_CHARS, "\x03\x20"), /* define user-defined characters */
  ['('] = SPECIAL(K_FORM, "A"),             /* ESC ( A, ESC ( Y, ... */
  ['*'] = SPECIAL(K_BIT_IMAGE, NULL),       /* bit image */
  ['-'] = FIXED(1),                         /* underline */
  ['3'] = FIXED(1),                         /* line spacing */
  ['='] = FIXED_SAFE(1, "\x01"),            /* peripheral device: 1 keeps the printer enabled */
  ['?'] = FIXED(1),                         /* cancel user-defined character */
  ['B'] = FIXED(2),                         /* beeper n times t (clones) */
  ['D'] = SPECIAL(K_TABS, NULL),            /* horizontal tab positions */
  ['E'] = FIXED(1),                         /* emphasized */
  ['G'] = FIXED(1),                         /* double-strike */
  ['J'] = FIXED(1),                         /* print and feed n dots */
  ['M'] = FIXED(1),                         /* character font */
  ['R'] = FIXED(1),                         /* international character set */
  ['T'] = FIXED(1),                         /* print direction in page mode */
  ['U'] = FIXED(1),                         /* unidirectional printing */
  ['V'] = FIXED(1),                         /* 90-degree rotation */
  ['W'] = FIXED(8),                         /* page mode printing area */
  ['\\'] = FIXED(2),                        /* relative print position */
  ['a'] = FIXED(1),                         /* justification */
  ['c'] = FIXED_SAFE(2, "5"),               /* ESC c 0/1/3/4/5 n: paper and panel settings */
  ['d'] = FIXED(1),                         /* print and feed n lines */
  ['e'] = FIXED(1),                         /* print and reverse feed n lines */
  ['f'] = FIXED(2),                         /* slip paper waiting time */
  ['p'] = FIXED(3),                         /* drawer kick pulse */
  ['r'] = FIXED(1),                         /* print color */
  ['t'] = FIXED(1),                         /* character code table */
  ['u'] = FIXED(1),                         /* transmit peripheral status */
  ['{'] = FIXED(1),                         /* upside-down printing */
};

/* GS commands that take parameters. */
static const command_t gs_commands[128] = {
  ['!'] = FIXED(1),                    /* character size */
  ['$'] = FIXED(2),                    /* absolute vertical position in page mode */
  ['('] = SPECIAL(K_FORM, "L"),        /* GS ( L, GS ( k, ... */
  ['*'] = SPECIAL(K_DOWNLOAD, NULL),   /* define downloaded bit image */
  ['/'] = FIXED(1),                    /* print downloaded bit image */
  ['8'] = SPECIAL(K_LONG_FORM, "L"),   /* GS 8 L: graphics with a 32-bit length */
  ['B'] = FIXED(1),                    /* white/black reverse */
  ['E'] = FIXED(1),                    /* print head energy */
  ['H'] = FIXED(1),                    /* HRI position */
  ['I'] = FIXED(1),                    /* transmit printer ID */
  ['L'] = FIXED(2),                    /* left margin */
  ['P'] = FIXED(2),                    /* motion units */
  ['T'] = FIXED(1),                    /* print position to the line start */
  ['V'] = SPECIAL(K_CUT, "1"),         /* cut: m = 49 is a partial cut */
  ['W'] = FIXED(2),                    /* print area width */
  ['\\'] = FIXED(2),                   /* relative vertical position in page mode */
  ['^'] = FIXED(3),                    /* execute macro */
  ['a'] = FIXED(1),                    /* automatic status back */
  ['b'] = FIXED(1),                    /* smoothing */
  ['f'] = FIXED(1),                    /* HRI font */
  ['g'] = FIXED_SAFE(4, "2"),          /* GS g 0/2 m nL nH: maintenance counter */
  ['h'] = FIXED(1),                    /* barcode height */
  ['j'] = FIXED(1),                    /* automatic status back for ink */
  ['k'] = SPECIAL(K_BARCODE, NULL),    /* print barcode */
  ['r'] = FIXED(1),                    /* transmit status */
  ['v'] = SPECIAL(K_RASTER, "0"),      /* GS v 0: raster bit image */
  ['w'] = FIXED(1),                    /* barcode width */
  ['z'] = FIXED_SAFE(3, "0"),          /* GS z 0 t1 t2: online recovery wait */
};

/* FS commands that take parameters. */
static const command_t fs_commands[128] = {
  ['!'] = FIXED(1),                  /* Kanji print mode */
  ['('] = SPECIAL(K_FORM, "A"),      /* FS ( A, FS ( L, ... */
  ['-'] = FIXED(1),                  /* Kanji underline */
  ['?'] = FIXED(2),                  /* cancel user-defined Kanji */
  ['C'] = FIXED(1),                  /* Kanji code system */
  ['S'] = FIXED(2),                  /* Kanji spacing */
  ['W'] = FIXED(1),                  /* Kanji quadruple size */
  ['p'] = FIXED(2),                  /* print NV bit image n (n = 0 is ignored) */
  ['q'] = SPECIAL(K_NV_IMAGES, NULL), /* define NV bit images */
};

/* DLE real-time commands; any other byte after DLE is not a command. */
static const command_t dle_commands[128] = {
  [0x04] = SPECIAL(K_STATUS, NULL), /* DLE EOT: real-time status */
  [0x05] = FIXED(1),                /* DLE ENQ: real-time request */
  [0x14] = SPECIAL(K_REALTIME, NULL), /* DLE DC4: pulse, power-off, buzzer, buffer clear */
};

/* Where the parser is. */
typedef enum phase_e
{
  P_TEXT = 0, /* outside any command */
  P_COMMAND,  /* a prefix byte arrived; the command byte is next */
  P_HEADER,   /* collecting header bytes */
  P_DATA,     /* skipping `owed` data bytes */
  P_UNTIL_NUL, /* skipping data up to a NUL, at most `owed` bytes */
  P_LOST       /* a count no printer accepts: `owed` is the claim; bytes are ignored */
} phase_t;

/* The tracker state: plain data, copied freely. */
typedef struct escpos_s
{
  uint64_t owed;    /* P_DATA: bytes left; P_UNTIL_NUL: bytes allowed before the end */
  uint32_t records; /* ESC & characters / FS q images not yet started */
  uint8_t  phase;   /* phase_t */
  uint8_t  prefix;  /* ESC, GS, FS or DLE */
  uint8_t  code;    /* the command byte */
  uint8_t  stage;   /* 0: the command header; 1: a record (character, image) header */
  uint8_t  got;     /* header bytes collected */
  uint8_t  unit;    /* ESC &: y, bytes per column */
  uint8_t  macro;   /* inside a macro definition (GS :) */
  uint8_t  hdr[8];  /* header bytes collected */
} escpos_t;

_Static_assert(sizeof(escpos_t) <= FP_TRACKER_STATE_MAX, "ESC/POS state too large");

/* The command `prefix` `code`, or NULL when it takes no parameters. */
static const command_t *lookup(uint8_t prefix, uint8_t code)
{
  const command_t *table;

  if (code >= 128)
    return NULL;
  switch (prefix)
  {
    case ESC: table = esc_commands; break;
    case GS: table = gs_commands; break;
    case FS: table = fs_commands; break;
    default: table = dle_commands; break;
  }
  return table[code].kind == K_NONE ? NULL : &table[code];
}

/* Little-endian 16-bit value at `p`. */
static uint64_t le16(const uint8_t *p)
{
  return (uint64_t)p[0] | (uint64_t)p[1] << 8;
}

/* Bytes that follow DLE DC4 fn. */
static unsigned realtime_length(uint8_t fn)
{
  switch (fn)
  {
    case 1: return 2; /* pulse: m t */
    case 2: return 2; /* power-off: a b */
    case 3: return 5; /* buzzer: a n r t1 t2 */
    case 7: return 1; /* transmit status: m */
    case 8: return 7; /* clear buffers: d1..d7 */
    default: return 0;
  }
}

/* Header bytes the current command needs, given those collected so far. */
static unsigned header_need(const escpos_t *s, const command_t *c)
{
  uint8_t first = s->hdr[0];
  bool    have_first = s->got > 0;

  switch (c->kind)
  {
    case K_FIXED: return c->params;
    case K_BIT_IMAGE: /* an m outside 0, 1, 32, 33 ends the command: nL is normal data */
      return have_first && first != 0 && first != 1 && first != 32 && first != 33 ? 1 : 3;
    case K_USER_CHARS: return s->stage ? 1 : 3;
    case K_NV_IMAGES: return s->stage ? 4 : 1;
    case K_FORM: return 3;
    case K_DOWNLOAD: return 2;
    case K_RASTER: return have_first && first != '0' ? 1 : 6;
    case K_LONG_FORM: return have_first && first != 'L' ? 1 : 5;
    case K_CUT: return have_first && (first == 65 || first == 66 || first == 97 || first == 98
                                      || first == 103 || first == 104) ? 2 : 1;
    case K_BARCODE: return have_first && first >= 65 && first <= 79 ? 2 : 1;
    case K_STATUS: return have_first && (first == 7 || first == 8) ? 2 : 1;
    case K_REALTIME: return have_first ? 1 + realtime_length(first) : 1;
    default: return 0;
  }
}

/* Zero bytes that complete one record still to come (its header, sized 0). */
static uint64_t record_zeros(const command_t *c)
{
  if (!c)
    return 0;
  return c->kind == K_USER_CHARS ? 1 : c->kind == K_NV_IMAGES ? 4 : 0;
}

/* Start the next record of the command, or return to text when none is left. */
static void next_record(escpos_t *s)
{
  s->got = 0;
  if (!s->records)
  {
    s->phase = P_TEXT;
    return;
  }
  s->records--;
  s->stage = 1;
  s->phase = P_HEADER;
}

/* Skip `count` data bytes next (none: the command or record is complete). */
static void begin_data(escpos_t *s, uint64_t count)
{
  if (!count)
  {
    next_record(s);
    return;
  }
  s->owed = count;
  s->phase = P_DATA;
}

/* A count beyond the bounds (see the top of this file): not ESC/POS, lost until init. */
static void lose(escpos_t *s, uint64_t claimed)
{
  s->owed = claimed;
  s->records = 0;
  s->phase = P_LOST;
}

/* Skip data up to a NUL, at most `limit` bytes. */
static void begin_until_nul(escpos_t *s, uint64_t limit)
{
  s->owed = limit;
  s->phase = P_UNTIL_NUL;
}

/* The header is complete: work out the data that follows. */
static void header_done(escpos_t *s, const command_t *c)
{
  const uint8_t *h = s->hdr;

  if (s->prefix == GS && s->code == '^')
    s->macro = 0; /* GS ^ inside a definition aborts and clears it */
  switch (c->kind)
  {
    case K_BIT_IMAGE:
      if (s->got < 3)
        begin_data(s, 0);
      else if (le16(h + 1) > DOTS_MAX)
        lose(s, le16(h + 1) * (h[0] >= 32 ? 3 : 1));
      else
        begin_data(s, le16(h + 1) * (h[0] >= 32 ? 3 : 1));
      break;
    case K_USER_CHARS:
      if (s->stage)
        begin_data(s, (uint64_t)s->unit * h[0]);
      else
      {
        s->unit = h[0];
        s->records = h[2] >= h[1] ? (uint32_t)(h[2] - h[1] + 1) : 0;
        next_record(s);
      }
      break;
    case K_NV_IMAGES:
      if (!s->stage)
      {
        s->records = h[0];
        next_record(s);
      }
      else if (le16(h) > ROW_BYTES_MAX || le16(h + 2) > NV_HEIGHT_MAX)
        lose(s, le16(h) * le16(h + 2) * 8);
      else
        begin_data(s, le16(h) * le16(h + 2) * 8);
      break;
    case K_FORM: begin_data(s, le16(h + 1)); break;
    case K_DOWNLOAD: begin_data(s, (uint64_t)h[0] * h[1] * 8); break;
    case K_RASTER:
      if (s->got == 6 && le16(h + 2) > ROW_BYTES_MAX)
        lose(s, le16(h + 2) * le16(h + 4));
      else
        begin_data(s, s->got == 6 ? le16(h + 2) * le16(h + 4) : 0);
      break;
    case K_LONG_FORM:
    {
      uint64_t length = s->got == 5 ? le16(h + 1) | le16(h + 3) << 16 : 0;

      if (length > LONG_FORM_MAX)
        lose(s, length);
      else
        begin_data(s, length);
      break;
    }
    case K_BARCODE:
      if (h[0] <= 6)
      {
        s->got = 0;
        begin_until_nul(s, UINT64_MAX);
      }
      else
        begin_data(s, s->got == 2 ? h[1] : 0);
      break;
    default: begin_data(s, 0); break;
  }
}

/* Handle the byte after a prefix; false when it is not part of a command (DLE only). */
static bool command_byte(escpos_t *s, uint8_t code)
{
  const command_t *c = lookup(s->prefix, code);

  if (s->prefix == GS && code == ':')
    s->macro = !s->macro; /* starts or ends a macro definition */
  if (!c)
  {
    s->phase = P_TEXT;
    return s->prefix != DLE;
  }
  s->code = code;
  s->got = 0;
  s->stage = 0;
  s->records = 0;
  if (c->kind == K_TABS)
    begin_until_nul(s, 32);
  else
    s->phase = P_HEADER;
  return true;
}

/* Skip text up to the next prefix byte. */
static const uint8_t *skip_text(const uint8_t *p, const uint8_t *end)
{
  while (p < end && !(*p < 32 && (PREFIX_MASK >> *p & 1)))
    p++;
  return p;
}

/* Observe bytes the printer accepted. */
static void escpos_feed(void *state, const uint8_t *p, size_t len)
{
  escpos_t      *s = state;
  const uint8_t *end = p + len;

  while (p < end)
  {
    switch (s->phase)
    {
      case P_LOST: return; /* nothing is followed any more */

      case P_TEXT:
        if ((p = skip_text(p, end)) < end)
        {
          s->prefix = *p++;
          s->phase = P_COMMAND;
        }
        break;

      case P_COMMAND:
        if (command_byte(s, *p))
          p++;
        break;

      case P_HEADER:
      {
        const command_t *c = lookup(s->prefix, s->code);

        s->hdr[s->got++] = *p++;
        if (s->got >= header_need(s, c))
          header_done(s, c);
        break;
      }

      case P_DATA:
      {
        size_t n = (size_t)(end - p) < s->owed ? (size_t)(end - p) : (size_t)s->owed;

        p += n;
        if (!(s->owed -= n))
          next_record(s);
        break;
      }

      case P_UNTIL_NUL:
      {
        size_t         n = (size_t)(end - p) < s->owed ? (size_t)(end - p) : (size_t)s->owed;
        const uint8_t *nul = memchr(p, 0, n);

        if (nul)
        {
          p = nul + 1;
          s->owed = 0; /* the same state whether the data came in one feed or many */
          s->phase = P_TEXT;
        }
        else
        {
          p += n;
          if (!(s->owed -= n))
            s->phase = P_TEXT;
        }
        break;
      }
    }
  }
}

/* Start in the idle state. */
static void escpos_init(void *state)
{
  memset(state, 0, sizeof(escpos_t));
}

/*
 * When everything the printer still expects can be sent as 0x00 bytes,
 * store their count in `*count` and return true.
 */
static bool zero_fill(const escpos_t *s, uint64_t *count)
{
  const command_t *c = s->phase == P_TEXT || s->phase == P_COMMAND ? NULL
                                                                    : lookup(s->prefix, s->code);
  uint64_t         per_record = record_zeros(c);

  switch (s->phase)
  {
    case P_TEXT: *count = 0; return true;
    case P_DATA: *count = s->owed + s->records * per_record; return true;
    case P_UNTIL_NUL: *count = 1; return true;
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

/* The harmless next header byte (see the top of this file). */
static uint8_t safe_byte(const escpos_t *s)
{
  static const uint8_t lone_prefix[][2] = { { ESC, '@' }, { GS, 'B' }, { FS, '.' } };
  const command_t     *c;

  if (s->phase == P_COMMAND)
  {
    for (size_t i = 0; i < sizeof(lone_prefix) / sizeof(lone_prefix[0]); i++)
      if (lone_prefix[i][0] == s->prefix)
        return lone_prefix[i][1];
    return 0;
  }
  c = lookup(s->prefix, s->code);
  if (s->stage)
    return 0;
  if (c->kind == K_USER_CHARS && s->got == 2)
    return s->hdr[1]; /* c2 = c1: a single character */
  if (c->safe && s->got < strlen(c->safe))
    return (uint8_t)c->safe[s->got];
  return 0;
}

/* true when mid-command; `out` gets the shortest harmless completion. */
static bool escpos_completion(const void *state, fp_completion_t *out)
{
  escpos_t s;

  memcpy(&s, state, sizeof(s));
  if (s.phase == P_TEXT || (s.phase == P_COMMAND && s.prefix == DLE))
  {
    if (!s.macro)
      return false;
    s.phase = P_TEXT; /* a lone DLE is not a command yet: GS : ends the definition */
  }
  if (s.phase == P_LOST)
  {
    out->implausible = true;
    out->fill_count = s.owed;
    return true;
  }

  /* Header bytes go into the prefix, fed through a copy of the parser so
     that the prefix and the fill that follows always agree with it; no
     header is longer than 8 bytes, so the prefix cannot overflow. */
  while (s.phase != P_LOST && !zero_fill(&s, &out->fill_count)
         && out->prefix_len < FP_COMPLETION_PREFIX_MAX)
  {
    uint8_t b = safe_byte(&s);

    out->prefix[out->prefix_len++] = b;
    escpos_feed(&s, &b, 1);
  }
  if (s.phase == P_LOST)
  {
    /* the header sent so far already claims more than the bounds (GS v 0
       cut after its width): whatever follows, the command is implausible */
    memset(out, 0, sizeof(*out));
    out->implausible = true;
    out->fill_count = s.owed;
    return true;
  }
  out->fill_byte = 0x00;
  if (s.macro)
  {
    /* after the fill the printer is between commands, still defining the macro */
    out->suffix[0] = GS;
    out->suffix[1] = ':';
    out->suffix_len = 2;
  }
  return true;
}

const fp_language_t fp_language_escpos = {
  .name = "escpos",
  .reset_preset = "escpos",
  .state_size = sizeof(escpos_t),
  .init = escpos_init,
  .feed = escpos_feed,
  .completion = escpos_completion,
  .surplus_fill_harmless = true, /* NUL is ignored outside commands */
};

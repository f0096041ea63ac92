/*
 * The ZPL II tracker (Zebra label printers).  ZPL commands are a prefix,
 * caret (^, format commands) or tilde (~, control commands), and two name
 * characters; their parameters and field data run to the next prefix, so
 * most of the language cannot swallow a following command.  What can, and
 * what the tracker follows in O(1) state:
 * - a format: ^XA (or STX) up to ^XZ (or ETX); ~JX cancels it;
 * - graphics downloads: ~DG d:o.x,t,w, then ASCII hex for t bytes in rows
 *   of w; ^GF a,b,c,d, then ASCII hex for c bytes in rows of d (a = A; the
 *   ZPL II guide says b "should match parameter c" then), or b binary bytes
 *   (a = B, C; b is clamped to 1..99999 as the guide says; ^GF with b, c or
 *   d unspecified is ignored); ~DY d:f,b,x,t,w, then ASCII hex (b = A, a
 *   .GRF graphic) or t binary bytes (b = B, C);
 * - ASCII hex data is decoded as the printer counts it, in nibbles, with
 *   Zebra's compression: G..Y repeat the next digit 1..19 times, g..z add
 *   20..400, ',' fills the rest of the row with 0, '!' with 1, ':' repeats
 *   the previous row (the tracker treats ',', '!' and ':' alike: each ends
 *   the current row, or is one whole row at a row start), CR and LF are
 *   ignored, a prefix aborts the download, and ':' as the first data
 *   character opens a ZB64 envelope (:B64: or :Z64:, data, ':', 4-digit CRC);
 * - binary data is skipped in one step; control prefixes inside it are data;
 * - ^CC/~CC, ^CT/~CT and ^CD/~CD change the caret, the tilde and the
 *   delimiter: the tracker follows them, and its completions are written
 *   with the characters in force (a change that would make two of them
 *   equal is ignored, and so is a change to a letter: command names are
 *   letters, so that no command, the completion's included, could be
 *   written reliably after it; such a job is not followed).  The reset preset "zpl" (~DN^XZ) is written with the
 *   default characters, so a job that changed them counts as unfinished:
 *   its completion ends with ~CD, ~CC and ~CT commands (with the tilde in
 *   force) that put the defaults back.
 * Other hex downloads (~DB, ~DE, ~DS, ~DT, ~DU, ~DY of fonts and PNG) are
 * followed as parameters: their data ends at the next prefix, and aborting
 * them is better than storing a font padded with zeros.  A prefix character
 * right after a prefix restarts the command; CR and LF between a prefix and
 * the name are skipped.
 *
 * Completing a half-sent command (zpl_completion):
 * - inside a format (one being stored with ^DF included), ~JX (cancel the
 *   partially received format, which stores nothing) so that
 *   nothing of it prints; its tilde also ends parameters, field data and
 *   ASCII hex data (the ZPL II guide: "~DN or any caret or tilde character
 *   prematurely aborts the download");
 * - a lone prefix becomes ~JX or ^FX (a comment that ends at the next
 *   prefix), a prefix and one name character get a second one that names
 *   no command with an effect: ~D gets N (~DN, abort download), any other
 *   gets X (~JX, ^FX, or an unknown command);
 * - ^CC, ~CT, ^CD... without their character get the current one (no change);
 * - ~DG and ~DY graphics outside a format are finished with blank rows: '0'
 *   when half a byte or a repeat count is pending (the guide: an odd number
 *   of trailing zeros needs "one zero and a single comma"), then one ',' per
 *   row left (the first ends the current row); with a row width of 0 the
 *   data is finished with '0' digits;
 * - ZB64 envelopes outside a format are closed: the id is completed as B64
 *   (or Z64), then ':' and '0' CRC digits; the CRC then almost surely does
 *   not match, which the guide says is treated as an aborted download;
 * - binary data owed is sent as 0x00: white dots for ^GF B and ~DY B .GRF;
 *   a binary header cut after the last count's digits (^GF B/C in d, ~DY
 *   B/C in t or w) is closed with delimiters and the data follows as 0x00;
 *   before that, the next tilde ends the command with a count unspecified
 *   (for ^GF the guide says the command is then ignored), so nothing is
 *   owed.
 * - whatever follows the owed data goes in the completion's suffix: ~JX
 *   cancels a format the data was in, and ~CD, ~CC, ~CT put back a changed
 *   delimiter, caret and tilde (also straight away, in the prefix, when the
 *   parser is between commands), so that the reset is read as written.
 * No harmless value exists, and the completion has a visible effect, for:
 * compressed binary (^GF C, ~DY C: zero bytes in
 * Zebra's undocumented compression may decode to anything), and binary
 * ~DY fonts or PNG (the stored object is corrupt).  A finished ~DG stores a
 * graphic whose missing rows are white; it prints only when recalled.
 *
 * Bounds.  A size beyond what a real printer takes means the bytes are not
 * ZPL (a PDF, a mis-routed file): the tracker is then lost until it is
 * started again, and its completion is implausible (the claimed size, for
 * the log, and nothing to send).  The guide gives ^GF b, c and d the range
 * 1..99999, but converters send ^GFA with c well beyond it (a 4x6-inch
 * label at 300 dpi is 270000 bytes) and printers take it, and it gives ~DG
 * t and ~DY t no range at all; so the bound is physical and generous: the
 * largest image a ZPL printer prints is a label of at most 32000 dots
 * (^LL's range) by the widest head (8.5 inches at 300 dpi: 319 bytes; OKI's
 * ZPL emulation takes rows of 1249 bytes), 40 MB; fonts loaded with ~DY
 * (TrueType, CJK included) stay below 32 MB.  So ~DG t, ~DY t and ^GF c
 * (ASCII hex) may be at most 64 MiB; ^GF b (binary) is clamped to 99999
 * by the printer (above).  A hex graphic outside a format is finished with
 * blank rows, one byte a row at most, or with '0' digits when its row
 * width is 0 (two a byte), so the largest plausible ZPL completion is
 * 128 MiB plus its prefix and suffix.  ~DB, ~DE, ~DS, ~DT and ~DU carry
 * no count the tracker follows (their data ends at the next prefix).
 *
 * The resynchronisation is ~JX (cancel the format being received): a tilde
 * ends parameters, field data and ASCII hex data wherever they are, and ~JX
 * then drops the half-received format (the reset's ^XZ would print it); on
 * an idle printer there is nothing to cancel.  It does not help inside
 * binary data (^GF B/C, ~DY B/C), which takes exactly its count, nor after
 * a job changed the tilde (^CT).
 */

#include "language.h"

#include <string.h>

#define RESTORE_MAX 16 /* bytes of the ~CD ~CC ~CT commands that put the defaults back */

#define STX 0x02 /* may stand for ^XA */
#define ETX 0x03 /* may stand for ^XZ */

#define GF_COUNT_MAX 99999 /* ^GF b is clamped to 1..99999 */
#define NUMBER_MAX 1000000000000000ull /* numbers stop growing here */
#define CRC_DIGITS 4
#define ROW_MAX 0x7fffffffu    /* bytes per row (and ^GF c) beyond this are taken as this */
#define REPEAT_MAX 1000000u    /* a repeat count beyond this is taken as this */
#define GRAPHIC_MAX (UINT64_C(64) << 20) /* ~DG t, ~DY t, ^GF c: bytes */

/* Where the parser is. */
typedef enum phase_e
{
  P_TEXT = 0, /* outside commands or in parameters: only a prefix matters */
  P_NAME,     /* after a prefix: the two name characters */
  P_SETCHAR,  /* ^CC, ^CT, ^CD: the next byte is the new character */
  P_HEADER,   /* the fields of ~DG, ~DY, ^GF before their data */
  P_HEX,      /* ASCII hex data */
  P_ZB64,     /* a :B64: or :Z64: envelope */
  P_BINARY,   /* binary data */
  P_LOST      /* a size no printer accepts: `owed` is the claim; bytes are ignored */
} phase_t;

/* The downloads with a header. */
typedef enum kind_e
{
  K_DG = 0, /* ~DGd:o.x,t,w,data */
  K_DY,     /* ~DYd:f,b,x,t,w,data */
  K_GF      /* ^GFa,b,c,d,data */
} kind_t;

/* Parts of a ZB64 envelope. */
typedef enum zb64_part_e
{
  Z_ID = 0, /* B64 or Z64, up to ':' */
  Z_DATA,   /* base 64, up to ':' */
  Z_CRC     /* four hex digits */
} zb64_part_t;

/* Which character ^CC, ^CT and ^CD change. */
typedef enum target_e
{
  T_CARET = 0,
  T_TILDE,
  T_DELIM
} target_t;

/* The tracker state: plain data, copied freely. */
typedef struct zpl_s
{
  uint64_t owed;      /* P_BINARY: bytes; P_HEX: nibbles of the graphic left */
  uint64_t number;    /* P_HEADER: the numeric field being read */
  uint64_t count;     /* P_HEADER: t (~DG, ~DY) or b (^GF) */
  uint32_t size;      /* P_HEADER: c (^GF), at most ROW_MAX */
  uint32_t row;       /* P_HEX: nibbles per row (0: unknown) */
  uint32_t in_row;    /* P_HEX: nibbles of the current row received */
  uint32_t repeat;    /* P_HEX: pending repeat count, at most REPEAT_MAX */
  uint8_t  phase;     /* phase_t */
  uint8_t  in_format; /* between ^XA and ^XZ */
  uint8_t  caret;     /* format prefix, ^ by default */
  uint8_t  tilde;     /* control prefix, ~ by default */
  uint8_t  delim;     /* parameter delimiter, ',' by default */
  uint8_t  prefix;    /* P_NAME: the prefix received (caret or tilde) */
  uint8_t  name[2];   /* P_NAME: the name received so far */
  uint8_t  got;       /* P_NAME: name characters; P_ZB64: id or CRC characters */
  uint8_t  target;    /* P_SETCHAR: target_t */
  uint8_t  kind;      /* P_HEADER: kind_t */
  uint8_t  field;     /* P_HEADER: index of the field being read */
  uint8_t  digits;    /* P_HEADER: digits in the field being read */
  uint8_t  format;    /* P_HEADER: ^GF a or ~DY b, upper case */
  uint8_t  ext;       /* P_HEADER: ~DY x, upper case */
  uint8_t  have;      /* P_HEADER: bit i set when numeric field i had digits */
  uint8_t  started;   /* P_HEX: a data character arrived (':' is then a row) */
  uint8_t  part;      /* P_ZB64: zb64_part_t */
  uint8_t  id;        /* P_ZB64: the first id character */
} zpl_t;

_Static_assert(sizeof(zpl_t) <= FP_TRACKER_STATE_MAX, "ZPL state too large");

/* Kinds of bytes in ASCII hex data. */
typedef enum hex_class_e
{
  H_IGNORE = 0, /* CR, LF and anything unknown */
  H_DIGIT,      /* 0-9, A-F, a-f */
  H_COUNT,      /* G-Y: 1..19 */
  H_COUNT20,    /* g-z: 20..400 */
  H_ROW         /* ',' '!' ':' */
} hex_class_t;

/* The class of byte `b` in hex data. */
static hex_class_t hex_class(uint8_t b)
{
  if ((b >= '0' && b <= '9') || (b >= 'A' && b <= 'F') || (b >= 'a' && b <= 'f'))
    return H_DIGIT;
  if (b >= 'G' && b <= 'Y')
    return H_COUNT;
  if (b >= 'g' && b <= 'z')
    return H_COUNT20;
  if (b == ',' || b == '!' || b == ':')
    return H_ROW;
  return H_IGNORE;
}

/* ASCII upper case of `b`. */
static uint8_t upper(uint8_t b)
{
  return b >= 'a' && b <= 'z' ? (uint8_t)(b - 'a' + 'A') : b;
}

/* true when `b` is the caret or the tilde in force. */
static bool is_prefix(const zpl_t *s, uint8_t b)
{
  return b == s->caret || b == s->tilde;
}

/* Begin a command on its prefix byte. */
static void begin_name(zpl_t *s, uint8_t prefix)
{
  s->phase = P_NAME;
  s->prefix = prefix;
  s->got = 0;
}

/* Begin the header of a download command. */
static void begin_header(zpl_t *s, kind_t kind)
{
  s->phase = P_HEADER;
  s->kind = (uint8_t)kind;
  s->field = 0;
  s->digits = 0;
  s->number = 0;
  s->count = 0;
  s->size = 0;
  s->format = 'A';
  s->ext = 0;
  s->have = 0;
}

/* Begin `bytes` of binary data (none: back to text). */
static void begin_binary(zpl_t *s, uint64_t bytes)
{
  s->owed = bytes;
  s->phase = bytes ? P_BINARY : P_TEXT;
}

/* Begin ASCII hex data for `bytes` bytes in rows of `row_bytes` (0: unknown). */
static void begin_hex(zpl_t *s, uint64_t bytes, uint64_t row_bytes)
{
  if (row_bytes > ROW_MAX)
    row_bytes = ROW_MAX;
  s->owed = bytes * 2;
  s->row = (uint32_t)row_bytes * 2;
  s->in_row = 0;
  s->repeat = 0;
  s->started = 0;
  s->phase = bytes ? P_HEX : P_TEXT;
}

/* What a recognized command does to the parser. */
typedef enum action_e
{
  A_HEADER_DG = K_DG, /* read a download header of that kind */
  A_HEADER_DY = K_DY,
  A_HEADER_GF = K_GF,
  A_FORMAT_ON,        /* ^XA */
  A_FORMAT_OFF        /* ^XZ, ~JX */
} action_t;

/* The command named by the two name characters is complete. */
static void name_done(zpl_t *s)
{
  static const struct
  {
    bool    tilde; /* the prefix: tilde or caret */
    char    name[3];
    uint8_t action; /* action_t */
  } commands[] = {
    { true, "DG", A_HEADER_DG }, { true, "DY", A_HEADER_DY },   { false, "GF", A_HEADER_GF },
    { false, "XA", A_FORMAT_ON }, { false, "XZ", A_FORMAT_OFF }, { true, "JX", A_FORMAT_OFF },
  };
  bool tilde = s->prefix == s->tilde;

  s->phase = P_TEXT;
  if (s->name[0] == 'C' && (s->name[1] == 'C' || s->name[1] == 'T' || s->name[1] == 'D'))
  {
    s->phase = P_SETCHAR;
    s->target = s->name[1] == 'C' ? T_CARET : s->name[1] == 'T' ? T_TILDE : T_DELIM;
    return;
  }
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
  {
    if (commands[i].tilde != tilde || memcmp(commands[i].name, s->name, 2))
      continue;
    if (commands[i].action == A_FORMAT_ON || commands[i].action == A_FORMAT_OFF)
      s->in_format = commands[i].action == A_FORMAT_ON;
    else
      begin_header(s, (kind_t)commands[i].action);
    return;
  }
}

/*
 * The bytes that mean the same after a prefix and in a ZB64 envelope: a
 * prefix begins a new command, CR and LF are skipped.  true when `b` was one.
 */
static bool prefix_or_newline(zpl_t *s, uint8_t b)
{
  if (is_prefix(s, b))
    begin_name(s, b);
  return is_prefix(s, b) || b == '\r' || b == '\n';
}

/* A byte after a prefix. */
static void name_byte(zpl_t *s, uint8_t b)
{
  if (prefix_or_newline(s, b))
    return;
  s->name[s->got++] = upper(b);
  if (s->got == 2)
    name_done(s);
}

/* The byte after ^CC, ^CT or ^CD: the new character, unless it would clash. */
static void setchar_byte(zpl_t *s, uint8_t b)
{
  uint8_t *chars[] = { &s->caret, &s->tilde, &s->delim };

  if (b == '\r' || b == '\n')
    return;
  s->phase = P_TEXT;
  if ((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z'))
    return; /* a letter: not followed (see the top of this file) */
  for (size_t i = 0; i < sizeof(chars) / sizeof(chars[0]); i++)
    if (i != s->target && *chars[i] == b)
      return;
  *chars[s->target] = b;
}

/* The numeric field that carries the data size, and the last field, by kind. */
static const struct
{
  uint8_t count_field; /* t or b */
  uint8_t last_field;  /* the data follows its delimiter */
} layouts[] = {
  [K_DG] = { 1, 2 }, /* name, t, w */
  [K_DY] = { 3, 4 }, /* d:f, b, x, t, w */
  [K_GF] = { 1, 3 }, /* a, b, c, d */
};

/* true when the header's data is binary (^GF B/C, ~DY B/C). */
static bool binary_format(const zpl_t *s)
{
  return s->kind != K_DG && (s->format == 'B' || s->format == 'C');
}

/* The header's last delimiter arrived: start its data. */
static void header_done(zpl_t *s)
{
  uint64_t width = s->number;

  switch (s->kind)
  {
    case K_DG: begin_hex(s, s->count, width); break;
    case K_DY:
      if (binary_format(s))
        begin_binary(s, s->count);
      else if (s->ext == 'G' || (!s->ext && s->format != 'P'))
        begin_hex(s, s->count, width);
      else
        s->phase = P_TEXT; /* hex fonts and PNG: data up to the next prefix */
      break;
    default: /* ^GF: ignored unless b, c and d were all given */
      if ((s->have & 0x0e) != 0x0e)
        s->phase = P_TEXT;
      else if (binary_format(s))
        begin_binary(s, s->count < 1 ? 1 : s->count > GF_COUNT_MAX ? GF_COUNT_MAX : s->count);
      else
        begin_hex(s, s->size, width);
      break;
  }
}

/* The delimiter ending the current header field. */
static void header_delimiter(zpl_t *s)
{
  if (s->digits)
    s->have |= (uint8_t)(1u << s->field);
  if (s->field == layouts[s->kind].count_field)
    s->count = s->number;
  else if (s->kind == K_GF && s->field == 2)
    s->size = s->number < ROW_MAX ? (uint32_t)s->number : ROW_MAX;
  if (s->field == layouts[s->kind].last_field)
  {
    header_done(s);
    return;
  }
  s->field++;
  s->digits = 0;
  s->number = 0;
}

/*
 * true when the field being read is a size the bounds apply to: ~DG t,
 * ~DY t, ^GF c of ASCII hex data (^GF b is clamped by the printer).  It is
 * checked digit by digit, so that a size cut short is lost already: only
 * more digits, or its end, may follow.
 */
static bool sized_field(const zpl_t *s)
{
  if (s->kind == K_GF)
    return s->field == 2 && !binary_format(s);
  return s->field == layouts[s->kind].count_field;
}

/* A header byte that is neither a prefix nor the delimiter. */
static void header_char(zpl_t *s, uint8_t b)
{
  bool letter_field = (s->kind == K_GF && s->field == 0) || (s->kind == K_DY && s->field <= 2);

  if (b == '\r' || b == '\n' || b == ' ')
    return;
  if (letter_field)
  {
    if (s->kind == K_DY && s->field == 0)
      return; /* d:f, the object's name */
    if (!s->digits)
    {
      s->digits = 1; /* the field's first character is the letter */
      if (s->kind == K_DY && s->field == 2)
        s->ext = upper(b);
      else
        s->format = upper(b);
    }
    return;
  }
  if (b >= '0' && b <= '9' && s->number < NUMBER_MAX)
  {
    s->number = s->number * 10 + (uint64_t)(b - '0');
    s->digits = s->digits < 255 ? (uint8_t)(s->digits + 1) : 255;
  }
  if (s->number > GRAPHIC_MAX && sized_field(s))
  {
    s->owed = s->number; /* not ZPL: lost until init (see the top of this file) */
    s->phase = P_LOST;
  }
}

/* A byte of a ~DG, ~DY or ^GF header. */
static void header_byte(zpl_t *s, uint8_t b)
{
  if (is_prefix(s, b))
    begin_name(s, b); /* parameters end at a prefix; no data follows */
  else if (b == s->delim)
    header_delimiter(s);
  else if (s->kind != K_DG || s->field)
    header_char(s, b);
}

/* `nibbles` nibbles of hex data arrived (repeat counts applied). */
static void hex_advance(zpl_t *s, uint64_t nibbles)
{
  if (nibbles > s->owed)
    nibbles = s->owed;
  s->owed -= nibbles;
  if (s->row)
    s->in_row = (uint32_t)((s->in_row + nibbles) % s->row);
  if (!s->owed)
    s->phase = P_TEXT;
}

/* ',', '!' or ':': the rest of the current row, or a whole row at a row start. */
static void hex_row(zpl_t *s)
{
  if (s->row)
    hex_advance(s, s->row - s->in_row);
}

/* Consume hex data from `p`; returns where it stopped (after a prefix, or the graphic's end). */
static const uint8_t *hex_feed(zpl_t *s, const uint8_t *p, const uint8_t *end)
{
  while (p < end && s->phase == P_HEX)
  {
    uint8_t b = *p;

    p++;
    if (is_prefix(s, b))
    {
      begin_name(s, b); /* the download is aborted; the prefix begins a command */
      return p;
    }
    switch (hex_class(b))
    {
      case H_DIGIT:
      {
        const uint8_t *run = p;

        if (s->repeat)
        {
          hex_advance(s, s->repeat);
          s->repeat = 0;
          break;
        }
        while (run < end && hex_class(*run) == H_DIGIT && !is_prefix(s, *run)
               && (uint64_t)(run - p) + 1 < s->owed)
          run++;
        hex_advance(s, (uint64_t)(run - p) + 1);
        p = run;
        break;
      }
      case H_COUNT: s->repeat += (uint32_t)(b - 'F'); break;
      case H_COUNT20: s->repeat += (uint32_t)(b - 'f') * 20; break;
      case H_ROW:
        if (b == ':' && !s->started)
        {
          s->phase = P_ZB64;
          s->part = Z_ID;
          s->got = 0;
          break;
        }
        s->repeat = 0;
        hex_row(s);
        break;
      default: continue;
    }
    s->started = 1;
    if (s->repeat > REPEAT_MAX)
      s->repeat = REPEAT_MAX; /* keeps the sum bounded */
  }
  return p;
}

/* A byte of a ZB64 envelope. */
static void zb64_byte(zpl_t *s, uint8_t b)
{
  if (prefix_or_newline(s, b))
    return;
  switch (s->part)
  {
    case Z_ID:
      if (b == ':')
        s->part = Z_DATA;
      else if (!s->got++)
        s->id = upper(b);
      break;
    case Z_DATA:
      if (b == ':')
      {
        s->part = Z_CRC;
        s->got = 0;
      }
      break;
    default:
      if (++s->got == CRC_DIGITS)
        s->phase = P_TEXT;
      break;
  }
}

/* Skip text up to the next prefix, STX or ETX, following the format brackets. */
static const uint8_t *text_feed(zpl_t *s, const uint8_t *p, const uint8_t *end)
{
  for (; p < end; p++)
  {
    uint8_t b = *p;

    if (is_prefix(s, b))
    {
      begin_name(s, b);
      return p + 1;
    }
    if (b == STX || b == ETX)
      s->in_format = b == STX;
  }
  return p;
}

/* Observe bytes the printer accepted. */
static void zpl_feed(void *state, const uint8_t *p, size_t len)
{
  zpl_t         *s = state;
  const uint8_t *end = p + len;

  while (p < end)
  {
    switch (s->phase)
    {
      case P_LOST: return; /* nothing is followed any more */
      case P_TEXT: p = text_feed(s, p, end); break;
      case P_NAME: name_byte(s, *p++); break;
      case P_SETCHAR: setchar_byte(s, *p++); break;
      case P_HEADER: header_byte(s, *p++); break;
      case P_HEX: p = hex_feed(s, p, end); break;
      case P_ZB64: zb64_byte(s, *p++); break;
      default:
      {
        size_t n = (size_t)(end - p) < s->owed ? (size_t)(end - p) : (size_t)s->owed;

        p += n;
        if (!(s->owed -= n))
          s->phase = P_TEXT;
        break;
      }
    }
  }
}

/* Start in the idle state with the default prefixes and delimiter. */
static void zpl_init(void *state)
{
  zpl_t *s = state;

  memset(s, 0, sizeof(*s));
  s->caret = '^';
  s->tilde = '~';
  s->delim = ',';
}

/* true when a binary header has all it needs to start owing data (see the top of this file). */
static bool header_owes(const zpl_t *s)
{
  if (!binary_format(s))
    return false;
  if (s->kind == K_GF)
    return s->field == 3 && s->digits && (s->have & 0x06) == 0x06;
  return (s->field == 4 && (s->have & 0x08)) || (s->field == 3 && s->digits);
}

/* true when a job changed the caret, the tilde or the delimiter (the reset assumes ^ ~ ,). */
static bool prefixes_changed(const zpl_t *s)
{
  return s->caret != '^' || s->tilde != '~' || s->delim != ',';
}

/*
 * true when the printer would take the next bytes as part of a command, or
 * would not read the reset preset as written (changed prefixes).
 */
static bool mid_command(const zpl_t *s)
{
  if (s->in_format || prefixes_changed(s))
    return true;
  switch (s->phase)
  {
    case P_TEXT: return false;
    case P_HEADER: return header_owes(s);
    default: return true;
  }
}

/*
 * Bytes that put back the default delimiter, caret and tilde (at most four
 * ~Cx commands, 16 bytes), each written with the tilde in force; the
 * control forms work inside and outside formats.  A change to a character
 * another one still holds would be ignored, so such a change waits for that
 * one to move, and a swap goes through a spare character.  Their count.
 */
static size_t restore_prefixes(const zpl_t *s, uint8_t *out)
{
  static const uint8_t normal[3] = { ',', '^', '~' }, command[3] = { 'D', 'C', 'T' };
  uint8_t chars[3] = { s->delim, s->caret, s->tilde }; /* the tilde is chars[2] */
  size_t  n = 0;

  while (n + 4 <= RESTORE_MAX)
  {
    int i, pick = -1, wrong = -1;

    for (i = 0; i < 3; i++)
      if (chars[i] != normal[i])
      {
        wrong = i;
        if (pick < 0 && memchr(chars, normal[i], sizeof(chars)) == NULL)
          pick = i;
      }
    if (wrong < 0)
      break;
    out[n++] = chars[2];
    out[n++] = 'C';
    out[n++] = command[pick >= 0 ? pick : wrong];
    if (pick >= 0)
      out[n++] = chars[pick] = normal[pick];
    else
      out[n++] = chars[wrong] = (uint8_t)(memchr(chars, '#', sizeof(chars)) ? '$' : '#');
  }
  return n;
}

/* Rows of blank data (one ',' each) that finish a hex graphic aligned on a byte. */
static uint64_t blank_rows(const zpl_t *s)
{
  uint64_t first = s->row - s->in_row; /* the current row's rest, or a whole row */

  if (s->owed <= first)
    return 1;
  return 1 + (s->owed - first + s->row - 1) / s->row;
}

/* When the rest is a run of one byte, store it in `out` and return true. */
static bool fill_ready(const zpl_t *s, fp_completion_t *out)
{
  if (s->phase == P_BINARY)
  {
    out->fill_count = s->owed;
    out->fill_byte = 0x00;
    return true;
  }
  if (s->phase != P_HEX || s->in_format || s->repeat)
    return false;
  if (!s->row)
  {
    out->fill_count = s->owed;
    out->fill_byte = '0';
    return true;
  }
  if (s->in_row & 1)
    return false;
  out->fill_count = blank_rows(s);
  out->fill_byte = ',';
  return true;
}

/* The second name character that completes a harmless command. */
static uint8_t safe_name_byte(const zpl_t *s)
{
  bool tilde = s->prefix == s->tilde;

  if (!s->got)
    return tilde ? 'J' : 'F';
  return tilde && s->name[0] == 'D' ? 'N' : 'X';
}

/* The next byte of a ZB64 envelope's closing (see the top of this file). */
static uint8_t safe_zb64_byte(const zpl_t *s)
{
  const char *id = s->got && s->id == 'Z' ? "Z64" : "B64";

  if (s->part == Z_ID)
    return s->got < 3 ? (uint8_t)id[s->got] : ':';
  return s->part == Z_DATA ? ':' : '0';
}

/* The next harmless byte of a completion, when no fill can follow yet. */
static uint8_t safe_byte(const zpl_t *s)
{
  const uint8_t chars[] = { s->caret, s->tilde, s->delim };

  switch (s->phase)
  {
    case P_NAME: return safe_name_byte(s);
    case P_SETCHAR: return chars[s->target];
    case P_HEADER:
      if (header_owes(s))
        return s->delim;
      break;
    case P_HEX:
      if (!s->in_format)
        return '0';
      break;
    case P_ZB64:
      if (!s->in_format)
        return safe_zb64_byte(s);
      break;
    default: break;
  }
  return s->tilde; /* inside a format: ~JX */
}

/* The parser after the fill: the owed data all arrived, so the command is over. */
static void data_sent(zpl_t *s)
{
  s->owed = 0;
  s->repeat = 0;
  s->phase = P_TEXT;
}

/*
 * true when a control command may start now: between commands, or where a
 * prefix ends (or restarts) the command being read.  Changed prefixes are
 * put back there first, since a harmless command written with a changed
 * prefix may itself be misread (a tilde changed to 'X' turns ~JX into two
 * prefixes).
 */
static bool can_restore(const zpl_t *s)
{
  return s->phase == P_TEXT || s->phase == P_NAME || s->phase == P_HEADER;
}

/* Where a completion is being written: its prefix, then (after the fill) its suffix. */
typedef struct writer_s
{
  fp_completion_t *out;
  uint8_t         *buf;
  size_t          *len, max;
} writer_t;

/* Go on in the suffix (after the fill, or an empty one when the prefix is full); false if there already. */
static bool to_suffix(writer_t *w)
{
  if (w->buf == w->out->suffix)
    return false;
  w->buf = w->out->suffix;
  w->len = &w->out->suffix_len;
  w->max = FP_COMPLETION_SUFFIX_MAX;
  return true;
}

/* Append `n` bytes, fed to the parser copy too; false when the completion is full. */
static bool emit(writer_t *w, zpl_t *s, const uint8_t *bytes, size_t n)
{
  for (size_t i = 0; i < n; i++)
  {
    if (*w->len == w->max && !to_suffix(w))
      return false;
    w->buf[(*w->len)++] = bytes[i];
    zpl_feed(s, bytes + i, 1);
  }
  return true;
}

/*
 * true when mid-command; `out` gets the completion.  Bytes are fed through a
 * copy of the parser, so that the completion always agrees with it: into
 * the prefix until owed data can follow as the fill, then, after the fill
 * (or an empty one when the prefix is full), into the suffix (closing a
 * format the data was in).  Changed prefixes are put back as soon as a
 * control command may start, so that what follows is written with the
 * defaults.
 */
static bool zpl_completion(const void *state, fp_completion_t *out)
{
  zpl_t    s;
  writer_t w = { out, out->prefix, &out->prefix_len, FP_COMPLETION_PREFIX_MAX };

  memcpy(&s, state, sizeof(s));
  if (s.phase == P_LOST)
  {
    out->implausible = true;
    out->fill_count = s.owed;
    return true;
  }
  if (!mid_command(&s))
    return false;
  while (mid_command(&s))
  {
    uint8_t bytes[RESTORE_MAX];
    size_t  n = can_restore(&s) ? restore_prefixes(&s, bytes) : 0;

    if (!n && w.buf == out->prefix && fill_ready(&s, out))
    {
      data_sent(&s); /* the fill ends the data (it can be huge: not fed byte by byte) */
      to_suffix(&w);
      continue;
    }
    if (!n)
    {
      bytes[0] = safe_byte(&s);
      n = 1;
    }
    if (!emit(&w, &s, bytes, n))
      break;
  }
  return true;
}

const fp_language_t fp_language_zpl = {
  .name = "zpl",
  .reset_preset = "zpl",
  .state_size = sizeof(zpl_t),
  .init = zpl_init,
  .feed = zpl_feed,
  .completion = zpl_completion,
  .surplus_fill_harmless = false, /* surplus 0x00 inside a format would be field text */
  .resync = (const uint8_t *)"~JX",
  .resync_len = 3,
};

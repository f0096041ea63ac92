/*
 * The ESC/P-R tracker: Epson's record-structured raster language, what
 * Epson's "Inkjet Printer Driver (ESC/P-R) for Linux" (Debian's
 * printer-driver-escpr, filters epson-escpr-wrapper and epson-escpr) sends
 * to most current Epson inkjets.  Sources, read for this file (no public
 * Epson reference of ESC/P-R exists): the driver library's
 * lib/epson-escpr-api.c (the command tables at its top, SendStartJob,
 * SendEndJob, MakeOneRasterData, RunLengthEncode, epsEndJob, epsCancelJob)
 * and its lib/epson-usb.c and lib/epson-net-raw.c (the cancel path), in
 * epson-inkjet-printer-escpr 1.7; and the streams the Debian 12 driver
 * writes (tests/languages/streams.py makes them at test time).
 *
 * A job, as the driver sends it:
 * - at ESC/P command level: NUL NUL NUL ESC SOH "@EJL 1284.4" LF "@EJL" LF
 *   (exit packet mode), ESC @ (initialize);
 * - ESC ( R 08 00 NUL "REMOTE1" enters remote mode: records of two
 *   letters, a 16-bit little-endian length and that many bytes (TI, JS, JH,
 *   HD, PP, DP), up to ESC NUL NUL NUL, which leaves it;
 * - ESC ( R 06 00 NUL "ESCPR" (or 07 00 NUL "ESCPRJ", JPEG jobs) enters
 *   ESC/P-R mode, where everything is a record: ESC, a class letter, a
 *   32-bit little-endian parameter length, a 4-letter name and that many
 *   parameter bytes.  The driver's records: q "setq" (print quality: 9
 *   bytes, the seventh the colour plane, 0 full colour or 1 a 256-colour
 *   palette, and the palette after them), j "setj" (22), j "sets" (5),
 *   u "chku" (2), a "seta" (4), c "setc" (1), p "sttp" (start page, 0),
 *   p "setn" (page number, 1), d "dsnd" (a raster line), d "jsnd" (JPEG
 *   data), p "endp" (end page, 1: 0 for the last page, else pages left),
 *   j "endj" (end job, 0), after which the printer is back at ESC/P
 *   command level;
 * - a dsnd record's parameters: x and y (16-bit big-endian), compression
 *   (0 none, 1 run-length), the data size (16-bit big-endian, always the
 *   parameter length - 7) and the data: RGB pixels of 3 bytes (1 byte, a
 *   palette index, in 256-colour jobs); run-length data is a counter below
 *   128 followed by counter+1 literal pixels, or a counter of 128 or more
 *   followed by one pixel repeated 257-counter times (whole pixels, never
 *   split across groups);
 * - after endj: ESC @, remote mode with JE 01 00 00 (job end), ESC NUL NUL
 *   NUL.
 * The tracker follows all of this in a few dozen bytes of state; parameter
 * and pixel data is skipped in one step, run-length data group by group.
 * At ESC/P command level it knows only what an ESC/P-R job sends there:
 * ESC ( c nL nH and its data, ESC SOH and "@EJL" lines, and commands
 * without parameters (ESC @); other ESC/P commands do not belong in an
 * ESC/P-R job, and detection sends ESC/P jobs to the ESC/P tracker.
 *
 * Completing a half-sent command (escpr_completion):
 * - ESC/P level: a lone ESC becomes ESC @; ESC ( headers and data get
 *   0x00 (an ESC ( R cut in "\0REMOTE1" or "\0ESCPR" does not enter the
 *   mode); an EJL line (one begins right after ESC SOH) is finished as
 *   "@EJL" as far as it spells it, and ended with LF;
 * - remote mode: the record is completed with 0x00 (a header cut after its
 *   ESC becomes ESC NUL NUL NUL) and the mode is left with ESC NUL NUL NUL;
 * - ESC/P-R mode: the record is completed, then an open page is ended with
 *   p "endp" 0 and the job with j "endj": the sequence the driver ends
 *   every job with (its cancel path sends endj after an out-of-band reset
 *   this backend does not have, so the page is ended in-band first).  A
 *   record cut in its header becomes, as far as the bytes sent allow, a
 *   record the driver sends: a lone ESC becomes endp (page open) or endj;
 *   a length or name cut short is completed from the first of the driver's
 *   records with that class and those bytes (endj, endp, setn first), or
 *   with 0x00 when none has them (a dsnd's length then gets a 1 where
 *   it would be below 7: 256 bytes or more of white pixels; a d record
 *   whose length bytes can no longer make 7 to 65542 becomes a jsnd, whose
 *   length is free, rather than a dsnd the driver never sends); parameters get 0x00, a dsnd header gets
 *   x = y = 0, no compression and the size its record length says; pixel
 *   data gets 0xFF (white RGB); run-length data gets 0xFF too, which is
 *   groups of a repeated white pixel (0xFF counter, 0xFF pixel: 1 + 3
 *   bytes), the rest of the current group first, and where the bytes left
 *   are not a multiple of that group, one white literal group of the size
 *   that makes them add up (at most 13 bytes) at the end, so that the data
 *   ends on a group boundary at exactly the record's length.
 * No harmless value exists, and the completion has a visible effect, for:
 * the partly printed page (ended and ejected by endp, as any cancel does),
 * parameters of settings (setq, setj: zeroed, then the job ends), a name
 * cut as "st" (sttp: a page started and ended, perhaps a blank sheet),
 * jsnd JPEG data and palette indices (no value is known to be white; the
 * Linux driver sends neither: it prints full-colour raster).
 *
 * The reset preset "escpr" is what the driver sends after endj: ESC @,
 * ESC ( R 08 00 NUL "REMOTE1", JE 01 00 00, ESC NUL NUL NUL, which ends the
 * job in the printer's remote-mode job control (the driver's head-cleaning
 * command ends with the same bytes, so they are harmless on an idle
 * printer).  It differs from ESC/P's ESC @, which a printer in ESC/P-R mode
 * would take as the start of a record and swallow.
 *
 * Bounds.  The longest record the driver can emit is a dsnd of 7 + 65535
 * bytes (its data size is a 16-bit field; jsnd chunks are below 64 KiB and
 * the palette at most 768 bytes), so a record length above 65542 means the
 * bytes are not ESC/P-R: the tracker is lost until it is started again, and
 * its completion is implausible (the claimed length, for the log).  So is a
 * dsnd whose data size is not its length - 7, whose compression is neither
 * 0 nor 1, or whose run-length groups overrun the data or leave a rest no
 * groups add up to: the driver emits none of these.  ESC/P-R has no way
 * back to command level from inside a record: records end by count.
 */

#include "language.h"

#include <string.h>

#define ESC 0x1b
#define SOH 0x01
#define WHITE 0xff

#define RECORD_MAX (7u + 65535u) /* a dsnd record's parameters at most */
#define DSND_HEAD 7              /* x, y, compression, size */
#define ESCPR_HEADER 9           /* after ESC: class, length (4), name (4) */
#define REMOTE_HEADER 4          /* two letters, length (2) */

/* Where the data goes. */
typedef enum context_e
{
  C_ESCP = 0, /* ESC/P command level */
  C_EJL,      /* "@EJL" lines after ESC SOH */
  C_REMOTE,   /* remote-mode records */
  C_ESCPR     /* ESC/P-R records */
} context_t;

/* Where the parser is. */
typedef enum phase_e
{
  P_TEXT = 0, /* between commands or records (EJL: at a line start) */
  P_ESCAPE,   /* ESC/P level: ESC received, the command byte is next */
  P_HEADER,   /* collecting a header: ESC ( c nL nH, a remote or an ESC/P-R record's */
  P_MODE,     /* ESC ( R data, matched against a mode's name so far */
  P_DATA,     /* skipping `owed` parameter or data bytes */
  P_DSND,     /* a dsnd record's 7 header bytes; `owed`: record bytes left */
  P_PIXELS,   /* uncompressed pixel data: `owed` bytes left */
  P_RLE,      /* run-length data: `owed` bytes left, `run` of them in the current group */
  P_EJL_LINE, /* inside an "@EJL" line */
  P_LOST      /* a count the driver never emits: `owed` is the claim; bytes are ignored */
} phase_t;

/* What the current ESC/P-R record is. */
typedef enum kind_e
{
  K_OTHER = 0,
  K_SETQ, /* print quality: the colour plane is its seventh byte */
  K_STTP, /* start page */
  K_ENDP, /* end page */
  K_ENDJ, /* end job: back to ESC/P level */
  K_DSND  /* raster data */
} kind_t;

/* One of the driver's ESC/P-R records, for lookup and for completing a cut header. */
typedef struct record_s
{
  char    class;
  char    name[5];
  uint8_t length; /* the parameter length it usually has */
  uint8_t kind;   /* kind_t */
} record_t;

/* The driver's records, in the order a cut header is completed from them. */
static const record_t records[] = {
  { 'j', "endj", 0, K_ENDJ },  { 'p', "endp", 1, K_ENDP },  { 'p', "setn", 1, K_OTHER },
  { 'q', "setq", 9, K_SETQ },  { 'j', "setj", 22, K_OTHER }, { 'j', "sets", 5, K_OTHER },
  { 'u', "chku", 2, K_OTHER }, { 'a', "seta", 4, K_OTHER },  { 'c', "setc", 1, K_OTHER },
  { 'm', "setc", 1, K_OTHER }, { 'n', "setn", 2, K_OTHER },  { 'd', "dsnd", 7, K_DSND },
  { 'd', "jsnd", 2, K_OTHER }, { 'p', "sttp", 0, K_STTP },
};

#define RECORD_COUNT (sizeof(records) / sizeof(records[0]))

/* The data of ESC ( R that enters a mode, by the length ESC ( R gives it. */
static const uint8_t remote1[] = { 0, 'R', 'E', 'M', 'O', 'T', 'E', '1' };
static const uint8_t escpr_mode[] = { 0, 'E', 'S', 'C', 'P', 'R', 'J' };
static const char    ejl_prefix[] = "@EJL";

#define EJL_PREFIX_LEN (sizeof(ejl_prefix) - 1)

/* The tracker state: plain data, copied freely. */
typedef struct escpr_s
{
  uint64_t owed;      /* bytes left of the current data (P_LOST: the claim) */
  uint32_t length;    /* ESC/P-R: the current record's parameter length */
  uint16_t run;       /* P_RLE: bytes left in the current group */
  uint8_t  context;   /* context_t */
  uint8_t  phase;     /* phase_t */
  uint8_t  got;       /* header bytes collected */
  uint8_t  kind;      /* kind_t of the current ESC/P-R record */
  uint8_t  bpp;       /* bytes a pixel: 3 (RGB) or 1 (palette) */
  uint8_t  page_open; /* an sttp not yet ended by endp */
  uint8_t  hdr[ESCPR_HEADER];
} escpr_t;

_Static_assert(sizeof(escpr_t) <= FP_TRACKER_STATE_MAX, "ESC/P-R state too large");

/* Little-endian 16-bit value at `p`. */
static uint32_t le16(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

/* Little-endian 32-bit value at `p`. */
static uint32_t le32(const uint8_t *p)
{
  return le16(p) | le16(p + 2) << 16;
}

/* A count the driver never emits: lost until init, `claimed` kept for the log. */
static void lose(escpr_t *s, uint64_t claimed)
{
  s->owed = claimed;
  s->phase = P_LOST;
}

/* Bytes of the white literal group that makes `rest` run-length bytes end on a group
   boundary after repeat groups of 1 + bpp bytes (0 when they already do). */
static uint32_t adjust_size(const escpr_t *s, uint32_t rest)
{
  uint32_t group = 1u + s->bpp;
  uint32_t k;

  if (!(rest % group))
    return 0;
  k = (group + 1u - rest % group) % group; /* literal pixels: 1 + k * bpp = rest (mod group) */
  return 1u + (k ? k : group) * s->bpp;
}

/* true when `rest` run-length bytes can be whole groups (the driver's always are). */
static bool rle_rest_valid(const escpr_t *s, uint32_t rest)
{
  return rest >= adjust_size(s, rest) && (rest == 0 || rest >= 1u + s->bpp);
}

/* The driver's record `class` `name`, or NULL. */
static const record_t *lookup(const uint8_t *hdr)
{
  for (size_t i = 0; i < RECORD_COUNT; i++)
    if (records[i].class == (char)hdr[0] && !memcmp(records[i].name, hdr + 5, 4))
      return &records[i];
  return NULL;
}

/* Back to the command or record boundary of the current context. */
static void boundary(escpr_t *s)
{
  s->phase = P_TEXT;
  s->got = 0;
}

/* An ESC/P-R record's parameters are all in: its effect. */
static void record_done(escpr_t *s)
{
  switch (s->kind)
  {
    case K_STTP: s->page_open = 1; break;
    case K_ENDP: s->page_open = 0; break;
    case K_ENDJ:
      s->context = C_ESCP;
      s->page_open = 0;
      break;
    default: break;
  }
  boundary(s);
}

/* Skip `count` bytes of the current command or record, then end it. */
static void begin_data(escpr_t *s, uint64_t count)
{
  s->owed = count;
  s->phase = P_DATA;
  if (!count)
  {
    if (s->context == C_ESCPR)
      record_done(s);
    else
      boundary(s);
  }
}

/* Enter a mode: remote (`remote`) or ESC/P-R. */
static void enter_mode(escpr_t *s, bool remote)
{
  s->context = remote ? C_REMOTE : C_ESCPR;
  s->bpp = 3;
  s->page_open = 0;
  boundary(s);
}

/* An ESC/P-R record header is complete. */
static void escpr_header_done(escpr_t *s)
{
  const record_t *r = lookup(s->hdr);

  s->length = le32(s->hdr + 1);
  s->kind = r ? r->kind : K_OTHER;
  if (s->length > RECORD_MAX)
    lose(s, s->length);
  else if (s->kind == K_DSND && s->length < DSND_HEAD)
    lose(s, s->length);
  else if (s->kind == K_DSND)
  {
    s->owed = s->length;
    s->got = 0;
    s->phase = P_DSND;
  }
  else
    begin_data(s, s->length);
}

/* A dsnd record's 7 header bytes are in `hdr`: its pixel data follows. */
static void dsnd_head_done(escpr_t *s)
{
  uint32_t size = (uint32_t)s->hdr[5] << 8 | s->hdr[6];
  uint8_t  compression = s->hdr[4];

  if (size != s->owed || compression > 1 || (compression && !rle_rest_valid(s, size)))
  {
    lose(s, s->length);
    return;
  }
  if (!size)
    record_done(s);
  else
  {
    s->run = 0;
    s->phase = compression ? P_RLE : P_PIXELS;
  }
}

/* A header byte (ESC ( c nL nH, remote record, ESC/P-R record, dsnd header). */
static void header_byte(escpr_t *s, uint8_t b)
{
  s->hdr[s->got++] = b;
  if (s->context == C_ESCP && s->got == 3)
  {
    uint32_t len = le16(s->hdr + 1);

    if (s->hdr[0] == 'R' && (len == sizeof(remote1) || len == 6 || len == 7))
    {
      s->owed = len;
      s->length = len;
      s->phase = P_MODE;
    }
    else
      begin_data(s, len);
  }
  else if (s->context == C_REMOTE && s->got == REMOTE_HEADER)
  {
    if (!memcmp(s->hdr, "\x1b\0\0\0", REMOTE_HEADER))
    {
      s->context = C_ESCP;
      boundary(s);
    }
    else
      begin_data(s, le16(s->hdr + 2));
  }
  else if (s->context == C_ESCPR && s->got == ESCPR_HEADER)
    escpr_header_done(s);
}

/* A byte of ESC ( R data: does it still spell a mode's name? */
static void mode_byte(escpr_t *s, uint8_t b, bool *consumed)
{
  bool           remote = s->length == sizeof(remote1);
  const uint8_t *name = remote ? remote1 : escpr_mode;
  size_t         at = s->length - s->owed;

  *consumed = b == name[at];
  if (!*consumed)
  {
    begin_data(s, s->owed); /* not a mode: the rest is plain data */
    return;
  }
  if (!--s->owed)
    enter_mode(s, remote);
}

/* Follow run-length data group by group; returns the bytes used. */
static size_t rle_bytes(escpr_t *s, const uint8_t *p, size_t avail)
{
  const uint8_t *start = p;
  const uint8_t *end = p + avail;

  while (p < end && s->phase == P_RLE)
  {
    if (s->run)
    {
      size_t n = (size_t)(end - p) < s->run ? (size_t)(end - p) : s->run;

      p += n;
      s->run = (uint16_t)(s->run - n);
      s->owed -= n;
    }
    else
    {
      uint32_t group = *p < 128 ? (*p + 1u) * s->bpp : s->bpp;

      p++;
      s->owed--;
      if (group > s->owed || !rle_rest_valid(s, (uint32_t)(s->owed - group)))
      {
        lose(s, s->length);
        break;
      }
      s->run = (uint16_t)group;
    }
    if (!s->owed)
      record_done(s);
  }
  return (size_t)(p - start);
}

/* A byte at a command or record boundary; false when it is to be taken afresh. */
static bool boundary_byte(escpr_t *s, uint8_t b)
{
  switch (s->context)
  {
    case C_EJL:
      if (b == '\r' || b == '\n')
        return true;
      if (b == '@')
      {
        s->phase = P_EJL_LINE;
        s->got = 1;
        return true;
      }
      s->context = C_ESCP; /* no more EJL lines */
      return false;
    case C_REMOTE:
      s->phase = P_HEADER;
      s->got = 0;
      header_byte(s, b);
      return true;
    case C_ESCPR:
      if (b == ESC)
      {
        s->phase = P_HEADER;
        s->got = 0;
      }
      return true; /* anything else between records is skipped */
    default:
      s->phase = P_ESCAPE; /* the caller found the ESC */
      return true;
  }
}

/* The command byte after ESC at ESC/P level. */
static void command_byte(escpr_t *s, uint8_t code)
{
  boundary(s);
  if (code == '(')
    s->phase = P_HEADER;
  else if (code == SOH)
  {
    s->context = C_EJL; /* an EJL line begins at once */
    s->phase = P_EJL_LINE;
  }
}

/* Skip `owed` bytes in one step; returns the bytes used. */
static size_t skip_bytes(escpr_t *s, const uint8_t *p, size_t avail)
{
  size_t n = avail < s->owed ? avail : (size_t)s->owed;

  if (s->kind == K_SETQ && s->context == C_ESCPR && s->phase == P_DATA)
  {
    uint64_t at = s->length - s->owed; /* the colour plane is parameter 6 */

    if (at <= 6 && 6 < at + n)
      s->bpp = p[6 - at] == 1 ? 1 : 3;
  }
  s->owed -= n;
  if (!s->owed)
  {
    if (s->context == C_ESCPR)
      record_done(s);
    else
      boundary(s);
  }
  return n;
}

/* Observe bytes the printer accepted. */
static void escpr_feed(void *state, const uint8_t *p, size_t len)
{
  escpr_t       *s = state;
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

      case P_HEADER: header_byte(s, *p++); break;

      case P_MODE:
      {
        bool consumed;

        mode_byte(s, *p, &consumed);
        p += consumed;
        break;
      }

      case P_DSND:
        s->hdr[s->got++] = *p++;
        s->owed--;
        if (s->got == DSND_HEAD)
          dsnd_head_done(s);
        break;

      case P_RLE: p += rle_bytes(s, p, avail); break;

      case P_EJL_LINE:
      {
        const uint8_t *lf;

        if (s->got < EJL_PREFIX_LEN) /* is the line still spelling "@EJL"? */
        {
          s->got = (uint8_t)(*p == (uint8_t)ejl_prefix[s->got] ? s->got + 1u : EJL_PREFIX_LEN);
          if (*p++ == '\n')
            boundary(s);
          break;
        }
        lf = memchr(p, '\n', avail);

        if (!lf)
          return;
        p = lf + 1;
        boundary(s);
        break;
      }

      default: p += skip_bytes(s, p, avail); break; /* P_DATA, P_PIXELS */
    }
  }
}

/* Start in the idle state. */
static void escpr_init(void *state)
{
  escpr_t *s = state;

  memset(s, 0, sizeof(*s));
  s->bpp = 3;
}

/* true when the printer is at ESC/P command level outside any command. */
static bool idle(const escpr_t *s)
{
  return s->phase == P_TEXT && (s->context == C_ESCP || s->context == C_EJL);
}

/* The value of the length bytes of a cut ESC/P-R record header sent so far. */
static uint32_t le32_prefix(const escpr_t *s)
{
  uint32_t value = 0;

  for (uint8_t i = s->got > 5 ? 5 : s->got; i > 1; i--)
    value = value << 8 | s->hdr[i - 1];
  return value;
}

/* true when the length bytes sent so far can still end as a dsnd's length (7 to
   RECORD_MAX): the bytes still to come are the high ones, so the candidates are the
   value so far, and that value plus 256 to the power of the bytes sent, and more. */
static bool dsnd_length_possible(const escpr_t *s)
{
  uint8_t  known = s->got > 5 ? 4 : s->got > 1 ? (uint8_t)(s->got - 1) : 0;
  uint32_t value = le32_prefix(s);

  if (known == 0 || value >= DSND_HEAD)
    return known < 4 || value <= RECORD_MAX;
  return known < 4 && value + (1u << (8 * known)) <= RECORD_MAX;
}

/* true when `r` agrees with the `got` header bytes sent so far (length bytes only if
   `length`) and can still be completed as a record the driver sends. */
static bool record_fits(const escpr_t *s, const record_t *r, bool length)
{
  uint8_t want[ESCPR_HEADER] = { (uint8_t)r->class, r->length, 0, 0, 0 };

  memcpy(want + 5, r->name, 4);
  if (r->kind == K_DSND && !dsnd_length_possible(s))
    return false;
  for (uint8_t i = 0; i < s->got; i++)
    if (want[i] != s->hdr[i] && (length || i == 0 || i > 4))
      return false;
  return true;
}

/* The next byte of a cut ESC/P-R record header (see the top of this file). */
static uint8_t header_safe_byte(const escpr_t *s)
{
  const record_t *fit = NULL;

  if (!s->got)
    return s->page_open ? 'p' : 'j'; /* endp or endj */
  /* passes: with the usual length, then any; endp only for an open page, then also not */
  for (int pass = 0; pass < 4 && !fit; pass++)
    for (size_t i = 0; i < RECORD_COUNT && !fit; i++)
      if ((s->page_open || pass >= 2 || records[i].kind != K_ENDP)
          && record_fits(s, &records[i], !(pass & 1)))
        fit = &records[i];
  if (!fit)
    return 0x00;
  if (s->got >= 5)
    return (uint8_t)fit->name[s->got - 5];
  if (!record_fits(s, fit, true))
  {
    /* the length sent so far is not this record's usual one: the rest is 0x00,
       but a dsnd needs 7 bytes at least (then 256 or more: white pixels) */
    bool short_dsnd = fit->kind == K_DSND && s->got >= 2 && le32_prefix(s) < DSND_HEAD;

    return short_dsnd ? 0x01 : 0x00;
  }
  return s->got == 1 ? fit->length : 0x00;
}

/* The harmless next byte of a half-sent command (see the top of this file). */
static uint8_t safe_byte(const escpr_t *s)
{
  switch (s->phase)
  {
    case P_ESCAPE: return '@';
    case P_EJL_LINE: return s->got < EJL_PREFIX_LEN ? (uint8_t)ejl_prefix[s->got] : '\n';
    case P_TEXT: return ESC; /* a remote exit or an ESC/P-R end record begins */
    case P_HEADER: return s->context == C_ESCPR ? header_safe_byte(s) : 0x00;
    case P_DSND:
    {
      uint64_t size = s->owed - (DSND_HEAD - s->got); /* the data after the header */

      return s->got == 5 ? (uint8_t)(size >> 8) : s->got == 6 ? (uint8_t)size : 0x00;
    }
    case P_RLE: /* a white literal group: its counter, then its pixels */
      return s->run ? WHITE : (uint8_t)((s->owed - 1) / s->bpp - 1);
    default: return 0x00;
  }
}

/* When the next bytes are a run of one value: their count and value (0: no run). */
static uint64_t run_of(const escpr_t *s, uint8_t *byte)
{
  *byte = s->phase == P_PIXELS || s->phase == P_RLE ? WHITE : 0x00;
  switch (s->phase)
  {
    case P_DATA:
    case P_MODE:
    case P_PIXELS: return s->owed;
    case P_RLE:
      if (s->run && s->run == s->owed)
        return s->owed;
      return s->owed - adjust_size(s, (uint32_t)(s->owed - s->run));
    default: return 0;
  }
}

/* true when mid-command; `out` gets the shortest harmless completion. */
static bool escpr_completion(const void *state, fp_completion_t *out)
{
  escpr_t  s;
  uint8_t *buf = out->prefix;
  size_t  *len = &out->prefix_len, max = FP_COMPLETION_PREFIX_MAX;
  bool     filled = false;

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
     completion always agrees with it; the one long run of owed data becomes
     the fill, and what follows it (the end of run-length data, endp, endj,
     a mode's exit) the suffix. */
  while (!idle(&s) && s.phase != P_LOST)
  {
    uint8_t  b;
    uint64_t count = run_of(&s, &b);

    if (count > max - *len)
    {
      if (filled || buf != out->prefix)
        break; /* cannot happen with the driver's records: the reset has to do */
      out->fill_count = count;
      out->fill_byte = b;
      fp_language_feed_repeated(escpr_feed, &s, b, count);
      filled = true;
      buf = out->suffix;
      len = &out->suffix_len;
      max = FP_COMPLETION_SUFFIX_MAX;
      continue;
    }
    if (!count)
    {
      b = safe_byte(&s);
      count = 1;
    }
    if (*len + count > max)
    {
      buf = out->suffix; /* the prefix is full: go on after an empty fill */
      len = &out->suffix_len;
      max = FP_COMPLETION_SUFFIX_MAX;
      filled = true;
      continue;
    }
    memset(buf + *len, b, (size_t)count);
    escpr_feed(&s, buf + *len, (size_t)count);
    *len += (size_t)count;
  }
  if (s.phase == P_LOST)
  {
    /* the header sent so far already claims what the driver never emits
       (a dsnd whose run-length size cannot be whole groups) */
    memset(out, 0, sizeof(*out));
    out->implausible = true;
    out->fill_count = s.owed;
  }
  return true;
}

const fp_language_t fp_language_escpr = {
  .name = "escpr",
  .reset_preset = "escpr",
  .state_size = sizeof(escpr_t),
  .init = escpr_init,
  .feed = escpr_feed,
  .completion = escpr_completion,
  .surplus_fill_harmless = false, /* a surplus byte would shift the records that follow */
};

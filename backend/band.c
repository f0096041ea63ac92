/*
 * The ESC/POS bander (band.h).  An ESC/POS printer prints a GS v 0 raster
 * image row by row as the rows arrive, so a job canceled mid-image leaves
 * the printer owing the rest of the image: completed with white rows, that
 * is blank paper for every row still owed (a receipt sent as one 4000-row
 * image: half a metre).  Sent as bands of at most `rows` rows, the same
 * image owes at most one band.  The result on paper is identical: GS v 0's
 * modes (m = 0..3 and 48..51: normal, double width, double height,
 * quadruple) scale each row of an image by itself, rows are printed one
 * after another whichever image they belong to, and GS v 0 prints at the
 * left of the print area and moves nothing horizontally, so n images of
 * the same width and mode are the n pieces of one.
 *
 * Which bytes are commands is decided by the library's ESC/POS tracker fed
 * with the bytes given out, so a GS inside image data, a form or a barcode
 * is never taken for a command.  A GS v 0 header found at command level is
 * held until it is whole (8 bytes); it is rewritten only when everything
 * about it is ordinary, and the reading that fails safe is taken wherever
 * one is open (the image then passes unchanged, as the job sent it):
 * - another m, or a header that is not whole when the job pauses (a drain,
 *   the end of the job), passes unchanged;
 * - a width of 0 or beyond what the tracker accepts as ESC/POS (1024 bytes
 *   a row) passes unchanged: the tracker treats such an image as not
 *   ESC/POS, and the bander neither allocates nor waits for anything by it
 *   (a 65535 x 65535 header is 8 bytes of state like any other);
 * - an image no taller than a band passes unchanged;
 * - inside a macro definition (GS :) nothing is banded: the printer stores
 *   the bytes, and a rewritten image would be longer than the one defined.
 * A band header is given out only with the first data byte of its band
 * behind it, so a job that stops between bands owes nothing.
 *
 * The other languages' rasters need no banding: ESC * (ESC/POS), ESC/P's
 * ESC * and ESC . / ESC i bands, PCL's ESC * b # W rows, DYMO's SYN lines
 * and ESC/P-R's records are already one band or one row a command, which
 * is what a cancel owes; ZPL ~DG / ^GF, EPL GW and ESC/POS GS ( L, GS 8 L,
 * FS q and GS * store an image that prints only when a later command says
 * so, and completing them prints nothing.
 */

#include "band.h"

#include <string.h>

#define GS 0x1d
#define ESC 0x1b
#define FS 0x1c
#define DLE 0x10
#define ROW_BYTES_MAX 1024 /* the tracker's widest ESC/POS raster row */

/* What a held header turned out to be. */
typedef enum verdict_e
{
  HELD_MORE,  /* not whole yet */
  HELD_PASS,  /* not an image to band: give it out unchanged */
  HELD_BAND   /* a tall ordinary GS v 0 image */
} verdict_t;

/* Start with band height `rows` (0: off). */
void fp_band_init(fp_band_t *b, unsigned rows)
{
  memset(b, 0, sizeof(*b));
  b->rows = rows > FP_BAND_MAX_ROWS ? FP_BAND_MAX_ROWS : rows;
  fp_tracker_init(&b->tracker, &fp_language_escpos);
}

/* Forget everything in progress. */
void fp_band_reset(fp_band_t *b)
{
  fp_band_init(b, b->rows);
}

/* Rows the job announced in the image in progress and never sent. */
uint64_t fp_band_rows_short(const fp_band_t *b)
{
  return b->rows_left;
}

/* Little-endian 16-bit value at `p`. */
static unsigned le16(const uint8_t *p)
{
  return (unsigned)p[0] | (unsigned)p[1] << 8;
}

/* GS v 0 modes whose rows stand alone: normal, double width, double height, quadruple. */
static bool ordinary_mode(uint8_t m)
{
  return m <= 3 || (m >= 48 && m <= 51);
}

/* Judge the header held so far. */
static verdict_t judge(const fp_band_t *b)
{
  const uint8_t *h = b->held;
  size_t         n = b->held_len;
  unsigned       width;

  if ((n > 1 && h[1] != 'v') || (n > 2 && h[2] != '0') || (n > 3 && !ordinary_mode(h[3])))
    return HELD_PASS;
  if (n < FP_BAND_HEADER)
    return HELD_MORE;
  width = le16(h + 4);
  if (width == 0 || width > ROW_BYTES_MAX || le16(h + 6) <= b->rows)
    return HELD_PASS;
  return HELD_BAND;
}

/* Give `n` bytes out: copy them and let the tracker see them. */
static void give(fp_band_t *b, const uint8_t *from, size_t n, uint8_t *out)
{
  memcpy(out, from, n);
  fp_tracker_feed(&b->tracker, from, n);
}

/* Give out the held header unchanged; returns its length. */
static size_t release(fp_band_t *b, uint8_t *out)
{
  size_t n = b->held_len;

  give(b, b->held, n, out);
  b->held_len = 0;
  return n;
}

/* Give out the next band's header (FP_BAND_HEADER bytes). */
static void next_band(fp_band_t *b, uint8_t *out)
{
  uint64_t h = b->rows_left < b->rows ? b->rows_left : b->rows;
  uint8_t  header[FP_BAND_HEADER] = { GS, 'v', '0', b->mode, (uint8_t)(b->width & 0xff),
                                      (uint8_t)(b->width >> 8), (uint8_t)(h & 0xff),
                                      (uint8_t)(h >> 8) };

  give(b, header, sizeof(header), out);
  b->rows_left -= h;
  b->band_left = h * b->width;
  b->bands++;
}

/* Bytes of `in` (`len`) before the first GS (with `any_prefix`: ESC, GS, FS or DLE). */
static size_t text_run(const uint8_t *in, size_t len, bool any_prefix)
{
  const uint8_t *p;

  if (!any_prefix)
    return (p = memchr(in, GS, len)) ? (size_t)(p - in) : len;
  for (size_t i = 0; i < len; i++)
    if (in[i] == GS || in[i] == ESC || in[i] == FS || in[i] == DLE)
      return i;
  return len;
}

/*
 * Outside the held header and the banded image: how many of `avail` input
 * bytes may pass as they are before the next decision, and whether the
 * next byte starts a header to hold (`*hold`).
 */
static size_t plain_run(const fp_band_t *b, const uint8_t *in, size_t avail, bool *hold)
{
  fp_completion_t c = { 0 };
  size_t          n;

  *hold = false;
  if (!fp_tracker_completion(&b->tracker, &c))
  {
    /* at command level, outside a macro: a GS here begins a command */
    n = text_run(in, avail, false);
    *hold = n == 0;
    return n;
  }
  if (c.implausible)
    return avail; /* the tracker follows nothing more: neither does the bander */
  if (c.prefix_len == 0 && c.fill_count > 0)
    return c.fill_count < avail ? (size_t)c.fill_count : avail; /* data of another command */
  if (c.prefix_len == 0)
  {
    n = text_run(in, avail, true); /* text inside a macro definition */
    return n ? n : 1;
  }
  return 1; /* a header byte of another command */
}

/* Take job bytes, give wire bytes (band.h). */
size_t fp_band_run(fp_band_t *b, const uint8_t *in, size_t len, uint8_t *out, size_t size,
                   size_t *given)
{
  size_t i = 0, o = 0;

  if (!b->rows)
  {
    *given = len < size ? len : size;
    memcpy(out, in, *given);
    return *given;
  }
  while (i < len && o < size)
  {
    size_t room = size - o, avail = len - i, n;
    bool   hold;

    if (b->band_left)
    {
      n = b->band_left < avail ? (size_t)b->band_left : avail;
      n = n < room ? n : room;
      give(b, in + i, n, out + o);
      b->band_left -= n;
      i += n;
      o += n;
    }
    else if (b->rows_left || b->held_len)
    {
      if (room < FP_BAND_HEADER)
        break;
      if (b->rows_left)
      {
        next_band(b, out + o);
        o += FP_BAND_HEADER;
        continue;
      }
      b->held[b->held_len++] = in[i++];
      switch (judge(b))
      {
        case HELD_PASS: o += release(b, out + o); break;
        case HELD_BAND:
          b->mode = b->held[3];
          b->width = le16(b->held + 4);
          b->rows_left = le16(b->held + 6);
          b->held_len = 0;
          b->images++;
          break;
        default: break;
      }
    }
    else if ((n = plain_run(b, in + i, avail < room ? avail : room, &hold)) > 0)
    {
      give(b, in + i, n, out + o);
      i += n;
      o += n;
    }
    else if (hold && room >= FP_BAND_HEADER)
    {
      b->held[0] = in[i++];
      b->held_len = 1;
    }
    else
      break;
  }
  *given = o;
  return i;
}

/* Give out the header held, unchanged. */
size_t fp_band_release(fp_band_t *b, uint8_t *out, size_t size)
{
  return b->held_len && size >= b->held_len ? release(b, out) : 0;
}

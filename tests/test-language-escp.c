/*
 * Unit tests for the ESC/P tracker (engine/language-escp.c): every command kind
 * cut at every offset, exact completions of raw and run-length encoded
 * raster data, remote mode, TIFF mode and EJL, parameters and data that
 * look like commands, split feeds, and jobs in the shape rastertoepson and
 * rastertoescpx emit.
 */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check-main.h"
#include "tracker-test.h"

#define ESCP (&fp_language_escp)

/* An idle printer must take a raster command as a command again. */
static void escp_probe(const fp_tracker_t *idle)
{
  static const char raster[] = "\x1b.\x00\x0a\x0a\x01\x10\x00"; /* 1 row of 16 dots */
  fp_tracker_t      t = *idle;
  fp_completion_t   c;

  fp_tracker_feed(&t, raster, sizeof(raster) - 1);
  ck_assert(fp_tracker_completion(&t, &c));
  ck_assert_uint_eq(c.prefix_len, 0);
  ck_assert_uint_eq(c.fill_count, 2);
  fp_tracker_feed(&t, "\x1b\x1b", 2);
  ck_assert(!tt_mid(&t));
}

/* A tracker for ESC/P, whose completions fill with NULs; the test programs share tracker-test.h. */
static void setup(void)
{
  tt_language = ESCP;
  tt_probe = escp_probe;
  tt_fill_byte = 0x00;
}

/* Remote mode as rastertoescpx sends it: enter, three records, exit. */
#define REMOTE_BLOCK \
  "\x1b(R\x08\x00\x00REMOTE1" "ST\x02\x00\x00\x00" "FP\x03\x00\x00\x50\x1b" \
  "CO\x08\x00\x00\x00\x01\x00\x00\x1b\x00\x00" "\x1b\x00\x00\x00"

/* TIFF mode: enter, COLR, XFER of 3 and of 4 bytes, MOVX, MOVX 1, MOVY 2, CR, EXIT. */
#define TIFF_BLOCK \
  "\x1b.\x02\x0a\x0a\x01\x00\x00" "\x81" "\x23\x02\x1b\x1b" "\x31\x04\x03\x1b\xe3\x1b" \
  "\x45" "\x51\x1b" "\x72\x00\x01" "\xe2" "\xe3"

/*
 * One complete command of each kind; parameters and data are ESC (or bytes
 * of other commands) where possible, last where possible, so that taking
 * one for a command would leave the tracker busy or idle at the wrong place.
 */
static const piece_t catalogue[] = {
  CMD("\x1b@"), CMD("\x1b" "E"), CMD("\x1bP"), CMD("\x1bM"), CMD("\x1bg"),
  CMD("\x1b" "0"), CMD("\x1b" "2"), CMD("\x1b<"), CMD("\x1bO"), CMD("\x1bT"),
  CMD("\x1b\x0f"), CMD("\x1b\x0e"), CMD("\x1by"), CMD("\x1b\x7f"), CMD("\x1b\xff"),
  CMD("\x1b!\x1b"), CMD("\x1b-\x1b"), CMD("\x1b" "3\x1b"), CMD("\x1b+\x1b"),
  CMD("\x1b" "A\x1b"), CMD("\x1bJ\x1b"), CMD("\x1bN\x1b"), CMD("\x1bQ\x1b"),
  CMD("\x1bR\x1b"), CMD("\x1bS\x1b"), CMD("\x1bU\x1b"), CMD("\x1bW\x1b"),
  CMD("\x1b" "a\x1b"), CMD("\x1bh\x1b"), CMD("\x1bj\x1b"), CMD("\x1bk\x1b"),
  CMD("\x1bl\x1b"), CMD("\x1bm\x1b"), CMD("\x1bp\x1b"), CMD("\x1bq\x1b"),
  CMD("\x1br\x1b"), CMD("\x1bs\x1b"), CMD("\x1bt\x1b"), CMD("\x1bw\x1b"),
  CMD("\x1bx\x1b"), CMD("\x1b{\x1b"), CMD("\x1b\x19\x1b"), CMD("\x1b \x1b"),
  CMD("\x1b%\x1b"), CMD("\x1b/\x1b"), CMD("\x1bI\x1b"), CMD("\x1b$\x1b\x1b"),
  CMD("\x1b\\\x1b\x1b"), CMD("\x1b?\x1b\x1b"), CMD("\x1b" "c\x1b\x1b"),
  CMD("\x1b" "e\x1b\x1b"), CMD("\x1b" "f\x1b\x1b"), CMD("\x1b:\x00\x1b\x1b"),
  CMD("\x1bX\x1b\x1b\x1b"), CMD("\x1b" "C\x1b"), CMD("\x1b" "C\x00\x1b"),
  CMD("\x1b" "D\x08\x10\x1b\x00"), CMD("\x1b" "B\x02\x1b\x00"),
  CMD("\x1b" "b\x01\x1b\x02\x00"),
  CMD("\x1b&\x00" "AB\x00\x02\x00\x1b\x1b\x1b\x1b\x1b\x1b\x01\x01\x01\x1b\x1b\x1b"),
  CMD("\x1b(G\x01\x00\x01"), CMD("\x1b(U\x05\x00\x04\x04\x04\xa0\x05"),
  CMD("\x1b(c\x04\x00\x1b\x1b\x1b\x1b"), CMD("\x1b(V\x02\x00\x1b\x00"),
  CMD("\x1b(R\x08\x00\x00RXMOTE1"), CMD("\x1b(^\x03\x00\x1b@\x1b"),
  CMD("\x1b*\x00\x02\x00\x1b\x1b"), CMD("\x1b*\x27\x01\x00\x1b\x1b\x1b"),
  CMD("\x1b*\x48\x01\x00\x1b\x1b\x1b\x1b\x1b\x1b"), CMD("\x1bK\x02\x00\x1b\x1b"),
  CMD("\x1bL\x01\x00\x1b"), CMD("\x1bY\x01\x00\x1b"), CMD("\x1bZ\x01\x00\x1b"),
  CMD("\x1b^\x00\x02\x00\x1b\x1b\x1b\x1b"),
  CMD("\x1b.\x00\x0a\x0a\x02\x09\x00\x1b\x1b\x1b\x1b"),
  CMD("\x1b.1\x0a\x0a\x01\x18\x00\x01\x1b\x40\x00\x1b"),
  CMD("\x1b.\x01\x0a\x0a\x02\x10\x00\xfe\x1b\x00\x1b"),
  CMD("\x1b.\x01\x0a\x0a\x00\x10\x00"),
  CMD("\x1bi\x01\x01\x01\x02\x00\x02\x00\xfd\x1b"),
  CMD("\x1bi\x02" "0\x01\x03\x00\x01\x00\x1b\x1b\x1b"),
  CMD("\x1b\x01@EJL 1284.4\n"), CMD("@EJL     \n"),
  CMD(REMOTE_BLOCK), CMD(TIFF_BLOCK),
};

#define CATALOGUE_SIZE (sizeof(catalogue) / sizeof(catalogue[0]))

/* The catalogue, each command after a line end (which also goes between EJL lines). */
static size_t catalogue_job(piece_t *pieces)
{
  return tt_frame(catalogue, CATALOGUE_SIZE, (piece_t)TXT("\r\n"), pieces);
}

START_TEST(catalogue_cut_everywhere)
{
  piece_t pieces[2 * CATALOGUE_SIZE + 1];
  size_t  count = catalogue_job(pieces);

  tt_every_cut_pieces(pieces, count);
  /* text between the commands, too */
  for (size_t i = 0; i < count; i += 2)
    if (i + 1 == count || pieces[i + 1].bytes.data[0] == 0x1b)
      pieces[i] = (piece_t)TXT("ab\x1a\r\n");
  tt_every_cut_pieces(pieces, count);
}
END_TEST

START_TEST(raw_raster_completions)
{
  /* 2 rows of 9 dots: 2 bytes a row */
  bytes_t job = B("\x1b.\x00\x0a\x0a\x02\x09\x00\x1b\x1b\x1b\x1b");

  tt_expect(&job, 1, (bytes_t)B("@"), 0, 0x00);
  tt_expect(&job, 2, (bytes_t)B("\0\0\0\0\0\0"), 0, 0x00);
  tt_expect(&job, 5, (bytes_t)B("\0\0\0"), 0, 0x00);
  tt_expect(&job, 6, (bytes_t)B("\0\0"), 0, 0x00);
  tt_expect(&job, 7, (bytes_t)B("\0"), 4, 0x00); /* nH = 0: 9 dots */
  for (size_t cut = 8; cut < job.len; cut++)
    tt_expect(&job, cut, (bytes_t)B(""), job.len - cut, 0x00);
  tt_expect_idle(&job, job.len);
  /* ESC i: rows of nL+256nH bytes; the compression may be a digit */
  tt_expect(&(bytes_t)B("\x1bi\x02" "0\x01\x03\x01\x02\x00"), 9, (bytes_t)B(""), 2 * 259, 0x00);
  tt_expect(&(bytes_t)B("\x1bi\x02\x00\x01\x03\x00\x02"), 8, (bytes_t)B("\0"), 2 * 3, 0x00);
  /* bit images: 1, 3 or 6 bytes a column, by m */
  tt_expect(&(bytes_t)B("\x1b*\x48\x02\x00"), 5, (bytes_t)B(""), 12, 0x00);
  tt_expect(&(bytes_t)B("\x1b*\x29\x02\x00"), 5, (bytes_t)B(""), 6, 0x00);
  tt_expect(&(bytes_t)B("\x1b*\x01\x02\x01"), 5, (bytes_t)B(""), 258, 0x00);
  tt_expect(&(bytes_t)B("\x1b*\x27\x02"), 4, (bytes_t)B("\0"), 6, 0x00);
  tt_expect(&(bytes_t)B("\x1b^\x00\x03\x00"), 5, (bytes_t)B(""), 6, 0x00);
  tt_expect(&(bytes_t)B("\x1bZ\x03"), 3, (bytes_t)B("\0"), 3, 0x00);
}
END_TEST

START_TEST(rle_raster_completions)
{
  /* 2 rows of 16 dots (4 decoded bytes): a literal run of 2, then a repeat of 2 */
  bytes_t job = B("\x1b.1\x0a\x0a\x02\x10\x00\x01\xaa\xbb\xff\xcc");
  bytes_t overshoot = B("\x1b.\x01\x0a\x0a\x01\x10\x00\x02\x1b\x1b\x1b");

  tt_expect(&job, 7, (bytes_t)B("\0"), 2 * 4, 0x00);
  tt_expect(&job, 8, (bytes_t)B(""), 2 * 4, 0x00);     /* a 0x00 counter and literal each */
  tt_expect(&job, 9, (bytes_t)B(""), 2 + 2 * 2, 0x00); /* the run, then 2 bytes owed */
  tt_expect(&job, 10, (bytes_t)B(""), 1 + 2 * 2, 0x00);
  tt_expect(&job, 11, (bytes_t)B(""), 2 * 2, 0x00);
  tt_expect(&job, 12, (bytes_t)B(""), 1, 0x00);        /* the repeated byte */
  tt_expect_idle(&job, job.len);
  /* a run is taken whole even past the decoded size */
  tt_expect(&overshoot, 9, (bytes_t)B(""), 3, 0x00);
  ck_assert(tt_mid_after(overshoot.data, 11));
  tt_expect_idle(&overshoot, 12);
  tt_expect(&(bytes_t)B("\x1b.\x01\x0a\x0a\x01\x10\x00\x02\x1b\x1b\x1b"
                        "\x1b.\x01\x0a\x0a\x01\x10\x00"),
            20, (bytes_t)B(""), 2 * 2, 0x00);
  /* ESC i, RLE ('1' or 1), 131 bytes: a repeat of 129 (0x80), then of 2 (0xff) */
  tt_expect(&(bytes_t)B("\x1bi\x00" "1\x01\x83\x00\x01\x00\x80"), 10, (bytes_t)B(""), 1 + 2 * 2,
            0x00);
  tt_expect(&(bytes_t)B("\x1bi\x00\x01\x01\x83\x00\x01\x00\x80\x1b"), 11, (bytes_t)B(""), 2 * 2,
            0x00);
  ck_assert(!MID_AFTER("\x1bi\x00\x01\x01\x83\x00\x01\x00\x80\x1b\xff\x1b"));
  /* zero rows: no data at all */
  ck_assert(!MID_AFTER("\x1b.\x01\x0a\x0a\x00\x10\x00"));
  ck_assert(!MID_AFTER("\x1bi\x00\x01\x01\x00\x00\x05\x00"));
}
END_TEST

START_TEST(header_completions)
{
  tt_expect(&(bytes_t)B("\x1b"), 1, (bytes_t)B("@"), 0, 0x00);
  tt_expect(&(bytes_t)B("\x1b" "C"), 2, (bytes_t)B("\0\0"), 0, 0x00); /* ESC C NUL NUL */
  tt_expect(&(bytes_t)B("\x1b" "C\x00"), 3, (bytes_t)B("\0"), 0, 0x00);
  tt_expect(&(bytes_t)B("\x1b$\x05"), 3, (bytes_t)B("\0"), 0, 0x00);
  tt_expect(&(bytes_t)B("\x1bX"), 2, (bytes_t)B("\0\0\0"), 0, 0x00);
  tt_expect(&(bytes_t)B("\x1b("), 2, (bytes_t)B("\0\0\0"), 0, 0x00);
  tt_expect(&(bytes_t)B("\x1b(V"), 3, (bytes_t)B("\0\0"), 0, 0x00);
  tt_expect(&(bytes_t)B("\x1b(c\x04"), 4, (bytes_t)B("\0"), 4, 0x00);
  tt_expect(&(bytes_t)B("\x1b(c\x04\x00\x01"), 6, (bytes_t)B(""), 3, 0x00);
  tt_expect(&(bytes_t)B("\x1b" "D"), 2, (bytes_t)B(""), 1, 0x00);
  tt_expect(&(bytes_t)B("\x1b" "D\x08\x10"), 4, (bytes_t)B(""), 1, 0x00);
  tt_expect(&(bytes_t)B("\x1b" "b"), 2, (bytes_t)B("\0"), 1, 0x00);
  /* ESC & NUL n m: n = m = 0, then a zero-width character; per character a0 a1 a2 */
  tt_expect(&(bytes_t)B("\x1b&"), 2, (bytes_t)B("\0\0\0"), 3, 0x00);
  tt_expect(&(bytes_t)B("\x1b&\x00" "AC"), 5, (bytes_t)B(""), 3 * 3, 0x00);
  tt_expect(&(bytes_t)B("\x1b&\x00" "AC\x00\x02"), 7, (bytes_t)B("\0"), 6 + 2 * 3, 0x00);
  tt_expect(&(bytes_t)B("\x1b&\x00" "AC\x00\x02\x00\x1b"), 9, (bytes_t)B(""), 5 + 2 * 3, 0x00);
  /* a tab list ends with its NUL, or after its longest length */
  {
    char list[40] = "\x1b" "D";

    for (int i = 0; i < 32; i++)
      list[2 + i] = (char)(i + 1);
    ck_assert(tt_mid_after(list, 34) && !tt_mid_after(list, 35));
    list[2 + 16] = 0;
    ck_assert(!tt_mid_after(list, 2 + 17));
    list[1] = 'B';
    ck_assert(tt_mid_after(list, 2 + 16) && !tt_mid_after(list, 2 + 17));
  }
}
END_TEST

START_TEST(remote_mode)
{
  bytes_t enter = B("\x1b(R\x08\x00\x00REMOTE1ST\x02\x00\x00\x00" "FP\x03");
  bytes_t big = B("\x1b(R\x08\x00\x00REMOTE1XX\x20\x00");
  size_t  in = 13; /* remote mode from here */

  /* leaving remote mode is part of every completion in it */
  tt_expect(&enter, in, (bytes_t)B("\x1b\0\0\0"), 0, 0x00);
  tt_expect(&enter, in + 1, (bytes_t)B("\0\0\0\x1b\0\0\0"), 0, 0x00);
  tt_expect(&enter, in + 2, (bytes_t)B("\0\0\x1b\0\0\0"), 0, 0x00);
  tt_expect(&enter, in + 4, (bytes_t)B("\0\0\x1b\0\0\0"), 0, 0x00);
  tt_expect(&enter, in + 5, (bytes_t)B("\0\x1b\0\0\0"), 0, 0x00);
  tt_expect(&enter, in + 6, (bytes_t)B("\x1b\0\0\0"), 0, 0x00);
  tt_expect(&enter, enter.len, (bytes_t)B("\0\0\0\0\x1b\0\0\0"), 0, 0x00);
  tt_expect(&(bytes_t)B("\x1b(R\x08\x00\x00REMOTE1\x1b\x00"), 15, (bytes_t)B("\0\0"), 0, 0x00);
  /* ESC ( R cut in "\0REMOTE1": zeros do not enter remote mode */
  tt_expect(&enter, 4, (bytes_t)B("\0"), 8, 0x00);
  tt_expect(&enter, 5, (bytes_t)B(""), 8, 0x00);
  tt_expect(&enter, 10, (bytes_t)B(""), 3, 0x00);
  {
    fp_tracker_t t = tt_fed(enter.data, 10);

    tt_flush(&t);
    escp_probe(&t);
  }
  ck_assert(!MID_AFTER("\x1b(R\x08\x00\x00REMOTE2" "ST"));
  ck_assert(!MID_AFTER("\x1b(R\x07\x00\x00REMOTE1ST\x02\x00"));
  /* the record's data and the exit fill the prefix (16 bytes) at most */
  tt_expect(&(bytes_t)B("\x1b(R\x08\x00\x00REMOTE1XX\x0c\x00"), 17,
            (bytes_t)B("\0\0\0\0\0\0\0\0\0\0\0\0\x1b\0\0\0"), 0, 0x00);
  /* a record too long for the prefix: its data as the fill, the exit as the suffix */
  tt_expect_suffix(&(bytes_t)B("\x1b(R\x08\x00\x00REMOTE1XX\x0d\x00"), 17, (bytes_t)B(""), 13,
                   0x00, (bytes_t)B("\x1b\0\0\0"));
  tt_expect_suffix(&big, big.len, (bytes_t)B(""), 32, 0x00, (bytes_t)B("\x1b\0\0\0"));
  {
    fp_tracker_t t = tt_fed(big.data, big.len);

    /* the data alone leaves the printer in remote mode, where ESC @ is no reset ... */
    tt_feed_fill(&t, 0, 32);
    fp_tracker_feed(&t, "\x1b@", 2);
    ck_assert(tt_mid(&t));
    /* ... the whole completion leaves it, and the reset then lands */
    t = tt_fed(big.data, big.len);
    tt_flush(&t);
    escp_probe(&t);
  }
}
END_TEST

START_TEST(tiff_mode)
{
  bytes_t job = B(TIFF_BLOCK);

  tt_expect(&job, 3, (bytes_t)B("\0\0\0\0\0\xe3"), 0, 0x00);
  tt_expect(&job, 8, (bytes_t)B("\xe3"), 0, 0x00);
  tt_expect(&job, 9, (bytes_t)B("\xe3"), 0, 0x00);     /* after COLR */
  tt_expect(&job, 10, (bytes_t)B("\0\0\0\xe3"), 0, 0x00);
  tt_expect(&job, 12, (bytes_t)B("\0\xe3"), 0, 0x00);
  tt_expect(&job, 14, (bytes_t)B("\0\xe3"), 0, 0x00);   /* XFER, 1 count byte */
  tt_expect(&job, 15, (bytes_t)B("\0\0\0\0\xe3"), 0, 0x00);
  tt_expect(&job, 21, (bytes_t)B("\0\xe3"), 0, 0x00);   /* MOVX, 1 byte */
  tt_expect(&job, 23, (bytes_t)B("\0\0\xe3"), 0, 0x00); /* MOVY, 2 bytes */
  tt_expect_idle(&job, job.len);
  ck_assert(tt_mid_after(job.data, job.len - 1));
  /* an XFER too long for the prefix: its data as the fill, EXIT as the suffix */
  tt_expect_suffix(&(bytes_t)B("\x1b.2\x0a\x0a\x01\x00\x00\x32\x00\x01"), 11, (bytes_t)B(""),
                   256, 0x00, (bytes_t)B("\xe3"));
}
END_TEST

START_TEST(ejl_lines)
{
  bytes_t job = B("\0\0\0\x1b\x01@EJL 1284.4\n@EJL     \n\x1b@");

  tt_expect(&job, 4, (bytes_t)B("@"), 0, 0x00);
  tt_expect(&job, 5, (bytes_t)B("@EJL\n"), 0, 0x00);
  tt_expect(&job, 7, (bytes_t)B("JL\n"), 0, 0x00);
  tt_expect(&job, 9, (bytes_t)B("\n"), 0, 0x00);
  tt_expect(&job, 16, (bytes_t)B("\n"), 0, 0x00);
  tt_expect_idle(&job, 17);
  tt_expect(&job, 18, (bytes_t)B("EJL\n"), 0, 0x00);
  tt_expect_idle(&job, job.len);
  /* anything but "@EJL" at the start of a line is ESC/P again */
  ck_assert(MID_AFTER("\x1b\x01@EJL\n\x1b*\x00\x01\x00"));
  ck_assert(MID_AFTER("\x1b\x01\x1b*\x00\x01\x00"));
  ck_assert(!MID_AFTER("\x1b\x01@EJL\n\r\nText"));
}
END_TEST

/* rastertoepson, 24-pin at 360 dpi: ESC * 72/73 bands, ESC $ positions, reset. */
static const piece_t epson24_job[] = {
  CMD("\x1b@"), CMD("\x1bP"), TXT("\x12"), CMD("\x1bx1"), CMD("\x1bU1"),
  CMD("\x1bl\x00"), CMD("\x1bQ\x55"), CMD("\x1b" "2"), CMD("\x1b" "CB"),
  CMD("\x1bN\x00"), CMD("\x1bO"), CMD("\x1b+\x08"), TXT("\n\n\n"),
  CMD("\x1b$\x2e\x00"), CMD("\x1b*\x48\x02\x00\x00\x1b\x1f\x00\x00\x00\x1f\x00\x1b\x00\x00"
                                   "\x00"),
  TXT("\n"), CMD("\x1b$\x1b\x00"), CMD("\x1b*\x49\x01\x00\x1b\x1b\x1b\x1b\x1b\x1b"),
  TXT("\n\n\n\n\f"), CMD("\x1b@"),
};

/* rastertoepson, 9-pin at 120 dpi: interleaved ESC * 1 passes. */
static const piece_t epson9_job[] = {
  CMD("\x1b@"), CMD("\x1bP"), TXT("\x12"), CMD("\x1bx0"), CMD("\x1bU0"),
  CMD("\x1b" "3\x18"), TXT("\r"), CMD("\x1b*\x01\x03\x00\x1b\x00\x1b"), TXT("\r"),
  CMD("\x1b*\x01\x03\x00\x00\x1b\x00"), TXT("\n\f"), CMD("\x1b@"),
};

/* rastertoepson, Stylus Color (ESC .) with color selection and RLE rows. */
static const piece_t stylus_job[] = {
  CMD("\x1b@"), CMD("\x1b(G\x01\x00\x01"), CMD("\x1b(U\x01\x00\x0a"),
  CMD("\x1b(C\x02\x00\x78\x0f"), CMD("\x1b(c\x04\x00\x5a\x00\x78\x0f"),
  CMD("\x1b(i\x01\x00\x01"), CMD("\x1b(e\x02\x00\x00\x01"),
  CMD("\x1b(V\x02\x00\x00\x00"), CMD("\x1b(v\x02\x00\x1a\x01"), TXT("\r"),
  CMD("\x1br\x02"), CMD("\x1b.\x00\x0a\x0a\x01\x10\x00\x1b\x1b"), TXT("\r"),
  CMD("\x1b(r\x02\x00\x01\x01"),
  CMD("\x1b.\x01\x0a\x0a\x01\x40\x00\xfd\x1b\x01\x1b\x2e\xff\x00"),
  CMD("\x1b(v\x02\x00\x01\x00"), TXT("\f"), CMD("\x1b@"),
};

/* rastertoepson, newer Stylus on USB: exit packet mode, ESC i rows. */
static const piece_t stylus_i_job[] = {
  TXT("\0\0\0"), CMD("\x1b\x01@EJL 1284.4\n"), CMD("@EJL     \n"), CMD("\x1b@"),
  CMD("\x1b@"), CMD("\x1b(G\x01\x00\x01"), CMD("\x1b(U\x05\x00\x02\x02\x02\xa0\x05"),
  CMD("\x1b(V\x02\x00\x00\x00"), TXT("\r"),
  CMD("\x1bi\x00\x00\x01\x04\x00\x01\x00\x1b\x01\x40\x45"), TXT("\r"),
  CMD("\x1bi\x01\x01\x01\x08\x00\x01\x00\xf9\x1b"), TXT("\f"), CMD("\x1b@"),
};

/* rastertoescpx, remote mode and ESC i with '1' compression, relative moves. */
static const piece_t escpx_job[] = {
  TXT("\0\0\0"), CMD("\x1b\x01@EJL 1284.4\n"), CMD("@EJL     \n"), CMD("\x1b@"),
  CMD("\x1b@"), CMD(REMOTE_BLOCK), CMD("\x1b(G\x01\x00\x01"),
  CMD("\x1b(S\x08\x00\xf4\x0b\x00\x00\x78\x0f\x00\x00"),
  CMD("\x1b(c\x08\x00\x5a\x00\x00\x00\x78\x0f\x00\x00"), CMD("\x1bU\x01"),
  CMD("\x1b(K\x02\x00\x00\x02"), CMD("\x1b(D\x04\x00\xa0\x05\x04\x04"), TXT("\r"),
  CMD("\x1b(\\\x04\x00\xa0\x05\x10\x00"),
  CMD("\x1bi\x04" "1\x01\x06\x00\x01\x00\xfd\x1b\x01\x1b\x1b"),
  CMD("\x1b(v\x02\x00\x01\x00"), TXT("\r"), CMD("\x1b\\\x08\x00"),
  CMD("\x1b.1\x0a\x0a\x01\x10\x00\x01\x1b\x1b"), TXT("\f"), CMD("\x1b@"),
  CMD("\x1b(R\x08\x00\x00REMOTE1LD\x00\x00\x1b\x00\x00\x00"),
};

/* commandtoescpx: head cleaning, nozzle check, ink query in remote mode. */
static const piece_t maintenance_job[] = {
  TXT("\0\0\0"), CMD("\x1b\x01@EJL 1284.4\n"), CMD("@EJL     \n"), CMD("\x1b@"),
  CMD("\x1b@"),
  CMD("\x1b(R\x08\x00\x00REMOTE1" "CH\x02\x00\x00\x00" "DT\x03\x00\x00\x00\x00"
         "VI\x02\x00\x00\x00" "NC\x02\x00\x00\x00" "IQ\x01\x00\x01" "\x1b\x00\x00\x00"),
  TXT("\r\n\f"), CMD("\x1b@"),
};

START_TEST(driver_jobs)
{
  tt_driver_job(PIECES(maintenance_job));
  tt_driver_job(PIECES(epson24_job));
  tt_driver_job(PIECES(epson9_job));
  tt_driver_job(PIECES(stylus_job));
  tt_driver_job(PIECES(stylus_i_job));
  tt_driver_job(PIECES(escpx_job));
}
END_TEST

START_TEST(long_data_is_skipped)
{
  /* 1024 rows of 65535 bytes: within the bounds (4096 rows, 64 MiB) */
  fp_tracker_t t = tt_fed("\x1bi\x00\x00\x01\xff\xff\x00\x04", 9);

  tt_feed_fill(&t, 0x1b, 65535ull * 1024 - 1);
  ck_assert(tt_mid(&t));
  fp_tracker_feed(&t, "\x1b", 1);
  ck_assert(!tt_mid(&t));
  ck_assert_uint_eq(t.accepted, 9 + 65535ull * 1024);
  /* RLE: literal runs are skipped whole; 65535 x 1024 decoded bytes owed */
  t = tt_fed("\x1bi\x00\x01\x01\xff\xff\x00\x04\x7f", 10);
  {
    fp_completion_t c;

    ck_assert(fp_tracker_completion(&t, &c));
    ck_assert_uint_eq(c.fill_count, 128 + 2 * (65535ull * 1024 - 128));
  }
}
END_TEST

START_TEST(bounds)
{
  fp_tracker_t    t;
  fp_completion_t c;

  /* ESC i: at most 4096 rows and 64 MiB a band */
  tt_expect(&(bytes_t)B("\x1bi\x00\x00\x01\x00\x40\x00\x10"), 9, (bytes_t)B(""), 64ull << 20, 0);
  tt_expect(&(bytes_t)B("\x1bi\x00\x00\x01\x01\x00\x00\x10"), 9, (bytes_t)B(""), 4096, 0);
  tt_expect_implausible(&(bytes_t)B("\x1bi\x00\x00\x01\x01\x00\x01\x10"), 4097);
  tt_expect_implausible(&(bytes_t)B("\x1bi\x00\x00\x01\xff\xff\x01\x04"), 65535ull * 1025);
  tt_expect_implausible(&(bytes_t)B("\x1bi\x00\x01\x01\xff\xff\xff\xff"), 65535ull * 65535);
  /* TIFF mode XFER: at most 1 MiB */
  tt_expect_suffix(&(bytes_t)B("\x1b.\x02\x00\x00\x00\x00\x00\x34\x00\x00\x10\x00"), 13,
                   (bytes_t)B(""), 1u << 20, 0, (bytes_t)B("\xe3"));
  tt_expect_implausible(&(bytes_t)B("\x1b.\x02\x00\x00\x00\x00\x00\x34\x01\x00\x10\x00"),
                        (1u << 20) + 1);
  /* cut in an XFER count whose bytes so far are already beyond: implausible */
  t = tt_fed("\x1b.\x02\x00\x00\x00\x00\x00\x34\x00\x00\x20", 12);
  ck_assert(fp_tracker_completion(&t, &c));
  ck_assert(c.implausible);
  ck_assert_uint_eq(c.prefix_len + c.suffix_len, 0);
  /* ESC . is bounded by its own width: 255 rows of 65535 dots */
  tt_expect(&(bytes_t)B("\x1b.\x00\x0a\x0a\xff\xff\xff"), 8, (bytes_t)B(""), 255ull * 8192, 0);
  /* no resynchronisation */
  ck_assert_ptr_null(ESCP->resync);
}
END_TEST

START_TEST(text_is_not_mid_command)
{
  char         text[256];
  fp_tracker_t t;

  for (int i = 0; i < 256; i++)
    text[i] = (char)(i == 0x1b ? 'x' : i);
  t = tt_fed(text, sizeof(text));
  ck_assert(!tt_mid(&t));
  escp_probe(&t);
}
END_TEST

START_TEST(split_feeds_are_equivalent)
{
  static uint8_t job[8192];
  piece_t        pieces[2 * CATALOGUE_SIZE + 1];
  size_t         len = 0;

  tt_append_pieces(job, sizeof(job), &len, pieces, catalogue_job(pieces), NULL, NULL);
  tt_append_pieces(job, sizeof(job), &len, PIECES(escpx_job), NULL, NULL);
  tt_append_pieces(job, sizeof(job), &len, PIECES(stylus_job), NULL, NULL);
  tt_split_feeds(job, len);
}
END_TEST

START_TEST(registration)
{
  tt_registered("escp");
  ck_assert_ptr_eq(fp_language_find("ESCP"), ESCP);
  ck_assert(ESCP->surplus_fill_harmless);
  tt_reset_is((bytes_t)B("\x1b@"));
}
END_TEST

/* The suite. */
static Suite *escp_suite(void)
{
  Suite *s = suite_create("language-escp");
  TCase *tc = tcase_create("escp");

  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, catalogue_cut_everywhere);
  tcase_add_test(tc, raw_raster_completions);
  tcase_add_test(tc, rle_raster_completions);
  tcase_add_test(tc, header_completions);
  tcase_add_test(tc, remote_mode);
  tcase_add_test(tc, tiff_mode);
  tcase_add_test(tc, ejl_lines);
  tcase_add_test(tc, driver_jobs);
  tcase_add_test(tc, long_data_is_skipped);
  tcase_add_test(tc, bounds);
  tcase_add_test(tc, text_is_not_mid_command);
  tcase_add_test(tc, split_feeds_are_equivalent);
  tcase_add_test(tc, registration);
  suite_add_tcase(s, tc);
  return s;
}

/* Run the suite; exit status 0 only when every test passed. */
int main(void)
{
  return fp_run_suite(escp_suite());
}

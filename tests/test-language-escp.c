/*
 * Unit tests for the ESC/P tracker (lib/language-escp.c): every command kind
 * cut at every offset, exact completions of raw and run-length encoded
 * raster data, remote mode, TIFF mode and EJL, parameters and data that
 * look like commands, split feeds, and jobs in the shape rastertoepson and
 * rastertoescpx emit.
 */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check-main.h"
#include "language-check.h"
#include "reset.h"

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
  ck_assert(!lc_mid(&t));
}

/* true when the tracker, fed `len` bytes of `data`, reports a half-sent command. */
static bool mid_after(const char *data, size_t len)
{
  fp_tracker_t t = lc_fed(ESCP, data, len);

  return lc_mid(&t);
}

#define MID_AFTER(literal) mid_after(literal, sizeof(literal) - 1)

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
static const lc_piece_t catalogue[] = {
  LC_CMD("\x1b@"), LC_CMD("\x1b" "E"), LC_CMD("\x1bP"), LC_CMD("\x1bM"), LC_CMD("\x1bg"),
  LC_CMD("\x1b" "0"), LC_CMD("\x1b" "2"), LC_CMD("\x1b<"), LC_CMD("\x1bO"), LC_CMD("\x1bT"),
  LC_CMD("\x1b\x0f"), LC_CMD("\x1b\x0e"), LC_CMD("\x1by"), LC_CMD("\x1b\x7f"), LC_CMD("\x1b\xff"),
  LC_CMD("\x1b!\x1b"), LC_CMD("\x1b-\x1b"), LC_CMD("\x1b" "3\x1b"), LC_CMD("\x1b+\x1b"),
  LC_CMD("\x1b" "A\x1b"), LC_CMD("\x1bJ\x1b"), LC_CMD("\x1bN\x1b"), LC_CMD("\x1bQ\x1b"),
  LC_CMD("\x1bR\x1b"), LC_CMD("\x1bS\x1b"), LC_CMD("\x1bU\x1b"), LC_CMD("\x1bW\x1b"),
  LC_CMD("\x1b" "a\x1b"), LC_CMD("\x1bh\x1b"), LC_CMD("\x1bj\x1b"), LC_CMD("\x1bk\x1b"),
  LC_CMD("\x1bl\x1b"), LC_CMD("\x1bm\x1b"), LC_CMD("\x1bp\x1b"), LC_CMD("\x1bq\x1b"),
  LC_CMD("\x1br\x1b"), LC_CMD("\x1bs\x1b"), LC_CMD("\x1bt\x1b"), LC_CMD("\x1bw\x1b"),
  LC_CMD("\x1bx\x1b"), LC_CMD("\x1b{\x1b"), LC_CMD("\x1b\x19\x1b"), LC_CMD("\x1b \x1b"),
  LC_CMD("\x1b%\x1b"), LC_CMD("\x1b/\x1b"), LC_CMD("\x1bI\x1b"), LC_CMD("\x1b$\x1b\x1b"),
  LC_CMD("\x1b\\\x1b\x1b"), LC_CMD("\x1b?\x1b\x1b"), LC_CMD("\x1b" "c\x1b\x1b"),
  LC_CMD("\x1b" "e\x1b\x1b"), LC_CMD("\x1b" "f\x1b\x1b"), LC_CMD("\x1b:\x00\x1b\x1b"),
  LC_CMD("\x1bX\x1b\x1b\x1b"), LC_CMD("\x1b" "C\x1b"), LC_CMD("\x1b" "C\x00\x1b"),
  LC_CMD("\x1b" "D\x08\x10\x1b\x00"), LC_CMD("\x1b" "B\x02\x1b\x00"),
  LC_CMD("\x1b" "b\x01\x1b\x02\x00"),
  LC_CMD("\x1b&\x00" "AB\x00\x02\x00\x1b\x1b\x1b\x1b\x1b\x1b\x01\x01\x01\x1b\x1b\x1b"),
  LC_CMD("\x1b(G\x01\x00\x01"), LC_CMD("\x1b(U\x05\x00\x04\x04\x04\xa0\x05"),
  LC_CMD("\x1b(c\x04\x00\x1b\x1b\x1b\x1b"), LC_CMD("\x1b(V\x02\x00\x1b\x00"),
  LC_CMD("\x1b(R\x08\x00\x00RXMOTE1"), LC_CMD("\x1b(^\x03\x00\x1b@\x1b"),
  LC_CMD("\x1b*\x00\x02\x00\x1b\x1b"), LC_CMD("\x1b*\x27\x01\x00\x1b\x1b\x1b"),
  LC_CMD("\x1b*\x48\x01\x00\x1b\x1b\x1b\x1b\x1b\x1b"), LC_CMD("\x1bK\x02\x00\x1b\x1b"),
  LC_CMD("\x1bL\x01\x00\x1b"), LC_CMD("\x1bY\x01\x00\x1b"), LC_CMD("\x1bZ\x01\x00\x1b"),
  LC_CMD("\x1b^\x00\x02\x00\x1b\x1b\x1b\x1b"),
  LC_CMD("\x1b.\x00\x0a\x0a\x02\x09\x00\x1b\x1b\x1b\x1b"),
  LC_CMD("\x1b.1\x0a\x0a\x01\x18\x00\x01\x1b\x40\x00\x1b"),
  LC_CMD("\x1b.\x01\x0a\x0a\x02\x10\x00\xfe\x1b\x00\x1b"),
  LC_CMD("\x1b.\x01\x0a\x0a\x00\x10\x00"),
  LC_CMD("\x1bi\x01\x01\x01\x02\x00\x02\x00\xfd\x1b"),
  LC_CMD("\x1bi\x02" "0\x01\x03\x00\x01\x00\x1b\x1b\x1b"),
  LC_CMD("\x1b\x01@EJL 1284.4\n"), LC_CMD("@EJL     \n"),
  LC_CMD(REMOTE_BLOCK), LC_CMD(TIFF_BLOCK),
};

#define CATALOGUE_SIZE (sizeof(catalogue) / sizeof(catalogue[0]))

/* The catalogue, each command after a line end (which also goes between EJL lines). */
static size_t catalogue_job(lc_piece_t *pieces)
{
  return lc_frame(catalogue, CATALOGUE_SIZE, (lc_piece_t)LC_TXT("\r\n"), pieces);
}

START_TEST(catalogue_cut_everywhere)
{
  lc_piece_t pieces[2 * CATALOGUE_SIZE + 1];
  size_t     count = catalogue_job(pieces);

  lc_check_pieces(ESCP, pieces, count, escp_probe);
  /* text between the commands, too */
  for (size_t i = 0; i < count; i += 2)
    if (i + 1 == count || pieces[i + 1].data[0] == 0x1b)
      pieces[i] = (lc_piece_t)LC_TXT("ab\x1a\r\n");
  lc_check_pieces(ESCP, pieces, count, escp_probe);
}
END_TEST

START_TEST(raw_raster_completions)
{
  /* 2 rows of 9 dots: 2 bytes a row */
  lc_bytes_t job = LC_B("\x1b.\x00\x0a\x0a\x02\x09\x00\x1b\x1b\x1b\x1b");

  lc_expect_completion(ESCP, job, 1, LC_B("@"), 0);
  lc_expect_completion(ESCP, job, 2, LC_B("\0\0\0\0\0\0"), 0);
  lc_expect_completion(ESCP, job, 5, LC_B("\0\0\0"), 0);
  lc_expect_completion(ESCP, job, 6, LC_B("\0\0"), 0);
  lc_expect_completion(ESCP, job, 7, LC_B("\0"), 4); /* nH = 0: 9 dots */
  for (size_t cut = 8; cut < job.len; cut++)
    lc_expect_completion(ESCP, job, cut, LC_B(""), job.len - cut);
  ck_assert(!mid_after(job.data, job.len));
  /* ESC i: rows of nL+256nH bytes; the compression may be a digit */
  lc_expect_completion(ESCP, LC_B("\x1bi\x02" "0\x01\x03\x01\x02\x00"), 9, LC_B(""), 2 * 259);
  lc_expect_completion(ESCP, LC_B("\x1bi\x02\x00\x01\x03\x00\x02"), 8, LC_B("\0"), 2 * 3);
  /* bit images: 1, 3 or 6 bytes a column, by m */
  lc_expect_completion(ESCP, LC_B("\x1b*\x48\x02\x00"), 5, LC_B(""), 12);
  lc_expect_completion(ESCP, LC_B("\x1b*\x29\x02\x00"), 5, LC_B(""), 6);
  lc_expect_completion(ESCP, LC_B("\x1b*\x01\x02\x01"), 5, LC_B(""), 258);
  lc_expect_completion(ESCP, LC_B("\x1b*\x27\x02"), 4, LC_B("\0"), 6);
  lc_expect_completion(ESCP, LC_B("\x1b^\x00\x03\x00"), 5, LC_B(""), 6);
  lc_expect_completion(ESCP, LC_B("\x1bZ\x03"), 3, LC_B("\0"), 3);
}
END_TEST

START_TEST(rle_raster_completions)
{
  /* 2 rows of 16 dots (4 decoded bytes): a literal run of 2, then a repeat of 2 */
  lc_bytes_t job = LC_B("\x1b.1\x0a\x0a\x02\x10\x00\x01\xaa\xbb\xff\xcc");
  lc_bytes_t overshoot = LC_B("\x1b.\x01\x0a\x0a\x01\x10\x00\x02\x1b\x1b\x1b");

  lc_expect_completion(ESCP, job, 7, LC_B("\0"), 2 * 4);
  lc_expect_completion(ESCP, job, 8, LC_B(""), 2 * 4);   /* a 0x00 counter and literal each */
  lc_expect_completion(ESCP, job, 9, LC_B(""), 2 + 2 * 2); /* the run, then 2 bytes owed */
  lc_expect_completion(ESCP, job, 10, LC_B(""), 1 + 2 * 2);
  lc_expect_completion(ESCP, job, 11, LC_B(""), 2 * 2);
  lc_expect_completion(ESCP, job, 12, LC_B(""), 1);      /* the repeated byte */
  ck_assert(!mid_after(job.data, job.len));
  /* a run is taken whole even past the decoded size */
  lc_expect_completion(ESCP, overshoot, 9, LC_B(""), 3);
  ck_assert(mid_after(overshoot.data, 11));
  ck_assert(!mid_after(overshoot.data, 12));
  lc_expect_completion(ESCP, LC_B("\x1b.\x01\x0a\x0a\x01\x10\x00\x02\x1b\x1b\x1b"
                                  "\x1b.\x01\x0a\x0a\x01\x10\x00"), 20, LC_B(""), 2 * 2);
  /* ESC i, RLE ('1' or 1), 131 bytes: a repeat of 129 (0x80), then of 2 (0xff) */
  lc_expect_completion(ESCP, LC_B("\x1bi\x00" "1\x01\x83\x00\x01\x00\x80"), 10, LC_B(""),
                       1 + 2 * 2);
  lc_expect_completion(ESCP, LC_B("\x1bi\x00\x01\x01\x83\x00\x01\x00\x80\x1b"), 11, LC_B(""),
                       2 * 2);
  ck_assert(!MID_AFTER("\x1bi\x00\x01\x01\x83\x00\x01\x00\x80\x1b\xff\x1b"));
  /* zero rows: no data at all */
  ck_assert(!MID_AFTER("\x1b.\x01\x0a\x0a\x00\x10\x00"));
  ck_assert(!MID_AFTER("\x1bi\x00\x01\x01\x00\x00\x05\x00"));
}
END_TEST

START_TEST(header_completions)
{
  lc_expect_completion(ESCP, LC_B("\x1b"), 1, LC_B("@"), 0);
  lc_expect_completion(ESCP, LC_B("\x1b" "C"), 2, LC_B("\0\0"), 0); /* ESC C NUL NUL */
  lc_expect_completion(ESCP, LC_B("\x1b" "C\x00"), 3, LC_B("\0"), 0);
  lc_expect_completion(ESCP, LC_B("\x1b$\x05"), 3, LC_B("\0"), 0);
  lc_expect_completion(ESCP, LC_B("\x1bX"), 2, LC_B("\0\0\0"), 0);
  lc_expect_completion(ESCP, LC_B("\x1b("), 2, LC_B("\0\0\0"), 0);
  lc_expect_completion(ESCP, LC_B("\x1b(V"), 3, LC_B("\0\0"), 0);
  lc_expect_completion(ESCP, LC_B("\x1b(c\x04"), 4, LC_B("\0"), 4);
  lc_expect_completion(ESCP, LC_B("\x1b(c\x04\x00\x01"), 6, LC_B(""), 3);
  lc_expect_completion(ESCP, LC_B("\x1b" "D"), 2, LC_B(""), 1);
  lc_expect_completion(ESCP, LC_B("\x1b" "D\x08\x10"), 4, LC_B(""), 1);
  lc_expect_completion(ESCP, LC_B("\x1b" "b"), 2, LC_B("\0"), 1);
  /* ESC & NUL n m: n = m = 0, then a zero-width character; per character a0 a1 a2 */
  lc_expect_completion(ESCP, LC_B("\x1b&"), 2, LC_B("\0\0\0"), 3);
  lc_expect_completion(ESCP, LC_B("\x1b&\x00" "AC"), 5, LC_B(""), 3 * 3);
  lc_expect_completion(ESCP, LC_B("\x1b&\x00" "AC\x00\x02"), 7, LC_B("\0"), 6 + 2 * 3);
  lc_expect_completion(ESCP, LC_B("\x1b&\x00" "AC\x00\x02\x00\x1b"), 9, LC_B(""), 5 + 2 * 3);
  /* a tab list ends with its NUL, or after its longest length */
  {
    char list[40] = "\x1b" "D";

    for (int i = 0; i < 32; i++)
      list[2 + i] = (char)(i + 1);
    ck_assert(mid_after(list, 34) && !mid_after(list, 35));
    list[2 + 16] = 0;
    ck_assert(!mid_after(list, 2 + 17));
    list[1] = 'B';
    ck_assert(mid_after(list, 2 + 16) && !mid_after(list, 2 + 17));
  }
}
END_TEST

START_TEST(remote_mode)
{
  lc_bytes_t enter = LC_B("\x1b(R\x08\x00\x00REMOTE1ST\x02\x00\x00\x00" "FP\x03");
  lc_bytes_t big = LC_B("\x1b(R\x08\x00\x00REMOTE1XX\x20\x00");
  size_t     in = 13; /* remote mode from here */

  /* leaving remote mode is part of every completion in it */
  lc_expect_completion(ESCP, enter, in, LC_B("\x1b\0\0\0"), 0);
  lc_expect_completion(ESCP, enter, in + 1, LC_B("\0\0\0\x1b\0\0\0"), 0);
  lc_expect_completion(ESCP, enter, in + 2, LC_B("\0\0\x1b\0\0\0"), 0);
  lc_expect_completion(ESCP, enter, in + 4, LC_B("\0\0\x1b\0\0\0"), 0);
  lc_expect_completion(ESCP, enter, in + 5, LC_B("\0\x1b\0\0\0"), 0);
  lc_expect_completion(ESCP, enter, in + 6, LC_B("\x1b\0\0\0"), 0);
  lc_expect_completion(ESCP, enter, enter.len, LC_B("\0\0\0\0\x1b\0\0\0"), 0);
  lc_expect_completion(ESCP, LC_B("\x1b(R\x08\x00\x00REMOTE1\x1b\x00"), 15, LC_B("\0\0"), 0);
  /* ESC ( R cut in "\0REMOTE1": zeros do not enter remote mode */
  lc_expect_completion(ESCP, enter, 4, LC_B("\0"), 8);
  lc_expect_completion(ESCP, enter, 5, LC_B(""), 8);
  lc_expect_completion(ESCP, enter, 10, LC_B(""), 3);
  {
    fp_tracker_t t = lc_fed(ESCP, enter.data, 10);

    lc_flush(&t);
    escp_probe(&t);
  }
  ck_assert(!MID_AFTER("\x1b(R\x08\x00\x00REMOTE2" "ST"));
  ck_assert(!MID_AFTER("\x1b(R\x07\x00\x00REMOTE1ST\x02\x00"));
  /* the record's data and the exit fill the prefix (16 bytes) at most */
  lc_expect_completion(ESCP, LC_B("\x1b(R\x08\x00\x00REMOTE1XX\x0c\x00"), 17,
                       LC_B("\0\0\0\0\0\0\0\0\0\0\0\0\x1b\0\0\0"), 0);
  lc_expect_completion(ESCP, LC_B("\x1b(R\x08\x00\x00REMOTE1XX\x0d\x00"), 17, LC_B(""), 13);
  /* a record too long for the prefix gets its data only: still in remote mode after */
  lc_expect_completion(ESCP, big, big.len, LC_B(""), 32);
  {
    fp_tracker_t t = lc_fed(ESCP, big.data, big.len);

    /* the completion then the reset leave the printer in remote mode ... */
    lc_feed_fill(&t, 0, 32);
    fp_tracker_feed(&t, "\x1b@", 2);
    ck_assert(lc_mid(&t));
    /* ... from which the next completion leaves */
    t = lc_fed(ESCP, big.data, big.len);
    lc_feed_fill(&t, 0, 32);
    lc_expect_completion(ESCP, LC_B("\x1b(R\x08\x00\x00REMOTE1XX\x20\x00" "0123456789abcdef"
                                    "0123456789abcdef"), 17 + 32, LC_B("\x1b\0\0\0"), 0);
    lc_flush(&t);
    escp_probe(&t);
  }
}
END_TEST

START_TEST(tiff_mode)
{
  lc_bytes_t job = LC_B(TIFF_BLOCK);

  lc_expect_completion(ESCP, job, 3, LC_B("\0\0\0\0\0\xe3"), 0);
  lc_expect_completion(ESCP, job, 8, LC_B("\xe3"), 0);
  lc_expect_completion(ESCP, job, 9, LC_B("\xe3"), 0);   /* after COLR */
  lc_expect_completion(ESCP, job, 10, LC_B("\0\0\0\xe3"), 0);
  lc_expect_completion(ESCP, job, 12, LC_B("\0\xe3"), 0);
  lc_expect_completion(ESCP, job, 14, LC_B("\0\xe3"), 0); /* XFER, 1 count byte */
  lc_expect_completion(ESCP, job, 15, LC_B("\0\0\0\0\xe3"), 0);
  lc_expect_completion(ESCP, job, 21, LC_B("\0\xe3"), 0); /* MOVX, 1 byte */
  lc_expect_completion(ESCP, job, 23, LC_B("\0\0\xe3"), 0); /* MOVY, 2 bytes */
  ck_assert(!mid_after(job.data, job.len));
  ck_assert(mid_after(job.data, job.len - 1));
  /* an XFER too long for the prefix gets its data only */
  lc_expect_completion(ESCP, LC_B("\x1b.2\x0a\x0a\x01\x00\x00\x32\x00\x01"), 11, LC_B(""), 256);
}
END_TEST

START_TEST(ejl_lines)
{
  lc_bytes_t job = LC_B("\0\0\0\x1b\x01@EJL 1284.4\n@EJL     \n\x1b@");

  lc_expect_completion(ESCP, job, 4, LC_B("@"), 0);
  lc_expect_completion(ESCP, job, 5, LC_B("@EJL\n"), 0);
  lc_expect_completion(ESCP, job, 7, LC_B("JL\n"), 0);
  lc_expect_completion(ESCP, job, 9, LC_B("\n"), 0);
  lc_expect_completion(ESCP, job, 16, LC_B("\n"), 0);
  ck_assert(!mid_after(job.data, 17));
  lc_expect_completion(ESCP, job, 18, LC_B("EJL\n"), 0);
  ck_assert(!mid_after(job.data, job.len));
  /* anything but "@EJL" at the start of a line is ESC/P again */
  ck_assert(MID_AFTER("\x1b\x01@EJL\n\x1b*\x00\x01\x00"));
  ck_assert(MID_AFTER("\x1b\x01\x1b*\x00\x01\x00"));
  ck_assert(!MID_AFTER("\x1b\x01@EJL\n\r\nText"));
}
END_TEST

/* rastertoepson, 24-pin at 360 dpi: ESC * 72/73 bands, ESC $ positions, reset. */
static const lc_piece_t epson24_job[] = {
  LC_CMD("\x1b@"), LC_CMD("\x1bP"), LC_TXT("\x12"), LC_CMD("\x1bx1"), LC_CMD("\x1bU1"),
  LC_CMD("\x1bl\x00"), LC_CMD("\x1bQ\x55"), LC_CMD("\x1b" "2"), LC_CMD("\x1b" "CB"),
  LC_CMD("\x1bN\x00"), LC_CMD("\x1bO"), LC_CMD("\x1b+\x08"), LC_TXT("\n\n\n"),
  LC_CMD("\x1b$\x2e\x00"), LC_CMD("\x1b*\x48\x02\x00\x00\x1b\x1f\x00\x00\x00\x1f\x00\x1b\x00\x00"
                                   "\x00"),
  LC_TXT("\n"), LC_CMD("\x1b$\x1b\x00"), LC_CMD("\x1b*\x49\x01\x00\x1b\x1b\x1b\x1b\x1b\x1b"),
  LC_TXT("\n\n\n\n\f"), LC_CMD("\x1b@"),
};

/* rastertoepson, 9-pin at 120 dpi: interleaved ESC * 1 passes. */
static const lc_piece_t epson9_job[] = {
  LC_CMD("\x1b@"), LC_CMD("\x1bP"), LC_TXT("\x12"), LC_CMD("\x1bx0"), LC_CMD("\x1bU0"),
  LC_CMD("\x1b" "3\x18"), LC_TXT("\r"), LC_CMD("\x1b*\x01\x03\x00\x1b\x00\x1b"), LC_TXT("\r"),
  LC_CMD("\x1b*\x01\x03\x00\x00\x1b\x00"), LC_TXT("\n\f"), LC_CMD("\x1b@"),
};

/* rastertoepson, Stylus Color (ESC .) with color selection and RLE rows. */
static const lc_piece_t stylus_job[] = {
  LC_CMD("\x1b@"), LC_CMD("\x1b(G\x01\x00\x01"), LC_CMD("\x1b(U\x01\x00\x0a"),
  LC_CMD("\x1b(C\x02\x00\x78\x0f"), LC_CMD("\x1b(c\x04\x00\x5a\x00\x78\x0f"),
  LC_CMD("\x1b(i\x01\x00\x01"), LC_CMD("\x1b(e\x02\x00\x00\x01"),
  LC_CMD("\x1b(V\x02\x00\x00\x00"), LC_CMD("\x1b(v\x02\x00\x1a\x01"), LC_TXT("\r"),
  LC_CMD("\x1br\x02"), LC_CMD("\x1b.\x00\x0a\x0a\x01\x10\x00\x1b\x1b"), LC_TXT("\r"),
  LC_CMD("\x1b(r\x02\x00\x01\x01"),
  LC_CMD("\x1b.\x01\x0a\x0a\x01\x40\x00\xfd\x1b\x01\x1b\x2e\xff\x00"),
  LC_CMD("\x1b(v\x02\x00\x01\x00"), LC_TXT("\f"), LC_CMD("\x1b@"),
};

/* rastertoepson, newer Stylus on USB: exit packet mode, ESC i rows. */
static const lc_piece_t stylus_i_job[] = {
  LC_TXT("\0\0\0"), LC_CMD("\x1b\x01@EJL 1284.4\n"), LC_CMD("@EJL     \n"), LC_CMD("\x1b@"),
  LC_CMD("\x1b@"), LC_CMD("\x1b(G\x01\x00\x01"), LC_CMD("\x1b(U\x05\x00\x02\x02\x02\xa0\x05"),
  LC_CMD("\x1b(V\x02\x00\x00\x00"), LC_TXT("\r"),
  LC_CMD("\x1bi\x00\x00\x01\x04\x00\x01\x00\x1b\x01\x40\x45"), LC_TXT("\r"),
  LC_CMD("\x1bi\x01\x01\x01\x08\x00\x01\x00\xf9\x1b"), LC_TXT("\f"), LC_CMD("\x1b@"),
};

/* rastertoescpx, remote mode and ESC i with '1' compression, relative moves. */
static const lc_piece_t escpx_job[] = {
  LC_TXT("\0\0\0"), LC_CMD("\x1b\x01@EJL 1284.4\n"), LC_CMD("@EJL     \n"), LC_CMD("\x1b@"),
  LC_CMD("\x1b@"), LC_CMD(REMOTE_BLOCK), LC_CMD("\x1b(G\x01\x00\x01"),
  LC_CMD("\x1b(S\x08\x00\xf4\x0b\x00\x00\x78\x0f\x00\x00"),
  LC_CMD("\x1b(c\x08\x00\x5a\x00\x00\x00\x78\x0f\x00\x00"), LC_CMD("\x1bU\x01"),
  LC_CMD("\x1b(K\x02\x00\x00\x02"), LC_CMD("\x1b(D\x04\x00\xa0\x05\x04\x04"), LC_TXT("\r"),
  LC_CMD("\x1b(\\\x04\x00\xa0\x05\x10\x00"), LC_CMD("\x1bi\x04" "1\x01\x06\x00\x01\x00\xfd\x1b\x01\x1b\x1b"),
  LC_CMD("\x1b(v\x02\x00\x01\x00"), LC_TXT("\r"), LC_CMD("\x1b\\\x08\x00"),
  LC_CMD("\x1b.1\x0a\x0a\x01\x10\x00\x01\x1b\x1b"), LC_TXT("\f"), LC_CMD("\x1b@"),
  LC_CMD("\x1b(R\x08\x00\x00REMOTE1LD\x00\x00\x1b\x00\x00\x00"),
};

/* commandtoescpx: head cleaning, nozzle check, ink query in remote mode. */
static const lc_piece_t maintenance_job[] = {
  LC_TXT("\0\0\0"), LC_CMD("\x1b\x01@EJL 1284.4\n"), LC_CMD("@EJL     \n"), LC_CMD("\x1b@"),
  LC_CMD("\x1b@"),
  LC_CMD("\x1b(R\x08\x00\x00REMOTE1" "CH\x02\x00\x00\x00" "DT\x03\x00\x00\x00\x00"
         "VI\x02\x00\x00\x00" "NC\x02\x00\x00\x00" "IQ\x01\x00\x01" "\x1b\x00\x00\x00"),
  LC_TXT("\r\n\f"), LC_CMD("\x1b@"),
};

START_TEST(driver_jobs)
{
  lc_check_driver_job(ESCP, LC_PIECES(maintenance_job), escp_probe);
  lc_check_driver_job(ESCP, LC_PIECES(epson24_job), escp_probe);
  lc_check_driver_job(ESCP, LC_PIECES(epson9_job), escp_probe);
  lc_check_driver_job(ESCP, LC_PIECES(stylus_job), escp_probe);
  lc_check_driver_job(ESCP, LC_PIECES(stylus_i_job), escp_probe);
  lc_check_driver_job(ESCP, LC_PIECES(escpx_job), escp_probe);
}
END_TEST

START_TEST(long_data_is_skipped)
{
  fp_tracker_t t = lc_fed(ESCP, "\x1bi\x00\x00\x01\xff\xff\xff\xff", 9);

  lc_feed_fill(&t, 0x1b, 65535ull * 65535ull - 1);
  ck_assert(lc_mid(&t));
  fp_tracker_feed(&t, "\x1b", 1);
  ck_assert(!lc_mid(&t));
  ck_assert_uint_eq(t.accepted, 9 + 65535ull * 65535ull);
  /* RLE: literal runs are skipped whole; 65535 x 65535 decoded bytes owed */
  t = lc_fed(ESCP, "\x1bi\x00\x01\x01\xff\xff\xff\xff\x7f", 10);
  {
    fp_completion_t c;

    ck_assert(fp_tracker_completion(&t, &c));
    ck_assert_uint_eq(c.fill_count, 128 + 2 * (65535ull * 65535ull - 128));
  }
}
END_TEST

START_TEST(text_is_not_mid_command)
{
  char         text[256];
  fp_tracker_t t;

  for (int i = 0; i < 256; i++)
    text[i] = (char)(i == 0x1b ? 'x' : i);
  t = lc_fed(ESCP, text, sizeof(text));
  ck_assert(!lc_mid(&t));
  escp_probe(&t);
}
END_TEST

START_TEST(split_feeds_are_equivalent)
{
  static uint8_t job[8192];
  lc_piece_t     pieces[2 * CATALOGUE_SIZE + 1];
  size_t         len = lc_join(pieces, catalogue_job(pieces), job, sizeof(job), NULL);

  len += lc_join(LC_PIECES(escpx_job), job + len, sizeof(job) - len, NULL);
  len += lc_join(LC_PIECES(stylus_job), job + len, sizeof(job) - len, NULL);
  lc_check_split_feeds(ESCP, job, len);
}
END_TEST

START_TEST(registration)
{
  ck_assert_ptr_eq(fp_language_find("ESCP"), ESCP);
  ck_assert(ESCP->surplus_fill_harmless);
  lc_check_reset(ESCP, "\x1b@", 2);
  ck_assert_str_eq(fp_reset_language("escp"), "escp");
}
END_TEST

/* The suite. */
static Suite *escp_suite(void)
{
  Suite *s = suite_create("language-escp");
  TCase *tc = tcase_create("escp");

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

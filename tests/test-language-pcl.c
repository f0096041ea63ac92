/*
 * Unit tests for the PCL tracker (lib/language-pcl.c): every kind of escape
 * sequence and PJL line cut at every offset, exact completions, the UEL and
 * ENTER LANGUAGE, display functions, value syntax, data that looks like
 * commands, split feeds, and jobs in the shape rastertohp and rastertopclx
 * emit.
 */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check-main.h"
#include "language-check.h"
#include "reset.h"

#define PCL (&fp_language_pcl)

/* An idle printer must take a raster transfer as a command again. */
static void pcl_probe(const fp_tracker_t *idle)
{
  fp_tracker_t    t = *idle;
  fp_completion_t c;

  fp_tracker_feed(&t, "\x1b*b3W", 5);
  ck_assert(fp_tracker_completion(&t, &c));
  ck_assert_uint_eq(c.prefix_len, 0);
  ck_assert_uint_eq(c.fill_count, 3);
  fp_tracker_feed(&t, "\x1b\x1b" "E", 3);
  ck_assert(!lc_mid(&t));
}

/* true when the tracker, fed `data`, reports a half-sent command. */
static bool mid_after(const char *data, size_t len)
{
  fp_tracker_t t = lc_fed(PCL, data, len);

  return lc_mid(&t);
}

#define MID_AFTER(literal) mid_after(literal, sizeof(literal) - 1)

/*
 * One complete command of each kind; data bytes are ESC, '%', '@' and
 * pieces of other commands where possible, so that taking them for
 * commands would leave the tracker busy or idle at the wrong place.
 */
static const lc_piece_t catalogue[] = {
  LC_CMD("\x1b" "E"), LC_CMD("\x1b" "9"), LC_CMD("\x1b="), LC_CMD("\x1bz"),
  LC_CMD("\x1b&l2A"), LC_CMD("\x1b&l0o1E"), LC_CMD("\x1b&l26a4d1E"), LC_CMD("\x1b*t300R"),
  LC_CMD("\x1b*r1A"), LC_CMD("\x1b*rB"), LC_CMD("\x1b*rC"), LC_CMD("\x1b*r-4U"),
  LC_CMD("\x1b*b2M"), LC_CMD("\x1b(8U"), LC_CMD("\x1b(s1p12v0s0b4148T"), LC_CMD("\x1b)0B"),
  LC_CMD("\x1b&a+120.5H"), LC_CMD("\x1b&a-10V"), LC_CMD("\x1b%0A"), LC_CMD("\x1b%-1B"),
  LC_CMD("\x1b*p0x0Y"), LC_CMD("\x1b&k2G"), LC_CMD("\x1b*c100a50b0P"), LC_CMD("\x1b&u600D"),
  LC_CMD("\x1b(3@"), LC_CMD("\x1b&d@"), LC_CMD("\x1b*b0W"), LC_CMD("\x1b*b-3W"),
  LC_CMD("\x1b*b5W\x1b\x1b%-1"), LC_CMD("\x1b*b4V\x1b*b9"), LC_CMD("\x1b*b2m6W\x1b" "E@PJL"),
  LC_CMD("\x1b*b3w\x1b%\x1b" "1Y"), LC_CMD("\x1b*b2.9W\x1b\x1b"),
  LC_CMD("\x1b*g8W\x02\x01\x01\x2c\x01\x2c\x00\x02"), LC_CMD("\x1b*v6W\x00\x03\x00\x08\x08\x08"),
  LC_CMD("\x1b(s3W\x1b(s"), LC_CMD("\x1b)s4W\x1b)s4"), LC_CMD("\x1b(f4W\x1b(f4"),
  LC_CMD("\x1b*c8W\x1b*c8W\x1b*c"), LC_CMD("\x1b&p5X\x1b%-12"), LC_CMD("\x1b&n3W\x1b&n"),
  LC_CMD("\x1b&b4W\x1b&b4"), LC_CMD("\x1b&a2W\x1b&"), LC_CMD("\x1b*i3W\x1b*i"),
  LC_CMD("\x1b*l3W\x1b*l"), LC_CMD("\x1b*m3W\x1b*m"), LC_CMD("\x1b*o3W\x1b*o"),
};

#define CATALOGUE_SIZE (sizeof(catalogue) / sizeof(catalogue[0]))

/* The catalogue, each command after a line of text. */
static size_t catalogue_job(lc_piece_t *pieces)
{
  return lc_frame(catalogue, CATALOGUE_SIZE, (lc_piece_t)LC_TXT("ab\r\n"), pieces);
}

START_TEST(catalogue_cut_everywhere)
{
  lc_piece_t pieces[2 * CATALOGUE_SIZE + 1];
  size_t     count = catalogue_job(pieces);

  lc_check_pieces(PCL, pieces, count, pcl_probe);
}
END_TEST

START_TEST(raster_completions)
{
  lc_bytes_t raster = LC_B("\x1b*b12W\x1b*b3W\x1b\x1b%-123");
  lc_bytes_t combined = LC_B("\x1b*b2m3w\x1b%@4W\x1b\x1b\x1b\x1b");
  lc_bytes_t long_combined = LC_B("\x1b*b20w" "AAAAAAAAAAAAAAAAAAAA");

  lc_expect_completion(PCL, raster, 1, LC_B("E"), 0);
  for (size_t cut = 2; cut < 6; cut++) /* "\x1b*", "\x1b*b", "\x1b*b1", "\x1b*b12" */
    lc_expect_completion(PCL, raster, cut, LC_B("@"), 0);
  for (size_t cut = 6; cut < 18; cut++)
    lc_expect_completion(PCL, raster, cut, LC_B(""), 18 - cut);
  ck_assert(!mid_after(raster.data, raster.len));

  /* data of a lower-case parameter: the sequence goes on after it, '@' ends it */
  lc_expect_completion(PCL, combined, 5, LC_B("@"), 0);
  lc_expect_completion(PCL, combined, 6, LC_B("@"), 0);
  lc_expect_completion(PCL, combined, 7, LC_B("\0\0\0@"), 0);
  lc_expect_completion(PCL, combined, 8, LC_B("\0\0@"), 0);
  lc_expect_completion(PCL, combined, 9, LC_B("\0@"), 0);
  lc_expect_completion(PCL, combined, 10, LC_B("@"), 0);
  lc_expect_completion(PCL, combined, 11, LC_B("@"), 0);
  lc_expect_completion(PCL, combined, 12, LC_B(""), 4);
  lc_expect_completion(PCL, combined, 15, LC_B(""), 1);
  ck_assert(!mid_after(combined.data, combined.len));
  /* '@' after the data while it all fits in the prefix (16 bytes) */
  lc_expect_completion(PCL, LC_B("\x1b*b15w"), 6, LC_B("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0@"), 0);
  lc_expect_completion(PCL, LC_B("\x1b*b16w"), 6, LC_B(""), 16);
  /* too long for the prefix: the data only; the reset's ESC ends the sequence */
  lc_expect_completion(PCL, long_combined, 6, LC_B(""), 20);
  lc_expect_completion(PCL, long_combined, 26, LC_B("@"), 0);
  {
    fp_tracker_t t = lc_fed(PCL, long_combined.data, 6);

    lc_flush(&t);
    pcl_probe(&t);
  }
}
END_TEST

/* A PJL-wrapped job in the shape rastertopclx sends (PJL on, PCL 3GUI). */
static const lc_piece_t pjl_job[] = {
  LC_CMD("\x1b%-12345X"), LC_CMD("@PJL\r\n"),
  LC_CMD("@PJL JOB NAME = \"t\" DISPLAY = \"1 u t\"\r\n"),
  LC_CMD("@PJL SET MEDIASOURCE=ROLL\n"), LC_TXT("\r\n"),
  LC_CMD("@PJL ENTER LANGUAGE=PCL3GUI\r\n"), LC_CMD("\x1b" "E"), LC_CMD("\x1b&l0O"),
  LC_CMD("\x1b*r1A"), LC_CMD("\x1b*b2M"), LC_CMD("\x1b*b9V\x1b%-12345X"), LC_CMD("\x1b*b4W@PJL"),
  LC_CMD("\x1b*rC"), LC_CMD("\x1b" "E"), LC_CMD("\x1b%-12345X"), LC_CMD("@PJL EOJ\r\n"),
  LC_CMD("\x1b%-12345X"), LC_CMD("@PJL\r\n"),
};

START_TEST(pjl_cut_everywhere)
{
  lc_bytes_t job = LC_B("\x1b%-12345X@PJL SET X=\"a\"\r\n@PJL ENTER LANGUAGE=PCL\r\n");

  lc_check_pieces(PCL, pjl_job, sizeof(pjl_job) / sizeof(pjl_job[0]), pcl_probe);
  /* a cut "@PJL" is finished and the line ended; a cut line is ended */
  lc_expect_completion(PCL, job, 10, LC_B("PJL\n"), 0);
  lc_expect_completion(PCL, job, 12, LC_B("L\n"), 0);
  lc_expect_completion(PCL, job, 13, LC_B("\n"), 0);
  lc_expect_completion(PCL, job, 22, LC_B("\n"), 0);
  lc_expect_completion(PCL, job, 24, LC_B("\n"), 0);
  ck_assert(!mid_after(job.data, 25));
  lc_expect_completion(PCL, job, 26, LC_B("PJL\n"), 0);
  /* a cut UEL is ended as an unknown sequence, not as a UEL */
  for (size_t cut = 2; cut < 9; cut++)
    lc_expect_completion(PCL, job, cut, LC_B("@"), 0);
  /* completing "ENTER LANGUAGE=PCL" with LF enters PCL: data is tracked */
  {
    fp_tracker_t t = lc_fed(PCL, job.data, job.len - 2);
    uint8_t      lf = '\n';

    fp_tracker_feed(&t, &lf, 1);
    fp_tracker_feed(&t, "\x1b*b2W", 5);
    ck_assert(lc_mid(&t));
  }
}
END_TEST

/* true when `job` leaves the printer in a language the tracker does not follow. */
static bool untracked_after(const char *job)
{
  fp_tracker_t t = lc_fed(PCL, job, strlen(job));

  /* raster data would be owed in PCL; an untracked language owes nothing */
  fp_tracker_feed(&t, "\x1b*b9W", 5);
  return !lc_mid(&t);
}

START_TEST(enter_language)
{
  ck_assert(untracked_after("\x1b%-12345X@PJL ENTER LANGUAGE=POSTSCRIPT\r\n"));
  ck_assert(untracked_after("\x1b%-12345X@PJL ENTER LANGUAGE = PCLXL\r\n"));
  ck_assert(untracked_after("\x1b%-12345X@PJL enter language=pdf\n"));
  ck_assert(!untracked_after("\x1b%-12345X@PJL ENTER LANGUAGE=PCL\r\n"));
  ck_assert(!untracked_after("\x1b%-12345X@PJL enter language = pcl3gui\r\n"));
  ck_assert(!untracked_after("\x1b%-12345X@PJL ENTER LANGUAGE=HPGL2\r\n"));
  ck_assert(!untracked_after("\x1b%-12345X@PJL ENTER LANGUAGE=PCL5E\r\n"));
  /* not an ENTER LANGUAGE command: PJL goes on, then PCL by the automatic switch */
  ck_assert(!untracked_after("\x1b%-12345X@PJL ENTER LANGUAGE POSTSCRIPT\r\n"));
  ck_assert(!untracked_after("\x1b%-12345X@PJL SET LANGUAGE=POSTSCRIPT\r\n"));
  ck_assert(!untracked_after("\x1b%-12345X@PJL COMMENT ENTER LANGUAGE=POSTSCRIPT\r\n"));
  /* the automatic language switch: PostScript, PCL XL, PCL */
  ck_assert(untracked_after("\x1b%-12345X@PJL\r\n%!PS-Adobe-3.0\n"));
  ck_assert(untracked_after("\x1b%-12345X@PJL\r\n) HP-PCL XL;2;0\r\n"));
  ck_assert(!untracked_after("\x1b%-12345X@PJL\r\nHello "));
  ck_assert(!untracked_after("\x1b%-12345X@PJX "));
  /* only the UEL leaves an untracked language, even when cut and resumed */
  {
    static const char enter[] = "\x1b%-12345X@PJL ENTER LANGUAGE=POSTSCRIPT\n";
    static const char near_misses[] = "\x1b%-1234\x1b%-123";
    fp_tracker_t      t = lc_fed(PCL, enter, sizeof(enter) - 1);

    fp_tracker_feed(&t, near_misses, sizeof(near_misses) - 1);
    ck_assert(!lc_mid(&t));
    fp_tracker_feed(&t, "45X", 3);
    fp_tracker_feed(&t, "\x1b*b1W", 5);
    ck_assert(lc_mid(&t));
    lc_flush(&t);
    pcl_probe(&t);
  }
}
END_TEST

START_TEST(display_functions)
{
  lc_bytes_t job = LC_B("\x1bYab\x1b*b100W\x1b" "E\x1b%-1");
  size_t     data_end = job.len - 4;

  /* everything is printed, nothing runs: only ESC Z or the UEL end the mode */
  for (size_t cut = 2; cut <= data_end; cut++)
    lc_expect_completion(PCL, job, cut, job.data[cut - 1] == 0x1b ? LC_B("Z") : LC_B("\x1bZ"), 0);
  lc_expect_completion(PCL, job, data_end + 1, LC_B("Z"), 0);
  lc_expect_completion(PCL, job, data_end + 2, LC_B("-12345X"), 0);
  lc_expect_completion(PCL, job, job.len, LC_B("2345X"), 0);
  lc_expect_completion(PCL, LC_B("\x1bY\x1b%Z"), 5, LC_B("\x1bZ"), 0); /* Z only right after ESC */
  ck_assert(!MID_AFTER("\x1bYab\x1bZ"));
  ck_assert(MID_AFTER("\x1bYab\x1bZ\x1b*b1W"));
  for (size_t cut = 2; cut <= job.len; cut++)
  {
    fp_tracker_t t = lc_fed(PCL, job.data, cut);

    lc_flush(&t);
    pcl_probe(&t);
  }
}
END_TEST

START_TEST(value_syntax)
{
  /* no data for a zero or negative count, the integer part of a fraction */
  ck_assert(!MID_AFTER("\x1b*b0W"));
  ck_assert(!MID_AFTER("\x1b*b-5W"));
  lc_expect_completion(PCL, LC_B("\x1b*b2.7W"), 7, LC_B(""), 2);
  lc_expect_completion(PCL, LC_B("\x1b*b+3W"), 6, LC_B(""), 3);
  /* spaces are ignored; a stray 0x20..0x3F byte after a value, and what follows it, too */
  lc_expect_completion(PCL, LC_B("\x1b*b 1 2W"), 8, LC_B(""), 12);
  lc_expect_completion(PCL, LC_B("\x1b*b3/W"), 6, LC_B(""), 3);
  lc_expect_completion(PCL, LC_B("\x1b*b3/45W"), 8, LC_B(""), 3);
  /* parameter characters: '@'..'^' end the sequence, '`'..'~' go on */
  lc_expect_completion(PCL, LC_B("\x1b*b2~3W"), 7, LC_B(""), 3);
  lc_expect_completion(PCL, LC_B("\x1b*b2`3W"), 7, LC_B(""), 3);
  ck_assert(!MID_AFTER("\x1b*b2^3W"));
  ck_assert(!MID_AFTER("\x1b*b2@3W"));
  /* parameterized sequences start with '!'..'/' */
  lc_expect_completion(PCL, LC_B("\x1b!"), 2, LC_B("@"), 0);
  lc_expect_completion(PCL, LC_B("\x1b/"), 2, LC_B("@"), 0);
  ck_assert(!MID_AFTER("\x1b" "0"));
  /* any other byte ends the sequence and is taken afresh */
  ck_assert(!MID_AFTER("\x1b*b3\rW"));
  ck_assert(!MID_AFTER("\x1b*b3_W"));
  lc_expect_completion(PCL, LC_B("\x1b*b3\x1b*b2W"), 9, LC_B(""), 2);
  /* ESC then a byte that starts nothing: the ESC is dropped */
  ck_assert(!MID_AFTER("\x1b\x01"));
  ck_assert(!MID_AFTER("\x1b "));
  lc_expect_completion(PCL, LC_B("\x1b\x1b"), 2, LC_B("E"), 0);
  /* an upper-case byte after the parameter character ends the command: no group */
  ck_assert(!MID_AFTER("\x1b*B5W"));
  /* commands without data, whatever their value */
  ck_assert(!MID_AFTER("\x1b*x5W"));
  ck_assert(!MID_AFTER("\x1b(s5X"));
  ck_assert(!MID_AFTER("\x1b&l5W"));
  /* huge counts are kept (saturated far beyond any PCL range) */
  {
    lc_bytes_t big = LC_B("\x1b*b4000000000W");
    lc_bytes_t huge = LC_B("\x1b*b99999999999999999999999W");

    lc_expect_completion(PCL, big, big.len, LC_B(""), 4000000000u);
    lc_expect_completion(PCL, huge, huge.len, LC_B(""), UINT64_C(1) << 48);
  }
}
END_TEST

START_TEST(uel_is_exact)
{
  /* after the UEL a PJL line is read; after a near miss it is PCL text */
  ck_assert(untracked_after("\x1b%-12345X@PJL ENTER LANGUAGE=POSTSCRIPT\n"));
  ck_assert(!untracked_after("\x1b%-12346X@PJL ENTER LANGUAGE=POSTSCRIPT\n"));
  ck_assert(!untracked_after("\x1b%-12345x@PJL ENTER LANGUAGE=POSTSCRIPT\n"));
  ck_assert(!untracked_after("\x1b%12345X@PJL ENTER LANGUAGE=POSTSCRIPT\n"));
  ck_assert(!untracked_after("\x1b%-12345.5X@PJL ENTER LANGUAGE=POSTSCRIPT\n"));
  /* "@PJL" only after a UEL (the job starts in PJL): elsewhere it is text */
  ck_assert(untracked_after("@PJL ENTER LANGUAGE=POSTSCRIPT\n"));
  ck_assert(!untracked_after("\x1b" "E@PJL ENTER LANGUAGE=POSTSCRIPT\n"));
}
END_TEST

START_TEST(data_looks_like_commands)
{
  static const char data[] = "\x1b%-12345X@PJL ENTER LANGUAGE=PDF\n\x1b" "E\x1b*b9W";
  char              header[16];
  fp_tracker_t      t;

  snprintf(header, sizeof(header), "\x1b*b%zuW", sizeof(data) - 1);
  t = lc_fed(PCL, header, strlen(header));
  fp_tracker_feed(&t, data, sizeof(data) - 2);
  ck_assert(lc_mid(&t));
  fp_tracker_feed(&t, data + sizeof(data) - 2, 1);
  ck_assert(!lc_mid(&t));
  fp_tracker_feed(&t, "\x1b*b1W", 5); /* still PCL: the UEL and PJL line were pixels */
  ck_assert(lc_mid(&t));
}
END_TEST

/* rastertohp, LaserJet: no PJL, TIFF (mode 2) rows, form feed, reset. */
static const lc_piece_t laserjet_job[] = {
  LC_CMD("\x1b" "E"), LC_CMD("\x1b&l6D"), LC_CMD("\x1b&k12H"), LC_CMD("\x1b&l0O"),
  LC_CMD("\x1b&l2A"), LC_CMD("\x1b&l66P"), LC_CMD("\x1b&l0E"), LC_CMD("\x1b&l1X"),
  LC_CMD("\x1b&l0S"), LC_CMD("\x1b&l0L"), LC_CMD("\x1b*t300R"), LC_CMD("\x1b*r2400S"),
  LC_CMD("\x1b*r3000T"), LC_CMD("\x1b&a0H"), LC_CMD("\x1b&a360V"), LC_CMD("\x1b*r1A"),
  LC_CMD("\x1b*b2M"), LC_CMD("\x1b*b160Y"), LC_CMD("\x1b*b7W\xfe\x00\x02\x7f\xe0\x1b\x45"),
  LC_CMD("\x1b*b4W\x01\x1b\x25\x2d"), LC_CMD("\x1b*b0W"), LC_CMD("\x1b*r0B"), LC_TXT("\f"),
  LC_CMD("\x1b" "E"),
};

/* rastertohp, DeskJet with CRet color: ESC*g#W, KCMY planes with ESC*b#V. */
static const lc_piece_t deskjet_job[] = {
  LC_CMD("\x1b" "E"), LC_CMD("\x1b&l1H"), LC_CMD("\x1b&l0O"), LC_CMD("\x1b&u300D"),
  LC_CMD("\x1b&l0e0L"), LC_CMD("\x1b*p0Y"), LC_CMD("\x1b*p0X"),
  LC_CMD("\x1b*g26W\x02\x04\x01\x2c\x01\x2c\x00\x02\x01\x2c\x01\x2c\x00\x02\x01\x2c\x01"
         "\x2c\x00\x02\x01\x2c\x01\x2c\x00\x02"),
  LC_CMD("\x1b&l0H"), LC_CMD("\x1b*t300R"), LC_CMD("\x1b*r-4U"), LC_CMD("\x1b*r2400S"),
  LC_CMD("\x1b*r3000T"), LC_CMD("\x1b*r1A"), LC_CMD("\x1b*b2M"),
  LC_CMD("\x1b*b6V\x82\x00\x82\x00\xd3\x00"), LC_CMD("\x1b*b6V\x82\x00\x82\x1b\xd3\x00"),
  LC_CMD("\x1b*b6V\x1b\x00\x82\x00\xd3\x00"), LC_CMD("\x1b*b6W\x82\x00\x82\x00\xd3\x1b"),
  LC_CMD("\x1b*b12Y"), LC_CMD("\x1b*rC"), LC_CMD("\x1b&l0H"), LC_CMD("\x1b" "E"),
};

/* rastertopclx, DesignJet: PJL, HP-GL/2, RTL raster in mode 1, UEL and EOJ. */
static const lc_piece_t designjet_job[] = {
  LC_CMD("\x1b%-12345X"), LC_CMD("@PJL\r\n"), LC_CMD("@PJL JOB NAME = \"t\"\r\n"),
  LC_CMD("@PJL SET PAPERLENGTH=8420\r\n"), LC_CMD("@PJL SET RESOLUTION=300\r\n"),
  LC_CMD("@PJL ENTER LANGUAGE=HPGL2\r\n"), LC_CMD("\x1b" "E"),
  LC_TXT("IN;MG\"1 u t\";BP5,0;PS11068,16398;PU;PA0,0MT0;EC0;"), LC_CMD("\x1b%0A"),
  LC_CMD("\x1b&a1N"), LC_CMD("\x1b*t300R"), LC_CMD("\x1b*r4842S"), LC_CMD("\x1b*r1A"),
  LC_CMD("\x1b*b1M"), LC_CMD("\x1b*b8W\xff\x00\xff\x00\x5c\x00\x00\x3f"),
  LC_CMD("\x1b*b8W\xff\x1b\xff\x25\x5c\x2d\x00\x3f"), LC_CMD("\x1b*r0B"), LC_CMD("\x1b%0B"),
  LC_TXT("PG;"), LC_CMD("\x1b" "E"), LC_CMD("\x1b%-12345X"), LC_CMD("@PJL\r\n"),
  LC_CMD("@PJL EOJ\r\n"), LC_CMD("\x1b%-12345X"), LC_CMD("@PJL\r\n"),
};

/* commandtopclx, a PML maintenance command (ESC&b#W) in a reset sandwich. */
static const lc_piece_t pml_job[] = {
  LC_CMD("\x1b" "E"),
  LC_CMD("\x1b&b16WPML \x04\x00\x06\x01\x04\x01\x05\x01\x01\x04\x01\x64"),
  LC_CMD("\x1b" "E"),
};

START_TEST(driver_jobs)
{
  lc_check_driver_job(PCL, LC_PIECES(pml_job), pcl_probe);
  lc_check_driver_job(PCL, LC_PIECES(laserjet_job), pcl_probe);
  lc_check_driver_job(PCL, LC_PIECES(deskjet_job), pcl_probe);
  lc_check_driver_job(PCL, LC_PIECES(designjet_job), pcl_probe);
  lc_check_driver_job(PCL, LC_PIECES(pjl_job), pcl_probe);
}
END_TEST

START_TEST(long_data_is_skipped)
{
  fp_tracker_t t = lc_fed(PCL, "\x1b*b3000000000W", 14);

  lc_feed_fill(&t, 0x1b, 3000000000u - 1);
  ck_assert(lc_mid(&t));
  fp_tracker_feed(&t, "\x1b", 1);
  ck_assert(!lc_mid(&t));
  ck_assert_uint_eq(t.accepted, 14 + 3000000000u);
}
END_TEST

START_TEST(text_is_not_mid_command)
{
  char         text[256];
  fp_tracker_t t;

  /* in PCL, every byte value but ESC is text */
  for (int i = 0; i < 256; i++)
    text[i] = (char)(i == 0x1b ? 'x' : i);
  t = lc_fed(PCL, "\x1b" "E", 2);
  fp_tracker_feed(&t, text, sizeof(text));
  ck_assert(!lc_mid(&t));
  pcl_probe(&t);
  /* a job that starts with text: the automatic switch to PCL */
  t = lc_fed(PCL, "Hello, world\r\n", 14);
  ck_assert(!lc_mid(&t));
  pcl_probe(&t);
  /* blank bytes between PJL lines */
  t = lc_fed(PCL, "\x1b%-12345X@PJL\r\n\r\n \t\0\f", 21);
  ck_assert(!lc_mid(&t));
}
END_TEST

START_TEST(split_feeds_are_equivalent)
{
  static uint8_t job[8192];
  lc_piece_t     pieces[2 * CATALOGUE_SIZE + 1];
  size_t         len = lc_join(pieces, catalogue_job(pieces), job, sizeof(job), NULL);

  len += lc_join(LC_PIECES(pjl_job), job + len, sizeof(job) - len, NULL);
  len += lc_join(LC_PIECES(designjet_job), job + len, sizeof(job) - len, NULL);
  {
    static const char tail[] = "\x1bYab\x1b*b1W\x1bZ\x1b*b2w\x1b\x1b" "3V\x1b\x1b\x1b";

    memcpy(job + len, tail, sizeof(tail) - 1);
    len += sizeof(tail) - 1;
  }
  lc_check_split_feeds(PCL, job, len);
}
END_TEST

START_TEST(registration)
{
  ck_assert_ptr_eq(fp_language_find("PCL"), PCL);
  ck_assert(PCL->surplus_fill_harmless);
  /* the reset: the UEL, then ESC E; it and "reset=pcl" alone select this tracker */
  lc_check_reset(PCL, "\x1b%-12345X\x1b" "E", 11);
  ck_assert_str_eq(fp_reset_language(PCL->reset_preset), "pcl");
  ck_assert_str_eq(fp_reset_language("pcl"), "pcl");
  ck_assert_ptr_null(fp_reset_language("pjl"));
}
END_TEST

/* The suite. */
static Suite *pcl_suite(void)
{
  Suite *s = suite_create("language-pcl");
  TCase *tc = tcase_create("pcl");

  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, catalogue_cut_everywhere);
  tcase_add_test(tc, raster_completions);
  tcase_add_test(tc, pjl_cut_everywhere);
  tcase_add_test(tc, enter_language);
  tcase_add_test(tc, display_functions);
  tcase_add_test(tc, value_syntax);
  tcase_add_test(tc, uel_is_exact);
  tcase_add_test(tc, data_looks_like_commands);
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
  return fp_run_suite(pcl_suite());
}

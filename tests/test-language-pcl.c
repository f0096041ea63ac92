/*
 * Unit tests for the PCL tracker (engine/language-pcl.c): every kind of escape
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
#include "tracker-test.h"

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
  ck_assert(!tt_mid(&t));
}

/* A tracker for PCL, whose completions fill with NULs; the test programs share tracker-test.h. */
static void setup(void)
{
  tt_language = PCL;
  tt_probe = pcl_probe;
  tt_fill_byte = 0x00;
}

/*
 * One complete command of each kind; data bytes are ESC, '%', '@' and
 * pieces of other commands where possible, so that taking them for
 * commands would leave the tracker busy or idle at the wrong place.
 */
static const piece_t catalogue[] = {
  CMD("\x1b" "E"), CMD("\x1b" "9"), CMD("\x1b="), CMD("\x1bz"),
  CMD("\x1b&l2A"), CMD("\x1b&l0o1E"), CMD("\x1b&l26a4d1E"), CMD("\x1b*t300R"),
  CMD("\x1b*r1A"), CMD("\x1b*rB"), CMD("\x1b*rC"), CMD("\x1b*r-4U"),
  CMD("\x1b*b2M"), CMD("\x1b(8U"), CMD("\x1b(s1p12v0s0b4148T"), CMD("\x1b)0B"),
  CMD("\x1b&a+120.5H"), CMD("\x1b&a-10V"), CMD("\x1b%0A"), CMD("\x1b%-1B"),
  CMD("\x1b*p0x0Y"), CMD("\x1b&k2G"), CMD("\x1b*c100a50b0P"), CMD("\x1b&u600D"),
  CMD("\x1b(3@"), CMD("\x1b&d@"), CMD("\x1b*b0W"), CMD("\x1b*b-3W"),
  CMD("\x1b*b5W\x1b\x1b%-1"), CMD("\x1b*b4V\x1b*b9"), CMD("\x1b*b2m6W\x1b" "E@PJL"),
  CMD("\x1b*b3w\x1b%\x1b" "1Y"), CMD("\x1b*b2.9W\x1b\x1b"),
  CMD("\x1b*g8W\x02\x01\x01\x2c\x01\x2c\x00\x02"), CMD("\x1b*v6W\x00\x03\x00\x08\x08\x08"),
  CMD("\x1b(s3W\x1b(s"), CMD("\x1b)s4W\x1b)s4"), CMD("\x1b(f4W\x1b(f4"),
  CMD("\x1b*c8W\x1b*c8W\x1b*c"), CMD("\x1b&p5X\x1b%-12"), CMD("\x1b&n3W\x1b&n"),
  CMD("\x1b&b4W\x1b&b4"), CMD("\x1b&a2W\x1b&"), CMD("\x1b*i3W\x1b*i"),
  CMD("\x1b*l3W\x1b*l"), CMD("\x1b*m3W\x1b*m"), CMD("\x1b*o3W\x1b*o"),
};

#define CATALOGUE_SIZE (sizeof(catalogue) / sizeof(catalogue[0]))

/* The catalogue, each command after a line of text. */
static size_t catalogue_job(piece_t *pieces)
{
  return tt_frame(catalogue, CATALOGUE_SIZE, (piece_t)TXT("ab\r\n"), pieces);
}

START_TEST(catalogue_cut_everywhere)
{
  piece_t pieces[2 * CATALOGUE_SIZE + 1];
  size_t  count = catalogue_job(pieces);

  tt_every_cut_pieces(pieces, count);
}
END_TEST

START_TEST(raster_completions)
{
  bytes_t raster = B("\x1b*b12W\x1b*b3W\x1b\x1b%-123");
  bytes_t combined = B("\x1b*b2m3w\x1b%@4W\x1b\x1b\x1b\x1b");
  bytes_t long_combined = B("\x1b*b20w" "AAAAAAAAAAAAAAAAAAAA");

  tt_expect(&raster, 1, (bytes_t)B("E"), 0, 0x00);
  for (size_t cut = 2; cut < 6; cut++) /* "\x1b*", "\x1b*b", "\x1b*b1", "\x1b*b12" */
    tt_expect(&raster, cut, (bytes_t)B("@"), 0, 0x00);
  for (size_t cut = 6; cut < 18; cut++)
    tt_expect(&raster, cut, (bytes_t)B(""), 18 - cut, 0x00);
  tt_expect_idle(&raster, raster.len);

  /* data of a lower-case parameter: the sequence goes on after it, '@' ends it */
  tt_expect(&combined, 5, (bytes_t)B("@"), 0, 0x00);
  tt_expect(&combined, 6, (bytes_t)B("@"), 0, 0x00);
  tt_expect(&combined, 7, (bytes_t)B("\0\0\0@"), 0, 0x00);
  tt_expect(&combined, 8, (bytes_t)B("\0\0@"), 0, 0x00);
  tt_expect(&combined, 9, (bytes_t)B("\0@"), 0, 0x00);
  tt_expect(&combined, 10, (bytes_t)B("@"), 0, 0x00);
  tt_expect(&combined, 11, (bytes_t)B("@"), 0, 0x00);
  tt_expect(&combined, 12, (bytes_t)B(""), 4, 0x00);
  tt_expect(&combined, 15, (bytes_t)B(""), 1, 0x00);
  tt_expect_idle(&combined, combined.len);
  /* '@' after the data while it all fits in the prefix (16 bytes) */
  tt_expect(&(bytes_t)B("\x1b*b15w"), 6, (bytes_t)B("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0@"), 0, 0x00);
  /* too long for the prefix: the data as fill, then a NUL ends the sequence */
  tt_expect_suffix(&(bytes_t)B("\x1b*b16w"), 6, (bytes_t)B(""), 16, 0x00, (bytes_t)B("\0"));
  tt_expect_suffix(&long_combined, 6, (bytes_t)B(""), 20, 0x00, (bytes_t)B("\0"));
  tt_expect(&long_combined, 25, (bytes_t)B("\0@"), 0, 0x00); /* fits again */
  tt_expect(&long_combined, 26, (bytes_t)B("@"), 0, 0x00);
  {
    fp_tracker_t t = tt_fed(long_combined.data, 6);

    tt_complete(&t);
    ck_assert(!tt_mid(&t)); /* idle after its own completion, before the reset */
    tt_reset(&t);
    pcl_probe(&t);
  }
}
END_TEST

/*
 * The completion alone (no reset: reset=none, or the next job straight
 * after) ends a sequence cut in the data of a lower-case parameter too long
 * for the prefix: the fuzz target's "still mid-command after its own
 * completion", on jobs that entered HP-GL/2 first, minimised to ESC*b99w
 * (tests/fuzz-seeds/pcl/combined-row-past-prefix).
 */
START_TEST(long_combined_data_completes_alone)
{
  static const char *const jobs[] = {
    "\x1b*b16w", "\x1b*b17w", "\x1b*b2m99w", "\x1b*b909w", "\x1b(s1p100w",
    "\x1b*r0B\x1b%0BPG;\x1b*b909w",
  };

  for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++)
  {
    fp_tracker_t    t = tt_fed(jobs[i], strlen(jobs[i]));
    fp_tracker_t    surplus;
    fp_completion_t c;

    ck_assert(fp_tracker_completion(&t, &c));
    surplus = t;
    tt_complete(&t);
    ck_assert_msg(!tt_mid(&t), "%s: still mid-command after its own completion", jobs[i] + 1);
    pcl_probe(&t); /* the next job's ESC*b3W is a command, not parameters */
    /* the fill lengthened for bytes in doubt: the suffix lands after the sequence, harmlessly */
    fp_tracker_feed(&surplus, c.prefix, c.prefix_len);
    tt_feed_fill(&surplus, c.fill_byte, c.fill_count + 100);
    fp_tracker_feed(&surplus, c.suffix, c.suffix_len);
    ck_assert(!tt_mid(&surplus));
  }
}
END_TEST

/* A PJL-wrapped job in the shape rastertopclx sends (PJL on, PCL 3GUI). */
static const piece_t pjl_job[] = {
  CMD("\x1b%-12345X"), CMD("@PJL\r\n"),
  CMD("@PJL JOB NAME = \"t\" DISPLAY = \"1 u t\"\r\n"),
  CMD("@PJL SET MEDIASOURCE=ROLL\n"), TXT("\r\n"),
  CMD("@PJL ENTER LANGUAGE=PCL3GUI\r\n"), CMD("\x1b" "E"), CMD("\x1b&l0O"),
  CMD("\x1b*r1A"), CMD("\x1b*b2M"), CMD("\x1b*b9V\x1b%-12345X"), CMD("\x1b*b4W@PJL"),
  CMD("\x1b*rC"), CMD("\x1b" "E"), CMD("\x1b%-12345X"), CMD("@PJL EOJ\r\n"),
  CMD("\x1b%-12345X"), CMD("@PJL\r\n"),
};

START_TEST(pjl_cut_everywhere)
{
  bytes_t job = B("\x1b%-12345X@PJL SET X=\"a\"\r\n@PJL ENTER LANGUAGE=PCL\r\n");

  tt_every_cut_pieces(PIECES(pjl_job));
  /* a cut "@PJL" is finished and the line ended; a cut line is ended */
  tt_expect(&job, 10, (bytes_t)B("PJL\n"), 0, 0x00);
  tt_expect(&job, 12, (bytes_t)B("L\n"), 0, 0x00);
  tt_expect(&job, 13, (bytes_t)B("\n"), 0, 0x00);
  tt_expect(&job, 22, (bytes_t)B("\n"), 0, 0x00);
  tt_expect(&job, 24, (bytes_t)B("\n"), 0, 0x00);
  tt_expect_idle(&job, 25);
  tt_expect(&job, 26, (bytes_t)B("PJL\n"), 0, 0x00);
  /* a cut UEL is ended as an unknown sequence, not as a UEL */
  for (size_t cut = 2; cut < 9; cut++)
    tt_expect(&job, cut, (bytes_t)B("@"), 0, 0x00);
  /* completing "ENTER LANGUAGE=PCL" with LF enters PCL: data is tracked */
  {
    fp_tracker_t t = tt_fed(job.data, job.len - 2);
    uint8_t      lf = '\n';

    fp_tracker_feed(&t, &lf, 1);
    fp_tracker_feed(&t, "\x1b*b2W", 5);
    ck_assert(tt_mid(&t));
  }
}
END_TEST

/* true when `job` leaves the printer in a language the tracker does not follow. */
static bool untracked_after(const char *job)
{
  fp_tracker_t t = tt_fed(job, strlen(job));

  /* raster data would be owed in PCL; an untracked language owes nothing */
  fp_tracker_feed(&t, "\x1b*b9W", 5);
  return !tt_mid(&t);
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
    fp_tracker_t      t = tt_fed(enter, sizeof(enter) - 1);

    fp_tracker_feed(&t, near_misses, sizeof(near_misses) - 1);
    ck_assert(!tt_mid(&t));
    fp_tracker_feed(&t, "45X", 3);
    fp_tracker_feed(&t, "\x1b*b1W", 5);
    ck_assert(tt_mid(&t));
    tt_flush(&t);
    pcl_probe(&t);
  }
}
END_TEST

START_TEST(display_functions)
{
  bytes_t job = B("\x1bYab\x1b*b100W\x1b" "E\x1b%-1");
  size_t  data_end = job.len - 4;

  /* everything is printed, nothing runs: only ESC Z or the UEL end the mode */
  for (size_t cut = 2; cut <= data_end; cut++)
    tt_expect(&job, cut, job.data[cut - 1] == 0x1b ? (bytes_t)B("Z") : (bytes_t)B("\x1bZ"), 0,
              0x00);
  tt_expect(&job, data_end + 1, (bytes_t)B("Z"), 0, 0x00);
  tt_expect(&job, data_end + 2, (bytes_t)B("-12345X"), 0, 0x00);
  tt_expect(&job, job.len, (bytes_t)B("2345X"), 0, 0x00);
  /* Z only right after ESC */
  tt_expect(&(bytes_t)B("\x1bY\x1b%Z"), 5, (bytes_t)B("\x1bZ"), 0, 0x00);
  ck_assert(!MID_AFTER("\x1bYab\x1bZ"));
  ck_assert(MID_AFTER("\x1bYab\x1bZ\x1b*b1W"));
  for (size_t cut = 2; cut <= job.len; cut++)
  {
    fp_tracker_t t = tt_fed(job.data, cut);

    tt_flush(&t);
    pcl_probe(&t);
  }
}
END_TEST

/* A macro definition (ESC&f0X ... ESC&f1X) is ended by the completion, whatever was cut in it. */
START_TEST(macro_definition)
{
  static const piece_t job[] = {
    CMD("\x1b" "E"),
    CMD("\x1b&f1y0X\x1b*t300R\x1b*r1A\x1b*b2W\x1b\x45\x1b*rB" "TEXT\x1b" "E\x1b&f1X"),
    CMD("\x1b&f1y2X"),
    CMD("\x1b&f0X\x1b%-12345X"), /* the UEL leaves PCL: no definition after it */
    CMD("@PJL\r\n"),
    TXT("\r\n"),
  };
  bytes_t      open_text = B("\x1b&f0XTEXT");
  bytes_t      open_row = B("\x1b&f0X\x1b*b3W\x01");
  bytes_t      open_combined = B("\x1b&f0X\x1b*b20w");
  bytes_t      open_stop = B("\x1b&f0X\x1b&f1");
  fp_tracker_t t;

  tt_expect_suffix(&open_text, open_text.len, (bytes_t)B(""), 0, 0, (bytes_t)B("\x1b&f1X"));
  tt_expect_suffix(&open_text, 5, (bytes_t)B(""), 0, 0, (bytes_t)B("\x1b&f1X"));
  tt_expect_suffix(&open_row, open_row.len, (bytes_t)B(""), 2, 0, (bytes_t)B("\x1b&f1X"));
  tt_expect_suffix(&open_combined, open_combined.len, (bytes_t)B(""), 20, 0,
                   (bytes_t)B("\0\x1b&f1X"));
  tt_expect_suffix(&open_stop, open_stop.len, (bytes_t)B("@"), 0, 0, (bytes_t)B("\x1b&f1X"));
  tt_expect_idle(&(bytes_t)B("\x1b&f0x1X"), 8); /* combined: started, then stopped */
  /* ESC E does not end a definition */
  t = tt_fed("\x1b&f0X\x1b" "E", 7);
  ck_assert(tt_mid(&t));
  tt_flush(&t);
  tt_driver_job(PIECES(job));
}
END_TEST

START_TEST(value_syntax)
{
  /* no data for a zero or negative count, the integer part of a fraction */
  ck_assert(!MID_AFTER("\x1b*b0W"));
  ck_assert(!MID_AFTER("\x1b*b-5W"));
  tt_expect(&(bytes_t)B("\x1b*b2.7W"), 7, (bytes_t)B(""), 2, 0x00);
  tt_expect(&(bytes_t)B("\x1b*b+3W"), 6, (bytes_t)B(""), 3, 0x00);
  /* spaces are ignored; a stray 0x20..0x3F byte after a value, and what follows it, too */
  tt_expect(&(bytes_t)B("\x1b*b 1 2W"), 8, (bytes_t)B(""), 12, 0x00);
  tt_expect(&(bytes_t)B("\x1b*b3/W"), 6, (bytes_t)B(""), 3, 0x00);
  tt_expect(&(bytes_t)B("\x1b*b3/45W"), 8, (bytes_t)B(""), 3, 0x00);
  /* parameter characters: '@'..'^' end the sequence, '`'..'~' go on */
  tt_expect(&(bytes_t)B("\x1b*b2~3W"), 7, (bytes_t)B(""), 3, 0x00);
  tt_expect(&(bytes_t)B("\x1b*b2`3W"), 7, (bytes_t)B(""), 3, 0x00);
  ck_assert(!MID_AFTER("\x1b*b2^3W"));
  ck_assert(!MID_AFTER("\x1b*b2@3W"));
  /* parameterized sequences start with '!'..'/' */
  tt_expect(&(bytes_t)B("\x1b!"), 2, (bytes_t)B("@"), 0, 0x00);
  tt_expect(&(bytes_t)B("\x1b/"), 2, (bytes_t)B("@"), 0, 0x00);
  ck_assert(!MID_AFTER("\x1b" "0"));
  /* any other byte ends the sequence and is taken afresh */
  ck_assert(!MID_AFTER("\x1b*b3\rW"));
  ck_assert(!MID_AFTER("\x1b*b3_W"));
  tt_expect(&(bytes_t)B("\x1b*b3\x1b*b2W"), 9, (bytes_t)B(""), 2, 0x00);
  /* ESC then a byte that starts nothing: the ESC is dropped */
  ck_assert(!MID_AFTER("\x1b\x01"));
  ck_assert(!MID_AFTER("\x1b "));
  tt_expect(&(bytes_t)B("\x1b\x1b"), 2, (bytes_t)B("E"), 0, 0x00);
  /* an upper-case byte after the parameter character ends the command: no group */
  ck_assert(!MID_AFTER("\x1b*B5W"));
  /* commands without data, whatever their value */
  ck_assert(!MID_AFTER("\x1b*x5W"));
  ck_assert(!MID_AFTER("\x1b(s5X"));
  ck_assert(!MID_AFTER("\x1b&l5W"));
  /* huge counts are kept (saturated far beyond any PCL range) for the log of an
     implausible completion (see the bounds test) */
  tt_expect_implausible(&(bytes_t)B("\x1b*b4000000000W"), 4000000000u);
  tt_expect_implausible(&(bytes_t)B("\x1b*b99999999999999999999999W"), UINT64_C(1) << 48);
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
  t = tt_fed(header, strlen(header));
  fp_tracker_feed(&t, data, sizeof(data) - 2);
  ck_assert(tt_mid(&t));
  fp_tracker_feed(&t, data + sizeof(data) - 2, 1);
  ck_assert(!tt_mid(&t));
  fp_tracker_feed(&t, "\x1b*b1W", 5); /* still PCL: the UEL and PJL line were pixels */
  ck_assert(tt_mid(&t));
}
END_TEST

/* rastertohp, LaserJet: no PJL, TIFF (mode 2) rows, form feed, reset. */
static const piece_t laserjet_job[] = {
  CMD("\x1b" "E"), CMD("\x1b&l6D"), CMD("\x1b&k12H"), CMD("\x1b&l0O"),
  CMD("\x1b&l2A"), CMD("\x1b&l66P"), CMD("\x1b&l0E"), CMD("\x1b&l1X"),
  CMD("\x1b&l0S"), CMD("\x1b&l0L"), CMD("\x1b*t300R"), CMD("\x1b*r2400S"),
  CMD("\x1b*r3000T"), CMD("\x1b&a0H"), CMD("\x1b&a360V"), CMD("\x1b*r1A"),
  CMD("\x1b*b2M"), CMD("\x1b*b160Y"), CMD("\x1b*b7W\xfe\x00\x02\x7f\xe0\x1b\x45"),
  CMD("\x1b*b4W\x01\x1b\x25\x2d"), CMD("\x1b*b0W"), CMD("\x1b*r0B"), TXT("\f"),
  CMD("\x1b" "E"),
};

/* rastertohp, DeskJet with CRet color: ESC*g#W, KCMY planes with ESC*b#V. */
static const piece_t deskjet_job[] = {
  CMD("\x1b" "E"), CMD("\x1b&l1H"), CMD("\x1b&l0O"), CMD("\x1b&u300D"),
  CMD("\x1b&l0e0L"), CMD("\x1b*p0Y"), CMD("\x1b*p0X"),
  CMD("\x1b*g26W\x02\x04\x01\x2c\x01\x2c\x00\x02\x01\x2c\x01\x2c\x00\x02\x01\x2c\x01"
         "\x2c\x00\x02\x01\x2c\x01\x2c\x00\x02"),
  CMD("\x1b&l0H"), CMD("\x1b*t300R"), CMD("\x1b*r-4U"), CMD("\x1b*r2400S"),
  CMD("\x1b*r3000T"), CMD("\x1b*r1A"), CMD("\x1b*b2M"),
  CMD("\x1b*b6V\x82\x00\x82\x00\xd3\x00"), CMD("\x1b*b6V\x82\x00\x82\x1b\xd3\x00"),
  CMD("\x1b*b6V\x1b\x00\x82\x00\xd3\x00"), CMD("\x1b*b6W\x82\x00\x82\x00\xd3\x1b"),
  CMD("\x1b*b12Y"), CMD("\x1b*rC"), CMD("\x1b&l0H"), CMD("\x1b" "E"),
};

/* rastertopclx, DesignJet: PJL, HP-GL/2, RTL raster in mode 1, UEL and EOJ. */
static const piece_t designjet_job[] = {
  CMD("\x1b%-12345X"), CMD("@PJL\r\n"), CMD("@PJL JOB NAME = \"t\"\r\n"),
  CMD("@PJL SET PAPERLENGTH=8420\r\n"), CMD("@PJL SET RESOLUTION=300\r\n"),
  CMD("@PJL ENTER LANGUAGE=HPGL2\r\n"), CMD("\x1b" "E"),
  TXT("IN;MG\"1 u t\";BP5,0;PS11068,16398;PU;PA0,0MT0;EC0;"), CMD("\x1b%0A"),
  CMD("\x1b&a1N"), CMD("\x1b*t300R"), CMD("\x1b*r4842S"), CMD("\x1b*r1A"),
  CMD("\x1b*b1M"), CMD("\x1b*b8W\xff\x00\xff\x00\x5c\x00\x00\x3f"),
  CMD("\x1b*b8W\xff\x1b\xff\x25\x5c\x2d\x00\x3f"), CMD("\x1b*r0B"), CMD("\x1b%0B"),
  TXT("PG;"), CMD("\x1b" "E"), CMD("\x1b%-12345X"), CMD("@PJL\r\n"),
  CMD("@PJL EOJ\r\n"), CMD("\x1b%-12345X"), CMD("@PJL\r\n"),
};

/* commandtopclx, a PML maintenance command (ESC&b#W) in a reset sandwich. */
static const piece_t pml_job[] = {
  CMD("\x1b" "E"),
  CMD("\x1b&b16WPML \x04\x00\x06\x01\x04\x01\x05\x01\x01\x04\x01\x64"),
  CMD("\x1b" "E"),
};

START_TEST(driver_jobs)
{
  tt_driver_job(PIECES(pml_job));
  tt_driver_job(PIECES(laserjet_job));
  tt_driver_job(PIECES(deskjet_job));
  tt_driver_job(PIECES(designjet_job));
  tt_driver_job(PIECES(pjl_job));
}
END_TEST

START_TEST(long_data_is_skipped)
{
  fp_tracker_t t = tt_fed("\x1b*b1048576W", 11);

  tt_feed_fill(&t, 0x1b, 1048576u - 1);
  ck_assert(tt_mid(&t));
  fp_tracker_feed(&t, "\x1b", 1);
  ck_assert(!tt_mid(&t));
  ck_assert_uint_eq(t.accepted, 11 + 1048576u);
}
END_TEST

START_TEST(bounds)
{
  /* raster rows and downloads: at most 1 MiB */
  tt_expect(&(bytes_t)B("\x1b*b1048576W"), 11, (bytes_t)B(""), 1048576, 0);
  tt_expect_implausible(&(bytes_t)B("\x1b*b1048577W"), 1048577);
  tt_expect_implausible(&(bytes_t)B("\x1b*b2m1048577w"), 1048577); /* combined: lower case */
  tt_expect_implausible(&(bytes_t)B("\x1b*b99999999999999999999W"), UINT64_C(1) << 48);
  tt_expect(&(bytes_t)B("\x1b)s1048576W"), 11, (bytes_t)B(""), 1048576, 0);
  tt_expect_implausible(&(bytes_t)B("\x1b)s1048577W"), 1048577);
  tt_expect_implausible(&(bytes_t)B("\x1b(s1048577W"), 1048577);
  tt_expect_implausible(&(bytes_t)B("\x1b*c1048577W"), 1048577);
  /* configuration and transparent data: at most 64 KiB */
  tt_expect(&(bytes_t)B("\x1b*v65536W"), 9, (bytes_t)B(""), 65536, 0);
  tt_expect_implausible(&(bytes_t)B("\x1b*v65537W"), 65537);
  tt_expect(&(bytes_t)B("\x1b&p65536X"), 9, (bytes_t)B(""), 65536, 0);
  tt_expect_implausible(&(bytes_t)B("\x1b&p65537X"), 65537);
  /* a large value of a command without data is no debt */
  tt_expect_idle(&(bytes_t)B("\x1b*p99999999X"), 12);
  /* a cut inside a large count is not implausible yet: '@' ends the value unused */
  tt_expect(&(bytes_t)B("\x1b*b9999999"), 10, (bytes_t)B("@"), 0, 0);
  /* the resynchronisation is the UEL, harmless on an idle printer */
  ck_assert_uint_eq(PCL->resync_len, 9);
  ck_assert_mem_eq(PCL->resync, "\x1b%-12345X", 9);
  tt_expect_resync(&(bytes_t)B("\x1b" "E"), 2);
  tt_expect_resync(&(bytes_t)B("\x1b*b12"), 5);
}
END_TEST

START_TEST(text_is_not_mid_command)
{
  char         text[256];
  fp_tracker_t t;

  /* in PCL, every byte value but ESC is text */
  for (int i = 0; i < 256; i++)
    text[i] = (char)(i == 0x1b ? 'x' : i);
  t = tt_fed("\x1b" "E", 2);
  fp_tracker_feed(&t, text, sizeof(text));
  ck_assert(!tt_mid(&t));
  pcl_probe(&t);
  /* a job that starts with text: the automatic switch to PCL */
  t = tt_fed("Hello, world\r\n", 14);
  ck_assert(!tt_mid(&t));
  pcl_probe(&t);
  /* blank bytes between PJL lines */
  t = tt_fed("\x1b%-12345X@PJL\r\n\r\n \t\0\f", 21);
  ck_assert(!tt_mid(&t));
}
END_TEST

START_TEST(split_feeds_are_equivalent)
{
  static uint8_t job[8192];
  piece_t        pieces[2 * CATALOGUE_SIZE + 1];
  size_t         len = 0;

  tt_append_pieces(job, sizeof(job), &len, pieces, catalogue_job(pieces), NULL, NULL);
  tt_append_pieces(job, sizeof(job), &len, PIECES(pjl_job), NULL, NULL);
  tt_append_pieces(job, sizeof(job), &len, PIECES(designjet_job), NULL, NULL);
  tt_append(job, sizeof(job), &len,
            (bytes_t)B("\x1bYab\x1b*b1W\x1bZ\x1b*b2w\x1b\x1b" "3V\x1b\x1b\x1b"));
  tt_split_feeds(job, len);
}
END_TEST

START_TEST(registration)
{
  /* the reset preset ("pjl+pcl") and "reset=pcl" alone select this tracker */
  tt_registered("pcl");
  ck_assert_ptr_eq(fp_language_find("PCL"), PCL);
  ck_assert(PCL->surplus_fill_harmless);
  /* the reset: the UEL, then ESC E */
  tt_reset_is((bytes_t)B("\x1b%-12345X\x1b" "E"));
  ck_assert_ptr_null(fp_reset_language("pjl"));
}
END_TEST

/* The suite. */
static Suite *pcl_suite(void)
{
  Suite *s = suite_create("language-pcl");
  TCase *tc = tcase_create("pcl");

  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, catalogue_cut_everywhere);
  tcase_add_test(tc, raster_completions);
  tcase_add_test(tc, long_combined_data_completes_alone);
  tcase_add_test(tc, pjl_cut_everywhere);
  tcase_add_test(tc, enter_language);
  tcase_add_test(tc, display_functions);
  tcase_add_test(tc, value_syntax);
  tcase_add_test(tc, macro_definition);
  tcase_add_test(tc, uel_is_exact);
  tcase_add_test(tc, data_looks_like_commands);
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
  return fp_run_suite(pcl_suite());
}

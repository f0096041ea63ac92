/*
 * Unit tests for the DYMO LabelWriter tracker (engine/language-dymo.c): CUPS
 * rastertolabel's and LPrint's output, every command cut at every offset,
 * raster lines whose data looks like commands, ETB run-length lines, split
 * feeds.
 */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check-main.h"
#include "tracker-test.h"

#define ESC "\x1b"
#define SYN "\x16"
#define ETB "\x17"
#define ESC_X10 ESC ESC ESC ESC ESC ESC ESC ESC ESC ESC
#define ESC_X100 ESC_X10 ESC_X10 ESC_X10 ESC_X10 ESC_X10 ESC_X10 ESC_X10 ESC_X10 ESC_X10 ESC_X10

/* An idle tracker must take ESC D, SYN and ETB as commands. */
static void dymo_probe(const fp_tracker_t *idle)
{
  fp_tracker_t    t = *idle;
  fp_completion_t c;

  fp_tracker_feed(&t, ESC, 1);
  ck_assert(fp_tracker_completion(&t, &c));
  ck_assert_uint_eq(c.prefix_len, 1);
  ck_assert_uint_eq(c.prefix[0], '@');
  fp_tracker_feed(&t, "D\x02", 2);
  ck_assert(!tt_mid(&t));

  fp_tracker_feed(&t, SYN, 1);
  ck_assert(fp_tracker_completion(&t, &c));
  ck_assert_uint_eq(c.prefix_len, 0);
  ck_assert_uint_eq(c.fill_count, 2);
  ck_assert_uint_eq(c.fill_byte, 0x00);
  fp_tracker_feed(&t, "\x1b\x16", 2);
  ck_assert(!tt_mid(&t));

  fp_tracker_feed(&t, ETB, 1);
  ck_assert(fp_tracker_completion(&t, &c));
  ck_assert_uint_eq(c.prefix_len, 1);
  ck_assert_uint_eq(c.prefix[0], 15); /* 16 white dots */
  ck_assert_uint_eq(c.fill_count, 0);
  fp_tracker_feed(&t, c.prefix, 1);
  ck_assert(!tt_mid(&t));
}

/* A tracker for the LabelWriter; the test programs share tracker-test.h. */
static void setup(void)
{
  tt_language = &fp_language_dymo;
  tt_probe = dymo_probe;
}

/*
 * A label in the shape CUPS rastertolabel sends to dymo.ppd: 100 ESC and
 * ESC @, label length, bytes per line, density, roll, a skip of blank
 * lines, two SYN lines whose data looks like commands, form feed.
 */
static const char label_job[] = ESC_X100 ESC "@"
                                ESC "L\x00\x10" ESC "D\x03" ESC "e" ESC "q1"
                                ESC "f\x01\x02"
                                SYN ESC SYN ETB
                                SYN "\x00@" ESC
                                ESC "E";

START_TEST(rastertolabel_label)
{
  bytes_t      job = B(label_job);
  const span_t spans[] = {
    { 0, 102 },   { 102, 106 }, { 106, 109 }, { 109, 111 }, { 111, 114 },
    { 114, 118 }, { 118, 122 }, { 122, 126 }, { 126, 128 },
  };

  ck_assert_uint_eq(job.len, 128);
  tt_every_cut(&job, spans, sizeof(spans) / sizeof(spans[0]));
  tt_expect(&job, 1, (bytes_t)B("@"), 0, 0);
  tt_expect(&job, 101, (bytes_t)B("@"), 0, 0);
  tt_expect(&job, 103, (bytes_t)B("@"), 0, 0);
  tt_expect(&job, 104, (bytes_t)B("\x00\x00"), 0, 0); /* ESC L: no length before */
  tt_expect(&job, 105, (bytes_t)B("\x00"), 0, 0);
  tt_expect(&job, 108, (bytes_t)B("\x54"), 0, 0);     /* ESC D: 84, the default */
  tt_expect(&job, 113, (bytes_t)B("0"), 0, 0);        /* ESC q: '0', automatic */
  tt_expect(&job, 116, (bytes_t)B("\x01\x00"), 0, 0); /* ESC f 1 0: skip nothing */
  tt_expect(&job, 117, (bytes_t)B("\x00"), 0, 0);
  for (size_t cut = 119; cut < 122; cut++)
    tt_expect(&job, cut, (bytes_t)B(""), 122 - cut, 0x00); /* white, 3 bytes a line */
}
END_TEST

START_TEST(rastertolabel_dark_density)
{
  /*
   * rastertolabel writes the density as ESC ('c' + darkness): "Dark" is
   * ESC f, the 2-parameter skip command, which takes its ESC q as
   * parameters; the '1' after them is ignored, and the label goes on.
   */
  bytes_t job = B(ESC "D\x03" ESC "f" ESC "q1" ESC "f\x01\x02" SYN "\x01\x02\x03" ESC "E");

  tt_expect(&job, 5, (bytes_t)B("\x01\x00"), 0, 0);
  tt_expect(&job, 6, (bytes_t)B("\x00"), 0, 0);
  tt_expect_idle(&job, 7);
  tt_expect_idle(&job, 8); /* '1' */
  tt_expect(&job, 13, (bytes_t)B(""), 3, 0x00);
  tt_expect_idle(&job, job.len);
}
END_TEST

START_TEST(settings_in_force)
{
  static const char settings[] = ESC "D\x03" ESC "B\x05" ESC "L\x01\x02" ESC "Q\x00\x07" ESC "q2"
                                 ESC "C\x01";
  static const struct
  {
    char    code;
    bytes_t prefix;
  } cases[] = {
    { 'D', B("\x03") }, { 'B', B("\x05") }, { 'L', B("\x01\x02") },
    { 'Q', B("\x00\x07") }, { 'q', B("2") }, { 'C', B("\x01") },
  };
  char buf[64];

  /* a cut setting repeats the value in force: the command changes nothing */
  memcpy(buf, settings, sizeof(settings) - 1);
  buf[sizeof(settings) - 1] = 0x1b;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
  {
    bytes_t job = { buf, sizeof(settings) + 1 };

    buf[sizeof(settings)] = cases[i].code;
    tt_expect(&job, job.len, cases[i].prefix, 0, 0);
  }
  tt_expect(&(bytes_t)B(ESC "L\x01\x02" ESC "L\x09"), 7, (bytes_t)B("\x02"), 0, 0);
  /* ESC @ and ESC * restore the power-on settings: 84 bytes per line */
  tt_expect(&(bytes_t)B(ESC "D\x05" ESC "@" SYN), 6, (bytes_t)B(""), 84, 0x00);
  tt_expect(&(bytes_t)B(ESC "D\x05" ESC "*" SYN), 6, (bytes_t)B(""), 84, 0x00);
  tt_expect(&(bytes_t)B(ESC "D\x05" ESC "B\x01" SYN), 7, (bytes_t)B(""), 5, 0x00);
}
END_TEST

START_TEST(compressed_lines)
{
  static const struct
  {
    bytes_t  sent;
    bytes_t  prefix;
    uint64_t fill;
  } cases[] = {
    { B(ESC "D\x02" ETB), B("\x0f"), 0 },          /* 16 dots */
    { B(ESC "D\x02" ETB "\x80"), B("\x0e"), 0 },   /* 15 dots left */
    { B(ESC "D\x20" ETB), B(""), 2 },              /* 256 dots: two white runs */
    { B(ESC "D\x14" ETB "\x05"), B("\x19"), 1 },   /* 154 dots: 26 + 128 */
    { B(ESC "D\x14" ETB "\x85\x7f"), B("\x19"), 0 },
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    tt_expect(&cases[i].sent, cases[i].sent.len, cases[i].prefix, cases[i].fill, 0x7f);
  /* runs add up to exactly the line; ESC, SYN and ETB inside are runs: 28 + 23 + 21 dots */
  tt_expect_idle(&(bytes_t)B(ESC "D\x10" ETB "\xff"), 5);
  tt_expect(&(bytes_t)B(ESC "D\x09" ETB "\x1b\x16\x14"), 6, (bytes_t)B("\x14"), 0, 0);
  tt_expect_idle(&(bytes_t)B(ESC "D\x09" ETB "\x1b\x16\x14"), 7);
}
END_TEST

START_TEST(lprint_feed_lines)
{
  /* LPrint's tape leader: ESC D 0, then SYN lines of no data */
  bytes_t      leader = B(ESC "C\x00" ESC "D\x00" SYN SYN SYN ESC "B\x00");
  fp_tracker_t t = tt_fed(leader.data, leader.len);

  ck_assert(!tt_mid(&t));
  dymo_probe(&t);
}
END_TEST

START_TEST(escape_flood)
{
  /* ESC ESC begins the command anew */
  tt_expect(&(bytes_t)B(ESC ESC ESC "D"), 4, (bytes_t)B("\x54"), 0, 0);
  /* the reset preset alone ends a line shorter than its 100 ESC bytes */
  {
    fp_tracker_t t = tt_fed(ESC "D\x54" SYN "\x01\x02", 6);

    ck_assert(tt_mid(&t));
    tt_reset(&t);
  }
  /* but not a wider one (LabelWriter 4XL lines are 156 bytes): the completion does */
  {
    fp_tracker_t t = tt_fed(ESC "D\x9c" SYN "\x01\x02", 6);
    const fp_preset_t *reset = fp_preset_find("dymo");
    fp_tracker_t       unfinished = t;

    fp_tracker_feed(&unfinished, reset->bytes, reset->len);
    ck_assert(tt_mid(&unfinished));
    tt_expect(&(bytes_t)B(ESC "D\x9c" SYN "\x01\x02"), 6, (bytes_t)B(""), 154, 0x00);
    tt_complete(&t);
    tt_reset(&t);
  }
}
END_TEST

START_TEST(text_is_not_mid_command)
{
  static const uint8_t special[] = { 0x1b, 0x16, 0x17 };
  fp_tracker_t         t;

  tt_only_text(special, sizeof(special));
  /* unknown commands take no parameters */
  t = tt_fed(ESC "x" ESC "\x16" ESC "\xff" ESC "A" ESC "V", 10);
  ck_assert(!tt_mid(&t));
  dymo_probe(&t);
}
END_TEST

START_TEST(split_feeds_are_equivalent)
{
  static const char more[] = ESC "D\x14" ETB "\x05\x1b\x16" ESC "D\x02" SYN ESC SYN ESC "Q\x1b\x17";
  static uint8_t    job[2048];
  size_t            len = 0;

  for (int round = 0; round < 4; round++)
  {
    tt_append(job, sizeof(job), &len, (bytes_t)B(label_job));
    tt_append(job, sizeof(job), &len, (bytes_t)B(more));
  }
  tt_split_feeds(job, len);
}
END_TEST

START_TEST(registry)
{
  tt_registered("dymo");
  ck_assert(!fp_language_dymo.surplus_fill_harmless);
}
END_TEST

START_TEST(bounds_and_resync)
{
  /* one-byte line widths bound every completion: 255 bytes, or 2040 dots of runs */
  tt_expect(&(bytes_t)B("\x1b" "D\xff\x16"), 4, (bytes_t)B(""), 255, 0x00);
  tt_expect(&(bytes_t)B("\x1b" "D\xff\x17"), 4, (bytes_t)B("\x77"), 15, 0x7f);
  /* the resynchronisation outlasts any line or parameter, and is a reset when idle */
  ck_assert_uint_eq(fp_language_dymo.resync_len, 257);
  ck_assert_uint_eq(fp_language_dymo.resync[256], '@');
  tt_expect_resync(&(bytes_t)B("\x1b" "D\xff\x16\x00"), 5);
  tt_expect_resync(&(bytes_t)B("\x1b" "D\xff\x17"), 4);
  tt_expect_resync(&(bytes_t)B("\x1b" "L\x01"), 3);
  tt_expect_resync(&(bytes_t)B("\x1b"), 1);
  tt_expect_resync(&(bytes_t)B("\x1b@"), 2);
  {
    fp_tracker_t t = tt_fed("", 0);

    fp_tracker_feed(&t, fp_language_dymo.resync, fp_language_dymo.resync_len);
    ck_assert(!tt_mid(&t));
    dymo_probe(&t);
  }
}
END_TEST


/* The suite. */
static Suite *dymo_suite(void)
{
  Suite *s = suite_create("language-dymo");
  TCase *tc = tcase_create("dymo");

  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, registry);
  tcase_add_test(tc, rastertolabel_label);
  tcase_add_test(tc, rastertolabel_dark_density);
  tcase_add_test(tc, settings_in_force);
  tcase_add_test(tc, compressed_lines);
  tcase_add_test(tc, lprint_feed_lines);
  tcase_add_test(tc, escape_flood);
  tcase_add_test(tc, text_is_not_mid_command);
  tcase_add_test(tc, split_feeds_are_equivalent);
  tcase_add_test(tc, bounds_and_resync);
  suite_add_tcase(s, tc);
  return s;
}

/* Run the suite; exit status 0 only when every test passed. */
int main(void)
{
  return fp_run_suite(dymo_suite());
}

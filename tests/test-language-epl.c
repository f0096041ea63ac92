/*
 * Unit tests for the EPL2 tracker (engine/language-epl.c): CUPS rastertolabel's
 * output, every command kind cut at every offset, GW and GM data that looks
 * like commands, forms, split feeds.
 */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check-main.h"
#include "tracker-test.h"

#define L(literal) (sizeof(literal) - 1)
#define WHITE 0xff

/* An idle tracker must take a GW graphic and a command line as commands. */
static void epl_probe(const fp_tracker_t *idle)
{
  fp_tracker_t    t = *idle;
  fp_completion_t c;

  fp_tracker_feed(&t, "GW0,0,2,1,", 10);
  ck_assert(fp_tracker_completion(&t, &c));
  ck_assert_uint_eq(c.prefix_len, 0);
  ck_assert_uint_eq(c.fill_count, 2);
  ck_assert_uint_eq(c.fill_byte, WHITE);
  tt_feed_fill(&t, WHITE, 2);
  ck_assert(!tt_mid(&t));

  fp_tracker_feed(&t, "N", 1);
  ck_assert(fp_tracker_completion(&t, &c));
  ck_assert_uint_eq(c.prefix_len, 1);
  ck_assert_uint_eq(c.prefix[0], '\n');
  fp_tracker_feed(&t, "\n", 1);
  ck_assert(!tt_mid(&t));
}

/* A tracker for EPL; the test programs share tracker-test.h. */
static void setup(void)
{
  tt_language = &fp_language_epl;
  tt_probe = epl_probe;
}

/*
 * A label in the shape CUPS rastertolabel sends to zebraep2.ppd: a blank
 * line, N, the width, one GW line per non-blank row (the data inverted:
 * 1 is white) followed by LF, and P1.  The rows' data looks like lines.
 */
static const char label_job[] = "\nN\nq24\n"
                                "GW0,1,3,1\n\nN\n\n"
                                "GW0,2,3,1\nGW0\n"
                                "P1\n";

START_TEST(rastertolabel_label)
{
  bytes_t      job = B(label_job);
  const span_t spans[] = {
    { 1, 3 }, { 3, 7 }, { 7, 20 }, { 21, 34 }, { 35, 38 },
  };

  tt_every_cut(&job, spans, sizeof(spans) / sizeof(spans[0]));
  tt_expect(&job, 2, (bytes_t)B("\n"), 0, 0);    /* N: the line ends */
  tt_expect(&job, 8, (bytes_t)B("\n"), 0, 0);    /* G */
  tt_expect(&job, 15, (bytes_t)B("\n"), 0, 0);   /* GW0,1,3, : no rows yet */
  tt_expect(&job, 16, (bytes_t)B("\n"), 3, WHITE); /* GW0,1,3,1: one row */
  tt_expect(&job, 17, (bytes_t)B(""), 3, WHITE);
  tt_expect(&job, 19, (bytes_t)B(""), 1, WHITE);
  tt_expect_idle(&job, 20);
  tt_expect(&job, 36, (bytes_t)B("\n"), 0, 0);   /* P: it prints */
}
END_TEST

/* One command of each kind and the span (relative to it) where it is mid-command. */
typedef struct entry_s
{
  bytes_t bytes;
  span_t  span;
} entry_t;

static const entry_t catalogue[] = {
  { B("N\n"), { 0, 2 } },
  { B("A10,10,0,3,1,1,N,\"GW1,2\"\n"), { 0, 25 } },
  { B("GW10,20,2,2,\nGW\n\n"), { 0, 16 } }, /* data after ',', then an empty line */
  { B("GW0,0,2,1\r\n\xff\x00"), { 0, 13 } }, /* data after CR LF */
  { B("GW0,0,1,0\n"), { 0, 10 } },           /* no rows: no data */
  { B("GM\"LOGO\"5\r\n\n\r\"GM"), { 0, 16 } },
  { B("FS\"F1\"\nN\nA1,1,0,1,1,1,N,\"x\"\nFE\n"), { 0, 31 } },
  { B("P1\n"), { 0, 3 } },
  { B(";comment GW1\n"), { 0, 13 } },
};

#define CATALOGUE_SIZE (sizeof(catalogue) / sizeof(catalogue[0]))
#define FRAME "\r\n"

START_TEST(catalogue_cut_everywhere)
{
  char buf[64];

  for (size_t i = 0; i < CATALOGUE_SIZE; i++)
  {
    const bytes_t *e = &catalogue[i].bytes;
    span_t         span = { catalogue[i].span.start + L(FRAME), catalogue[i].span.end + L(FRAME) };
    bytes_t        job = { buf, e->len + 2 * L(FRAME) };

    ck_assert_uint_lt(job.len, sizeof(buf));
    memcpy(buf, FRAME, L(FRAME));
    memcpy(buf + L(FRAME), e->data, e->len);
    memcpy(buf + L(FRAME) + e->len, FRAME, L(FRAME));
    tt_every_cut(&job, &span, 1);
  }
}
END_TEST

START_TEST(header_completions)
{
  static const struct
  {
    bytes_t  sent;
    bytes_t  prefix;
    uint64_t fill;
  } cases[] = {
    { B("GW1,2,3"), B("\n"), 0 },        /* no p4: no data */
    { B("GW1,2,3,"), B("\n"), 0 },
    { B("GW1,2,3,4"), B("\n"), 12 },     /* p4 digits so far: that many rows */
    { B("GW1,2,3,45"), B("\n"), 135 },
    { B("GW1,2,3,4\r"), B("\n"), 12 },
    { B("GW1,2,300,4,"), B(""), 1200 },
    { B("GM"), B("\n"), 0 },
    { B("GM\""), B("\"\n"), 0 },         /* close the name: no size, no data */
    { B("GM\"LO"), B("\"\n"), 0 },
    { B("GM\"LO\""), B("\n"), 0 },
    { B("GM\"LO\"12"), B("\n"), 12 },
    { B("GM\"LO\"12\r\n"), B(""), 12 },
    { B("P"), B("\n"), 0 },
    { B("F"), B("\n"), 0 }, /* not storing a form: no FE */
    { B("\r\nq8"), B("\n"), 0 },
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    tt_expect(&cases[i].sent, cases[i].sent.len, cases[i].prefix, cases[i].fill, WHITE);
}
END_TEST

START_TEST(forms)
{
  bytes_t         form = B("FS\"F\"\nA1,1,0,1,1,1,N,\"x\"\nF");
  bytes_t         graphic = B("FS\"F\"\nGW0,0,1,2,\xff");
  fp_tracker_t    t;
  fp_completion_t c;

  tt_expect(&form, 6, (bytes_t)B("FE\n"), 0, 0);    /* storing: end the form */
  tt_expect(&form, 8, (bytes_t)B("\nFE\n"), 0, 0);  /* a cut line is stored, then FE */
  tt_expect(&form, form.len, (bytes_t)B("E\n"), 0, 0);
  tt_expect(&form, 4, (bytes_t)B("\nFE\n"), 0, 0);  /* the FS line itself */
  /* data owed inside a form: the fill, then FE ends the form */
  tt_expect_suffix(&graphic, graphic.len, (bytes_t)B(""), 1, WHITE, (bytes_t)B("FE\n"));
  t = tt_fed(graphic.data, graphic.len);
  tt_feed_fill(&t, WHITE, 1);
  ck_assert(fp_tracker_completion(&t, &c));
  ck_assert_uint_eq(c.prefix_len, 3);
  ck_assert(!memcmp(c.prefix, "FE\n", 3));
  ck_assert_uint_eq(c.fill_count, 0);
  fp_tracker_feed(&t, "FE\n", 3);
  ck_assert(!tt_mid(&t));
  /* FE outside a form is a plain line */
  t = tt_fed("FE\nFE\n", 6);
  ck_assert(!tt_mid(&t));
}
END_TEST

/* Data cut inside a form: the fill, then FE; the reset then runs (issue: GW in FS"F1"). */
START_TEST(data_inside_a_form)
{
  bytes_t       job = B("N\r\nFS\"F1\"\r\nGW10,40,2,3,\xff");
  bytes_t       pcx = B("FS\"F2\"\nGM\"L\"4\n\x0a\x05");
  const piece_t form[] = {
    CMD("N\r\n"),
    CMD("FS\"F1\"\r\nA1,1,0,1,1,1,N,\"x\"\nGW10,40,2,3,\xff\x0a\xff\xff\x0a\xff\nFE\r\n"),
    CMD("P1\n"),
    CMD("FS\"F2\"\nGM\"L\"4\n\x0a" "FE\n\nFE\n"),
  };

  tt_expect_suffix(&job, job.len, (bytes_t)B(""), 5, WHITE, (bytes_t)B("FE\n"));
  tt_expect_suffix(&job, job.len - 1, (bytes_t)B(""), 6, WHITE, (bytes_t)B("FE\n"));
  tt_expect_suffix(&job, job.len - 2, (bytes_t)B("\n"), 6, WHITE, (bytes_t)B("FE\n")); /* "3" */
  tt_expect_suffix(&pcx, pcx.len, (bytes_t)B(""), 2, WHITE, (bytes_t)B("FE\n"));
  tt_driver_job(PIECES(form));
}
END_TEST

START_TEST(data_is_skipped)
{
  bytes_t      job = B("GW0,0,200,65535,");
  fp_tracker_t t = tt_fed(job.data, job.len);

  tt_expect(&job, job.len, (bytes_t)B(""), 13107000, WHITE);
  tt_feed_fill(&t, '\n', 13107000 - 1);
  ck_assert(tt_mid(&t));
  fp_tracker_feed(&t, "\n", 1);
  ck_assert(!tt_mid(&t));
  epl_probe(&t);
}
END_TEST

START_TEST(bounds)
{
  /* GW: rows of at most 1024 bytes, at most 65535 rows */
  tt_expect(&(bytes_t)B("GW0,0,1024,65535,"), 17, (bytes_t)B(""), 1024ull * 65535, WHITE);
  tt_expect(&(bytes_t)B("GW0,0,1024,65535\n"), 17, (bytes_t)B(""), 1024ull * 65535, WHITE);
  tt_expect_implausible(&(bytes_t)B("GW0,0,1025,1,"), 1025);
  tt_expect_implausible(&(bytes_t)B("GW0,0,1025"), 1025);
  tt_expect_implausible(&(bytes_t)B("GW0,0,2,65536,"), 2 * 65536);
  tt_expect_implausible(&(bytes_t)B("GW0,0,2,65536"), 2 * 65536);
  /* GM: a PCX file of at most 64 MiB */
  tt_expect(&(bytes_t)B("GM\"X\"67108864\n"), 14, (bytes_t)B(""), 67108864, WHITE);
  tt_expect_implausible(&(bytes_t)B("GM\"X\"67108865\n"), 67108865);
  tt_expect_implausible(&(bytes_t)B("GM\"X\"67108865"), 67108865);
  /* no resynchronisation */
  ck_assert_ptr_null(fp_language_epl.resync);
}
END_TEST

START_TEST(empty_lines_are_idle)
{
  fp_tracker_t t = tt_fed("\n\r\n\r\r\n", 6);

  ck_assert(!tt_mid(&t));
  epl_probe(&t);
}
END_TEST

START_TEST(split_feeds_are_equivalent)
{
  static uint8_t job[4096];
  size_t         len = 0;

  for (int round = 0; round < 3; round++)
  {
    for (size_t i = 0; i < CATALOGUE_SIZE; i++)
      tt_append(job, sizeof(job), &len, catalogue[i].bytes);
    tt_append(job, sizeof(job), &len, (bytes_t)B(label_job));
  }
  tt_split_feeds(job, len);
}
END_TEST

START_TEST(registry)
{
  tt_registered("epl");
  ck_assert(!fp_language_epl.surplus_fill_harmless);
}
END_TEST

/* The suite. */
static Suite *epl_suite(void)
{
  Suite *s = suite_create("language-epl");
  TCase *tc = tcase_create("epl");

  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, registry);
  tcase_add_test(tc, rastertolabel_label);
  tcase_add_test(tc, catalogue_cut_everywhere);
  tcase_add_test(tc, header_completions);
  tcase_add_test(tc, forms);
  tcase_add_test(tc, data_inside_a_form);
  tcase_add_test(tc, data_is_skipped);
  tcase_add_test(tc, bounds);
  tcase_add_test(tc, empty_lines_are_idle);
  tcase_add_test(tc, split_feeds_are_equivalent);
  suite_add_tcase(s, tc);
  return s;
}

/* Run the suite; exit status 0 only when every test passed. */
int main(void)
{
  return fp_run_suite(epl_suite());
}

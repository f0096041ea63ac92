/*
 * Unit tests for the ESC/P-R tracker (engine/language-escpr.c): a job in the
 * shape Epson's ESC/P-R driver sends, cut at every offset; cut record
 * headers, run-length data ending on a group boundary, the mode switches,
 * the bounds.
 */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check-main.h"
#include "tracker-test.h"

#define ESC "\x1b"

/* The job's pieces (see epson-escpr's SendStartJob, MakeOneRasterData, SendEndJob). */
#define NULS "\0\0\0"
#define EJL1 ESC "\x01@EJL 1284.4\n"
#define EJL2 "@EJL     \n"
#define INIT ESC "@"
#define REMOTE ESC "(R\x08\0\0REMOTE1" "TI\x08\0\0\x07\xe9\x0c\x04\x14\x23\x00" \
               "JS\x04\0\0\0\0\0" "HD\x03\0\0\x03\x04" "PP\x03\0\0\x01\xff" ESC "\0\0\0"
#define ESCPR_ON ESC "(R\x06\0\0ESCPR"
#define SETUP ESC "q\x09\0\0\0setq\0\x01\0\0\0\0\0\0\0" \
              ESC "j\x16\0\0\0setj\0\0\x0b\xa0\0\0\x10\x71\0\x2a\0\x2a\0\0\x0b\x4c\0\0\x10\x1d\0\0" \
              ESC "p\0\0\0\0sttp" ESC "p\x01\0\0\0setn\0"
/* run length: a literal of 2 pixels, 129 white pixels */
#define DSND_RLE ESC "d\x12\0\0\0dsnd\0\0\0\x6c\x01\0\x0b\x01\x10\x20\x30\x40\x50\x60\x80\xff\xff\xff"
/* uncompressed: a black pixel, a white one */
#define DSND_RAW ESC "d\x0d\0\0\0dsnd\0\0\0\x6d\0\0\x06\0\0\0\xff\xff\xff"
#define END ESC "p\x01\0\0\0endp\0" ESC "j\0\0\0\0endj"
#define TAIL INIT ESC "(R\x08\0\0REMOTE1" "JE\x01\0\0" ESC "\0\0\0"

#define LEN(s) (sizeof(s) - 1)

static const char job_bytes[] = NULS EJL1 EJL2 INIT REMOTE ESCPR_ON SETUP DSND_RLE DSND_RAW END TAIL;

/* An idle tracker must take ESC ( R ESCPR as a mode and records in it. */
static void escpr_probe(const fp_tracker_t *idle)
{
  fp_tracker_t    t = *idle;
  fp_completion_t c;

  fp_tracker_feed(&t, ESCPR_ON, LEN(ESCPR_ON));
  ck_assert(fp_tracker_completion(&t, &c)); /* in ESC/P-R mode: endj is owed */
  ck_assert_uint_eq(c.prefix_len, 10);
  ck_assert(!memcmp(c.prefix, ESC "j\0\0\0\0endj", 10));
  fp_tracker_feed(&t, ESC "j\0\0\0\0endj", 10);
  ck_assert(!tt_mid(&t));
}

/* A tracker for ESC/P-R; the test programs share tracker-test.h. */
static void setup(void)
{
  tt_language = &fp_language_escpr;
  tt_probe = escpr_probe;
}

/* Registered under its name, with its own reset: the driver's job-end tail. */
START_TEST(registry)
{
  uint8_t *reset = NULL;
  size_t   len = 0;

  ck_assert_ptr_eq(fp_language_find("ESCPR"), &fp_language_escpr);
  ck_assert_str_eq(fp_language_escpr.reset_preset, "escpr");
  ck_assert_int_eq(fp_reset_parse("escpr", &reset, &len, NULL, 0), FP_OK);
  ck_assert_uint_eq(len, LEN(TAIL));
  ck_assert(!memcmp(reset, TAIL, len));
  free(reset);
}
END_TEST

/* Every cut of the job: idle only at ESC/P command level, between commands. */
START_TEST(driver_job_cut_everywhere)
{
  const bytes_t job = { job_bytes, sizeof(job_bytes) - 1 };
  size_t        ejl = LEN(NULS), init = ejl + LEN(EJL1) + LEN(EJL2), remote = init + LEN(INIT);
  size_t        mode = remote + LEN(REMOTE);
  size_t        tail = mode + LEN(ESCPR_ON SETUP DSND_RLE DSND_RAW END);
  size_t        remote2 = tail + LEN(INIT);
  const span_t  spans[] = {
    { ejl, ejl + LEN(EJL1) }, { ejl + LEN(EJL1), init }, { init, remote }, { remote, mode },
    { mode, tail }, { tail, remote2 }, { remote2, job.len },
  };

  tt_every_cut(&job, spans, sizeof(spans) / sizeof(spans[0]));
  /* between records with a page open: endp, then endj */
  tt_expect_suffix(&job, mode + LEN(ESCPR_ON SETUP), (bytes_t)B(ESC "p\x01\0\0\0endp\0" ESC "j\0\0\0"),
                   0, 0, (bytes_t)B("\0endj"));
  /* a lone ESC at ESC/P level; an EJL line is finished as "@EJL" */
  tt_expect(&job, init + 1, (bytes_t)B("@"), 0, 0);
  tt_expect(&job, ejl + 2, (bytes_t)B("@EJL\n"), 0, 0);
  tt_expect(&job, ejl + 5, (bytes_t)B("L\n"), 0, 0);
  /* in remote mode: the record, then ESC NUL NUL NUL */
  tt_expect(&job, remote + LEN(ESC "(R\x08\0\0REMOTE1") + 1, (bytes_t)B("\0\0\0" ESC "\0\0\0"), 0, 0);
  tt_expect(&job, mode - 3, (bytes_t)B("\0\0\0"), 0, 0);
}
END_TEST

/* Run-length data ends on a group boundary at exactly the record's length. */
START_TEST(run_length_groups)
{
  /* a literal of 1 pixel (4 bytes), then one of 2 (7 bytes): 11 bytes */
  static const bytes_t job = B(ESCPR_ON ESC "d\x12\0\0\0dsnd\0\0\0\0\x01\0\x0b"
                               "\x00\x11\x22\x33" "\x01\x44\x55\x66\x77\x88\x99");
  size_t data = LEN(ESCPR_ON) + 17;

  /* after the first counter: 3 pixel bytes, then 7 bytes, a white literal of 2 */
  tt_expect_suffix(&job, data + 1,
                   (bytes_t)B("\xff\xff\xff\x01\xff\xff\xff\xff\xff\xff" ESC "j\0\0\0\0"),
                   0, 0, (bytes_t)B("endj"));
  /* at the second counter: 7 bytes are one white literal of 2 pixels */
  tt_expect_suffix(&job, data + 4, (bytes_t)B("\x01\xff\xff\xff\xff\xff\xff" ESC "j\0\0\0\0end"),
                   0, 0, (bytes_t)B("j"));
  /* the record is done: only endj */
  tt_expect(&job, job.len, (bytes_t)B(ESC "j\0\0\0\0endj"), 0, 0);
}
END_TEST

/* A long record: the white fill, then the literal that makes the groups add up. */
START_TEST(long_run_length_record)
{
  /* 7 + 4001 bytes: after a 4-byte group, 3997 = 1 (mod 4) bytes owed */
  static const bytes_t job = B(ESCPR_ON ESC "d\xa8\x0f\0\0dsnd\0\0\0\0\x01\x0f\xa1"
                               "\x80\x11\x22\x33");
  fp_tracker_t         t = tt_fed(job.data, job.len);
  fp_completion_t      c;

  ck_assert(fp_tracker_completion(&t, &c));
  ck_assert_uint_eq(c.prefix_len, 0);
  ck_assert_uint_eq(c.fill_count, 3997 - 13);
  ck_assert_uint_eq(c.fill_byte, 0xff);
  ck_assert_uint_eq(c.suffix_len, 13 + 10);
  ck_assert_uint_eq(c.suffix[0], 3); /* a white literal of 4 pixels */
  ck_assert(!memcmp(c.suffix + 13, ESC "j\0\0\0\0endj", 10));
  tt_flush(&t);
}
END_TEST

/* A record cut in its header becomes one of the driver's records. */
START_TEST(cut_headers)
{
  static const bytes_t setq = B(ESCPR_ON ESC "q\x09\0\0\0setq\0\x01\0\0\0\0\0\0\0");
  static const bytes_t dsnd = B(ESCPR_ON ESC "d\x06\x03\0\0dsnd");
  static const bytes_t short_d = B(ESCPR_ON ESC "d\x06\0\0\0jsn");
  size_t               at = LEN(ESCPR_ON);

  tt_expect(&setq, at + 1, (bytes_t)B("j\0\0\0\0endj"), 0, 0);           /* lone ESC: endj */
  tt_expect_suffix(&setq, at + 2, (bytes_t)B("\x09\0\0\0setq"), 9, 0x00, /* 9 zeros */
                   (bytes_t)B(ESC "j\0\0\0\0endj"));
  /* a dsnd length cut below 7 gets a 1 (white pixels), the size its length says */
  tt_expect_suffix(&dsnd, at + 3, (bytes_t)B("\x01\0\0dsnd\0\0\0\0\0\x00\xff"), 255, 0xff,
                   (bytes_t)B(ESC "j\0\0\0\0endj"));
  tt_expect_suffix(&dsnd, dsnd.len, (bytes_t)B("\0\0\0\0\0\x02\xff"), 0x2ff, 0xff,
                   (bytes_t)B(ESC "j\0\0\0\0endj"));
  /* three length bytes below 7 can no longer make a dsnd (7 to 65542): a jsnd, whose
     length is free, keeps the records in step, and the stream stays plausible */
  tt_expect_suffix(&short_d, at + 5, (bytes_t)B("\0jsnd\0\0\0\0\0\0" ESC "j\0\0\0"), 0, 0,
                   (bytes_t)B("\0endj"));
  tt_expect_suffix(&short_d, at + 9, (bytes_t)B("d\0\0\0\0\0\0" ESC "j\0\0\0\0end"), 0, 0,
                   (bytes_t)B("j"));
  /* ESC ( R cut in NUL "ESCPR" is completed with 0x00 and does not enter the mode */
  tt_expect(&setq, 7, (bytes_t)B("\0\0\0\0"), 0, 0);
  tt_expect_idle(&(bytes_t)B(ESC "(R\x06\0\0ESC\0\0" ESC "q"), 13);
}
END_TEST

/* Counts the driver never emits: lost until init. */
START_TEST(bounds)
{
  tt_expect_implausible(&(bytes_t)B(ESCPR_ON ESC "q\x07\0\x01\0setq"), 65543);
  tt_expect_implausible(&(bytes_t)B(ESCPR_ON ESC "d\x06\0\0\0dsnd"), 6);
  tt_expect_implausible(&(bytes_t)B(ESCPR_ON ESC "d\x0d\0\0\0dsnd\0\0\0\0\0\0\x07"), 13);
  tt_expect_implausible(&(bytes_t)B(ESCPR_ON ESC "d\x0d\0\0\0dsnd\0\0\0\0\x02\0\x06"), 13);
  /* run length whose group overruns the data, or leaves 5 bytes no groups add up to */
  tt_expect_implausible(&(bytes_t)B(ESCPR_ON ESC "d\x0b\0\0\0dsnd\0\0\0\0\x01\0\x04\x05"), 11);
  tt_expect_implausible(&(bytes_t)B(ESCPR_ON ESC "d\x10\0\0\0dsnd\0\0\0\0\x01\0\x09\x80"), 16);
  /* the largest dsnd is plausible: 65535 white bytes */
  tt_expect_suffix(&(bytes_t)B(ESCPR_ON ESC "d\x06\0\x01\0dsnd\0\0\0\0\0\xff\xff"), 28,
                   (bytes_t)B(""), 65535, 0xff, (bytes_t)B(ESC "j\0\0\0\0endj"));
}
END_TEST

/* The suite. */
static Suite *escpr_suite(void)
{
  Suite *s = suite_create("language-escpr");
  TCase *tc = tcase_create("escpr");

  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, registry);
  tcase_add_test(tc, driver_job_cut_everywhere);
  tcase_add_test(tc, run_length_groups);
  tcase_add_test(tc, long_run_length_record);
  tcase_add_test(tc, cut_headers);
  tcase_add_test(tc, bounds);
  suite_add_tcase(s, tc);
  return s;
}

/* Run the suite; exit status 0 only when every test passed. */
int main(void)
{
  return fp_run_suite(escpr_suite());
}

/*
 * Unit tests for the flush engine (engine/flush.c): completion then reset
 * through fake write functions that take partial amounts, fail midway or
 * make no progress; exact counts and tracker state in every case.
 */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/flush.h"
#include "../engine/language.h"
#include "check-main.h"
#include "flushprinter.h"

#define NEVER UINT64_MAX
#define CAPTURE_MAX 1024

/* A fake device: takes a few bytes per call, may fail at a given total. */
typedef struct device_s
{
  uint8_t  captured[CAPTURE_MAX]; /* the first bytes accepted */
  uint64_t total;                 /* bytes accepted */
  size_t   step;                  /* 0: take everything; else 1..step bytes, varying per call */
  uint64_t fail_at;               /* the call that would pass this total fails with FP_ERROR_IO */
  bool     stall;                 /* take nothing and report success */
  unsigned calls;
  size_t   largest;               /* longest buffer offered */
} device_t;

/* The fp_write_fn of the fake device. */
static int device_write(void *ctx, const uint8_t *buf, size_t len, size_t *accepted)
{
  device_t *d = ctx;
  size_t    n = len;
  int       status = FP_OK;

  d->calls++;
  if (len > d->largest)
    d->largest = len;
  *accepted = 0;
  if (d->stall)
    return FP_OK;
  if (d->step && n > 1 + d->calls % d->step)
    n = 1 + d->calls % d->step;
  if (d->total + n > d->fail_at)
  {
    n = (size_t)(d->fail_at - d->total);
    status = FP_ERROR_IO;
  }
  for (size_t i = 0; i < n && d->total + i < CAPTURE_MAX; i++)
    d->captured[d->total + i] = buf[i];
  d->total += n;
  *accepted = n;
  return status;
}

/* A device that takes 1 to 3 bytes per call and never fails. */
static device_t partial_device(void)
{
  device_t d = { .step = 3, .fail_at = NEVER };

  return d;
}

/* An ESC/POS tracker that has seen `len` bytes of `data`. */
static fp_tracker_t escpos_fed(const void *data, size_t len)
{
  fp_tracker_t t;

  fp_tracker_init(&t, &fp_language_escpos);
  fp_tracker_feed(&t, data, len);
  return t;
}

/* Assert the device received exactly `len` bytes `want`. */
static void assert_captured(const device_t *d, const void *want, size_t len)
{
  ck_assert_uint_eq(d->total, len);
  ck_assert_msg(!memcmp(d->captured, want, len), "the device received the wrong bytes");
}

/* A GS v 0 header for `x` bytes by `y` rows. */
static const uint8_t raster_4x3[] = { 0x1d, 'v', '0', 0, 4, 0, 3, 0 };

START_TEST(idle_sends_reset_only)
{
  fp_tracker_t      t = escpos_fed("Hello\n", 6);
  device_t          d = partial_device();
  fp_flush_counts_t counts = { 99, 99, 99 };

  ck_assert_int_eq(fp_flush_send(&t, (const uint8_t *)"\x1b@", 2, device_write, &d, &counts),
                   FP_OK);
  assert_captured(&d, "\x1b@", 2);
  ck_assert_uint_eq(counts.padding, 0);
  ck_assert_uint_eq(counts.reset, 2);
  ck_assert_uint_eq(t.accepted, 8);
}
END_TEST

START_TEST(completes_raster_data_with_partial_writes)
{
  fp_tracker_t      t = escpos_fed(raster_4x3, sizeof(raster_4x3));
  device_t          d = partial_device();
  fp_flush_counts_t counts;
  uint8_t           want[9] = { 0 };

  fp_tracker_feed(&t, "\x1b\x1d\x01\x02\x03", 5); /* 5 of 12 pixels bytes sent */
  want[7] = 0x1b;
  want[8] = '@';
  ck_assert_int_eq(fp_flush_send(&t, want + 7, 2, device_write, &d, &counts), FP_OK);
  assert_captured(&d, want, 9);
  ck_assert_uint_eq(counts.padding, 7);
  ck_assert_uint_eq(counts.reset, 2);
  ck_assert_uint_gt(d.calls, 3); /* it really looped on partial writes */
  ck_assert(!fp_tracker_completion(&t, NULL));
  ck_assert_uint_eq(t.accepted, sizeof(raster_4x3) + 5 + 9);
}
END_TEST

START_TEST(completes_raster_header)
{
  /* yH missing: the prefix sends it as 0, then 4 x 3 white bytes */
  fp_tracker_t      t = escpos_fed(raster_4x3, sizeof(raster_4x3) - 1);
  device_t          d = partial_device();
  fp_flush_counts_t counts;
  uint8_t           want[1 + 12 + 9] = { 0 };

  memcpy(want + 13, "\x1b%-12345X", 9);
  ck_assert_int_eq(fp_flush_send(&t, want + 13, 9, device_write, &d, &counts), FP_OK);
  assert_captured(&d, want, sizeof(want));
  ck_assert_uint_eq(counts.padding, 13);
  ck_assert_uint_eq(counts.reset, 9);
}
END_TEST

START_TEST(fails_midway_in_fill)
{
  fp_tracker_t      t = escpos_fed(raster_4x3, sizeof(raster_4x3));
  device_t          d = partial_device();
  fp_flush_counts_t counts;
  fp_completion_t   left;

  d.fail_at = 5;
  ck_assert_int_eq(fp_flush_send(&t, (const uint8_t *)"\x1b@", 2, device_write, &d, &counts),
                   FP_ERROR_IO);
  ck_assert_uint_eq(counts.padding, 5);
  ck_assert_uint_eq(counts.reset, 0);
  ck_assert_uint_eq(d.total, 5);
  /* the tracker followed what the device took: 7 pixel bytes are still owed */
  ck_assert(fp_tracker_completion(&t, &left));
  ck_assert_uint_eq(fp_completion_size(&left), 7);

  /* a second flush picks up where the first stopped */
  d.fail_at = NEVER;
  ck_assert_int_eq(fp_flush_send(&t, (const uint8_t *)"\x1b@", 2, device_write, &d, &counts),
                   FP_OK);
  ck_assert_uint_eq(counts.padding, 7);
  ck_assert_uint_eq(counts.reset, 2);
  ck_assert_uint_eq(d.total, 14);
  ck_assert(!fp_tracker_completion(&t, NULL));
}
END_TEST

START_TEST(fails_midway_in_reset)
{
  fp_tracker_t      t = escpos_fed(raster_4x3, sizeof(raster_4x3));
  device_t          d = partial_device();
  fp_flush_counts_t counts;

  fp_tracker_feed(&t, "\x00\x00\x00\x00\x00\x00\x00\x00\x00", 9); /* 3 owed */
  d.fail_at = 3 + 4;
  ck_assert_int_eq(fp_flush_send(&t, (const uint8_t *)"\x1b%-12345X", 9, device_write, &d,
                                 &counts),
                   FP_ERROR_IO);
  ck_assert_uint_eq(counts.padding, 3);
  ck_assert_uint_eq(counts.reset, 4);
  ck_assert_uint_eq(t.accepted, sizeof(raster_4x3) + 9 + 7);
}
END_TEST

START_TEST(fails_at_once)
{
  fp_tracker_t      t = escpos_fed(raster_4x3, sizeof(raster_4x3));
  device_t          d = partial_device();
  fp_flush_counts_t counts;

  d.fail_at = 0;
  ck_assert_int_eq(fp_flush_send(&t, (const uint8_t *)"\x1b@", 2, device_write, &d, &counts),
                   FP_ERROR_IO);
  ck_assert_uint_eq(counts.padding, 0);
  ck_assert_uint_eq(counts.reset, 0);
  ck_assert_uint_eq(t.accepted, sizeof(raster_4x3));
}
END_TEST

START_TEST(no_progress_is_an_error)
{
  fp_tracker_t      t = escpos_fed(raster_4x3, sizeof(raster_4x3));
  device_t          d = partial_device();
  fp_flush_counts_t counts;

  d.stall = true;
  ck_assert_int_eq(fp_flush_send(&t, (const uint8_t *)"\x1b@", 2, device_write, &d, &counts),
                   FP_ERROR_IO);
  ck_assert_uint_eq(counts.padding, 0);
  ck_assert_uint_eq(counts.reset, 0);
  ck_assert_uint_eq(d.calls, 1);
}
END_TEST

START_TEST(invalid_arguments)
{
  fp_tracker_t      t = escpos_fed("", 0);
  device_t          d = partial_device();
  fp_flush_counts_t counts = { 5, 5, 5 };
  fp_completion_t   bad = { .prefix_len = FP_COMPLETION_PREFIX_MAX + 1 };

  ck_assert_int_eq(fp_flush_send(&t, (const uint8_t *)"\x1b@", 2, NULL, &d, &counts),
                   FP_ERROR_INVALID_ARGUMENT);
  ck_assert_uint_eq(counts.padding + counts.reset, 0);
  ck_assert_int_eq(fp_flush_send(&t, NULL, 2, device_write, &d, &counts),
                   FP_ERROR_INVALID_ARGUMENT);
  ck_assert_int_eq(fp_flush_send_owed(&bad, &t, NULL, 0, device_write, &d, &counts),
                   FP_ERROR_INVALID_ARGUMENT);
  ck_assert_uint_eq(d.calls, 0);
  /* no reset and nothing owed: nothing to write, success */
  ck_assert_int_eq(fp_flush_send(&t, NULL, 0, device_write, &d, &counts), FP_OK);
  ck_assert_uint_eq(d.calls, 0);
}
END_TEST

START_TEST(optional_tracker_and_counts)
{
  device_t d = partial_device();

  ck_assert_int_eq(fp_flush_send(NULL, (const uint8_t *)"\x1b" "E", 2, device_write, &d, NULL),
                   FP_OK);
  assert_captured(&d, "\x1b" "E", 2);
}
END_TEST

START_TEST(owed_from_a_journal)
{
  /* a job that died mid-raster left its completion in the journal; a new
     process with a fresh tracker sends that completion */
  fp_tracker_t      dead = escpos_fed(raster_4x3, sizeof(raster_4x3) - 2);
  fp_tracker_t      fresh = escpos_fed("", 0);
  fp_completion_t   owed;
  device_t          d = partial_device();
  fp_flush_counts_t counts;
  static const uint8_t want[] = { 0, 0, 0x1b, '@' };

  ck_assert(fp_tracker_completion(&dead, &owed));
  ck_assert_int_eq(fp_flush_send_owed(&owed, &fresh, want + 2, 2, device_write, &d, &counts),
                   FP_OK);
  /* yL = 0 and yH = 0 complete the header with no data owed */
  assert_captured(&d, want, sizeof(want));
  ck_assert_uint_eq(counts.padding, 2);
  ck_assert_uint_eq(fresh.accepted, 4);

  /* a completion with data, a non-zero fill byte, no tracker */
  {
    fp_completion_t custom = { .prefix = { 'a', 'b' }, .prefix_len = 2, .fill_count = 5,
                               .fill_byte = 0xaa, .suffix = { 'x', 'y', 'w' }, .suffix_len = 3 };
    device_t        e = partial_device();

    ck_assert_int_eq(fp_flush_send_owed(&custom, NULL, (const uint8_t *)"z", 1, device_write, &e,
                                        &counts),
                     FP_OK);
    /* prefix, fill, suffix, then the reset */
    assert_captured(&e, "ab\xaa\xaa\xaa\xaa\xaaxywz", 11);
    ck_assert_uint_eq(counts.padding, 10);
    ck_assert_uint_eq(counts.reset, 1);
    ck_assert_uint_eq(fp_completion_size(&custom), 10);
    custom.suffix_len = FP_COMPLETION_SUFFIX_MAX + 1;
    ck_assert_int_eq(fp_flush_send_owed(&custom, NULL, NULL, 0, device_write, &e, &counts),
                     FP_ERROR_INVALID_ARGUMENT);
  }

  /* NULL owed: only the reset */
  {
    device_t e = partial_device();

    ck_assert_int_eq(fp_flush_send_owed(NULL, NULL, (const uint8_t *)"z", 1, device_write, &e,
                                        &counts),
                     FP_OK);
    assert_captured(&e, "z", 1);
    ck_assert_uint_eq(counts.padding, 0);
  }
}
END_TEST

START_TEST(large_fill_in_chunks)
{
  /* 1024 bytes (the widest plausible) x 8192 rows: 8 MiB of white written from a small buffer */
  static const uint8_t header[] = { 0x1d, 'v', '0', 0, 0x00, 0x04, 0x00, 0x20 };
  fp_tracker_t         t = escpos_fed(header, sizeof(header));
  device_t             d = { .fail_at = NEVER };
  fp_flush_counts_t    counts;

  ck_assert_int_eq(fp_flush_send(&t, (const uint8_t *)"\x1b@", 2, device_write, &d, &counts),
                   FP_OK);
  ck_assert_uint_eq(counts.padding, 1024ull * 8192ull);
  ck_assert_uint_eq(counts.reset, 2);
  ck_assert_uint_eq(d.total, 1024ull * 8192ull + 2);
  ck_assert_uint_le(d.largest, 65536);
  ck_assert_uint_gt(d.calls, 1024ull * 8192ull / 65536);
  ck_assert(!fp_tracker_completion(&t, NULL));
}
END_TEST


/* A plan over the fake device with a ceiling; no tracker unless given. */
static fp_flush_plan_t plan_for(device_t *d, const fp_completion_t *owed, uint64_t ceiling)
{
  fp_flush_plan_t plan = { .owed = owed, .ceiling = ceiling, .resync = (const uint8_t *)"RS",
                           .resync_len = 2, .reset = (const uint8_t *)"\x1b@", .reset_len = 2,
                           .write = device_write, .ctx = d };

  return plan;
}

START_TEST(ceiling_lets_an_equal_debt_through)
{
  fp_completion_t   owed = { .prefix = { 'p' }, .prefix_len = 1, .fill_count = 8, .fill_byte = 'f' };
  device_t          d = partial_device();
  fp_flush_plan_t   plan = plan_for(&d, &owed, 9);
  fp_flush_counts_t counts;

  ck_assert_int_eq(fp_flush_refusal(&owed, 9), FP_REFUSAL_NONE);
  ck_assert_int_eq(fp_flush_run(&plan, &counts), FP_OK);
  assert_captured(&d, "pffffffff\x1b@", 11);
  ck_assert_uint_eq(counts.padding, 9);
  ck_assert_uint_eq(counts.refused, 0);
}
END_TEST

START_TEST(over_the_ceiling_sends_resync_and_reset_only)
{
  fp_completion_t   owed = { .prefix = { 'p' }, .prefix_len = 1, .fill_count = 8, .fill_byte = 'f' };
  device_t          d = partial_device();
  fp_flush_plan_t   plan = plan_for(&d, &owed, 8);
  fp_flush_counts_t counts;

  ck_assert_int_eq(fp_flush_refusal(&owed, 8), FP_REFUSAL_CEILING);
  ck_assert_int_eq(fp_flush_run(&plan, &counts), FP_OK);
  assert_captured(&d, "RS\x1b@", 4);
  ck_assert_uint_eq(counts.padding, 0);
  ck_assert_uint_eq(counts.reset, 4);
  ck_assert_uint_eq(counts.refused, 9);
}
END_TEST

START_TEST(implausible_debt_is_never_sent)
{
  fp_completion_t      owed = { .fill_count = 5, .implausible = true };
  device_t             d = partial_device();
  fp_flush_plan_t      plan = plan_for(&d, &owed, UINT64_MAX);
  fp_flush_counts_t    counts;

  /* Even with no ceiling at all. */
  ck_assert_int_eq(fp_flush_run(&plan, &counts), FP_OK);
  assert_captured(&d, "RS\x1b@", 4);
  ck_assert_uint_eq(counts.refused, 5);
  /* The legacy entry points refuse it too, whatever the tracker reports. */
  d = partial_device();
  ck_assert_int_eq(fp_flush_send_owed(&owed, NULL, (const uint8_t *)"\x1b@", 2, device_write,
                                      &d, &counts), FP_OK);
  assert_captured(&d, "\x1b@", 2);
}
END_TEST

/* Progress callback of the stopped-flush test: the padding seen at each call. */
typedef struct progress_s
{
  device_t d;
  uint64_t last, calls;
  uint64_t stop_after; /* the write after this many padding bytes is canceled */
} progress_t;

/* Writes to the fake device until `stop_after` padding bytes, then reports a cancel. */
static int stopping_write(void *ctx, const uint8_t *buf, size_t len, size_t *accepted)
{
  progress_t *p = ctx;

  *accepted = 0;
  if (p->d.total >= p->stop_after)
    return FP_ERROR_CANCELED;
  return device_write(&p->d, buf, len, accepted);
}

/* Records the padding the flush reports after each write. */
static void note_progress(void *ctx, uint64_t padding)
{
  progress_t *p = ctx;

  ck_assert_uint_ge(padding, p->last);
  p->last = padding;
  p->calls++;
}

START_TEST(a_cancel_stops_the_fill_and_the_rest_is_exact)
{
  fp_completion_t   owed = { .prefix = { 'a', 'b' }, .prefix_len = 2, .fill_count = 100000,
                             .suffix = { 'z' }, .suffix_len = 1 };
  progress_t        p = { .d = { .fail_at = NEVER }, .stop_after = 50000 };
  fp_flush_plan_t   plan = { .owed = &owed, .ceiling = UINT64_MAX, .reset = (const uint8_t *)"R",
                             .reset_len = 1, .write = stopping_write, .progress = note_progress,
                             .ctx = &p };
  fp_flush_counts_t counts;
  fp_completion_t   rest = owed;

  ck_assert_int_eq(fp_flush_run(&plan, &counts), FP_ERROR_CANCELED);
  ck_assert_uint_ge(counts.padding, 50000);
  ck_assert_uint_lt(counts.padding, 50000 + 4096 + 2);
  ck_assert_uint_eq(p.last, counts.padding);
  ck_assert_uint_gt(p.calls, 1);
  ck_assert_uint_eq(counts.reset, 0);
  fp_completion_advance(&rest, counts.padding);
  ck_assert_uint_eq(fp_completion_size(&rest), fp_completion_size(&owed) - counts.padding);
  ck_assert_uint_eq(rest.prefix_len, 0);
  ck_assert_uint_eq(rest.suffix_len, 1);
}
END_TEST

START_TEST(advance_walks_prefix_fill_suffix)
{
  fp_completion_t c = { .prefix = { 1, 2, 3 }, .prefix_len = 3, .fill_count = 4, .fill_byte = 9,
                        .suffix = { 7, 8 }, .suffix_len = 2 };

  fp_completion_advance(&c, 2);
  ck_assert_uint_eq(c.prefix_len, 1);
  ck_assert_uint_eq(c.prefix[0], 3);
  fp_completion_advance(&c, 3);
  ck_assert_uint_eq(c.prefix_len, 0);
  ck_assert_uint_eq(c.fill_count, 2);
  fp_completion_advance(&c, 3);
  ck_assert_uint_eq(c.fill_count, 0);
  ck_assert_uint_eq(c.suffix_len, 1);
  ck_assert_uint_eq(c.suffix[0], 8);
  fp_completion_advance(&c, 100);
  ck_assert_uint_eq(fp_completion_size(&c), 0);
}
END_TEST

/* The suite. */
static Suite *flush_suite(void)
{
  Suite *s = suite_create("flush");
  TCase *send = tcase_create("send");
  TCase *failures = tcase_create("failures");
  TCase *limits = tcase_create("limits");

  tcase_add_test(send, idle_sends_reset_only);
  tcase_add_test(send, completes_raster_data_with_partial_writes);
  tcase_add_test(send, completes_raster_header);
  tcase_add_test(send, optional_tracker_and_counts);
  tcase_add_test(send, owed_from_a_journal);
  tcase_add_test(send, large_fill_in_chunks);
  suite_add_tcase(s, send);

  tcase_add_test(failures, fails_midway_in_fill);
  tcase_add_test(failures, fails_midway_in_reset);
  tcase_add_test(failures, fails_at_once);
  tcase_add_test(failures, no_progress_is_an_error);
  tcase_add_test(failures, invalid_arguments);
  suite_add_tcase(s, failures);

  tcase_add_test(limits, ceiling_lets_an_equal_debt_through);
  tcase_add_test(limits, over_the_ceiling_sends_resync_and_reset_only);
  tcase_add_test(limits, implausible_debt_is_never_sent);
  tcase_add_test(limits, a_cancel_stops_the_fill_and_the_rest_is_exact);
  tcase_add_test(limits, advance_walks_prefix_fill_suffix);
  suite_add_tcase(s, limits);
  return s;
}

/* Run the suite; exit status 0 only when every test passed. */
int main(void)
{
  return fp_run_suite(flush_suite());
}

/*
 * Unit tests for the small lib modules: clock.c and error.c.
 */

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check-main.h"
#include "clock.h"
#include "flushprinter.h"

START_TEST(every_status_has_its_own_message)
{
  for (int a = FP_ERROR_STATE; a <= FP_OK; a++)
  {
    ck_assert_ptr_nonnull(fp_strerror(a));
    ck_assert_int_gt(strlen(fp_strerror(a)), 5);
    ck_assert_str_ne(fp_strerror(a), "Unknown error");
    for (int b = FP_ERROR_STATE; b < a; b++)
      ck_assert_str_ne(fp_strerror(a), fp_strerror(b));
  }
  ck_assert_str_eq(fp_strerror(1), "Unknown error");
  ck_assert_str_eq(fp_strerror(FP_ERROR_STATE - 1), "Unknown error");
}
END_TEST

START_TEST(monotonic_clock_advances_and_deadlines_clamp)
{
  int64_t         start = fp_monotonic_ms();
  struct timespec pause = { 0, 30 * 1000000 };

  nanosleep(&pause, NULL);
  ck_assert_int_ge(fp_monotonic_ms() - start, 30);
  ck_assert_int_eq(fp_ms_until(start), 0);
  ck_assert_int_le(fp_ms_until(fp_monotonic_ms() + 500), 500);
  ck_assert_int_gt(fp_ms_until(fp_monotonic_ms() + 500), 400);
  ck_assert_int_eq(fp_ms_until(INT64_MAX / 2), INT32_MAX);
}
END_TEST

START_TEST(realtime_clock_is_the_epoch_in_ms)
{
  int64_t now = fp_realtime_ms();

  ck_assert_int_le(llabs(now / 1000 - (int64_t)time(NULL)), 1);
}
END_TEST

/* The util suite: error messages and clocks. */
static Suite *util_suite(void)
{
  Suite *s = suite_create("util");
  TCase *tc = tcase_create("util");

  tcase_add_test(tc, every_status_has_its_own_message);
  tcase_add_test(tc, monotonic_clock_advances_and_deadlines_clamp);
  tcase_add_test(tc, realtime_clock_is_the_epoch_in_ms);
  suite_add_tcase(s, tc);
  return s;
}

/* Run the suite; exit status 0 only when every test passed. */
int main(void)
{
  return fp_run_suite(util_suite());
}

/*
 * Unit tests for the small lib modules: clock.c, error.c, wait.c and
 * device-id.c.
 */

#include <check.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../engine/device-id.h"
#include "check-main.h"
#include "clock.h"
#include "flushprinter.h"
#include "wait.h"

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

/* Decode `n` bytes of a GET_DEVICE_ID answer into a buffer of `size`; FP_OK expected. */
static const char *decode(const char *raw, size_t n, size_t size)
{
  static char out[64];

  ck_assert_uint_le(size, sizeof(out));
  memset(out, 'x', sizeof(out));
  ck_assert_int_eq(fp_device_id_decode((const uint8_t *)raw, n, out, size), FP_OK);
  return out;
}

/* The length prefix counts itself, big-endian; little-endian or missing lengths are survived. */
START_TEST(device_id_decode)
{
  ck_assert_str_eq(decode("\x00\x0bMFG:EPSON;junk", 18, 64), "MFG:EPSON");
  ck_assert_str_eq(decode("\x0b\x00MFG:EPSON;junk", 18, 64), "MFG:EPSON"); /* little-endian */
  ck_assert_str_eq(decode("\xff\xffMFG:A;", 8, 64), "MFG:A;");  /* neither fits: all received */
  ck_assert_str_eq(decode("\x00\x02", 2, 64), "");
  ck_assert_str_eq(decode("\x00\x0bMFG:EPSON;", 13, 5), "MFG:"); /* cut to the buffer */
  ck_assert_str_eq(decode("\x00\x00\x00", 3, 64), ""); /* no length: all of it, a NUL */
  ck_assert_int_eq(fp_device_id_decode((const uint8_t *)"\x00", 1, (char[8]){ 0 }, 8),
                   FP_ERROR_IO);
}
END_TEST

/* Fields by key or alias, any case, spaces trimmed; absent fields are "". */
START_TEST(device_id_fields)
{
  static const char id[] = "MANUFACTURER: Zebra ;mdl:ZD420; CMD:ZPL,EPL;SN:;";
  char              out[16];
  const char       *value;
  size_t            len;

  fp_device_id_field(id, "MFG", "MANUFACTURER", out, sizeof(out));
  ck_assert_str_eq(out, "Zebra");
  fp_device_id_field(id, "MDL", "MODEL", out, sizeof(out));
  ck_assert_str_eq(out, "ZD420");
  fp_device_id_field(id, "SN", "SERN", out, sizeof(out));
  ck_assert_str_eq(out, "");
  fp_device_id_field(id, "DES", "DESCRIPTION", out, sizeof(out));
  ck_assert_str_eq(out, "");
  fp_device_id_field(id, "CMD", "COMMAND SET", out, 4);
  ck_assert_str_eq(out, "ZPL");
  ck_assert(fp_device_id_find(id, "CMD", "COMMAND SET", &value, &len));
  ck_assert_uint_eq(len, 7);
  ck_assert_int_eq(strncmp(value, "ZPL,EPL", len), 0);
  ck_assert(!fp_device_id_find("", "MFG", "MANUFACTURER", &value, &len));
}
END_TEST

/* One wait: ready, timeout, a cancel (written or hung up), descriptors that are not open. */
START_TEST(wait_once_outcomes)
{
  int data[2], cancel[2];

  ck_assert_int_eq(pipe(data), 0);
  ck_assert_int_eq(pipe(cancel), 0);
  ck_assert_int_eq(fp_wait_once(data[0], POLLIN, cancel[0], 10, NULL), FP_WAIT_TIMEOUT);
  ck_assert_int_eq(fp_wait_once(data[1], POLLOUT, cancel[0], 10, NULL), FP_WAIT_READY);
  ck_assert_int_eq(fp_wait_once(-1, 0, -1, 10, NULL), FP_WAIT_TIMEOUT);
  ck_assert_int_eq(write(cancel[1], "x", 1), 1);
  ck_assert_int_eq(fp_wait_once(data[1], POLLOUT, cancel[0], 10, NULL), FP_WAIT_CANCELED);
  ck_assert_int_eq(fp_wait_fd(data[1], POLLOUT, cancel[0], 10), -1);
  close(cancel[1]);
  ck_assert_int_eq(read(cancel[0], (char[1]){ 0 }, 1), 1);
  ck_assert_int_eq(fp_wait_once(-1, 0, cancel[0], -1, NULL), FP_WAIT_CANCELED); /* at its end */
  close(cancel[0]);
  ck_assert_int_eq(fp_wait_once(-1, 0, cancel[0], 10, NULL), FP_WAIT_BAD_CANCEL);
  close(data[0]);
  close(data[1]);
  ck_assert_int_eq(fp_wait_once(data[0], POLLIN, -1, 10, NULL), FP_WAIT_FAILED);
  ck_assert_int_eq(fp_wait_fd(data[0], POLLIN, -1, 10), 1); /* the next I/O reports it */
}
END_TEST

/* fp_wait_fd() waits out its whole time, and 0 means no time. */
START_TEST(wait_fd_deadline)
{
  int64_t start = fp_monotonic_ms();

  ck_assert_int_eq(fp_wait_fd(-1, 0, -1, 50), 0);
  ck_assert_int_ge(fp_monotonic_ms() - start, 50);
  ck_assert_int_eq(fp_wait_fd(-1, 0, -1, 0), 0);
}
END_TEST

/* The util suite: error messages, clocks, waiting and device IDs. */
static Suite *util_suite(void)
{
  Suite *s = suite_create("util");
  TCase *tc = tcase_create("util");

  tcase_add_test(tc, every_status_has_its_own_message);
  tcase_add_test(tc, monotonic_clock_advances_and_deadlines_clamp);
  tcase_add_test(tc, realtime_clock_is_the_epoch_in_ms);
  tcase_add_test(tc, device_id_decode);
  tcase_add_test(tc, device_id_fields);
  tcase_add_test(tc, wait_once_outcomes);
  tcase_add_test(tc, wait_fd_deadline);
  suite_add_tcase(s, tc);
  return s;
}

/* Run the suite; exit status 0 only when every test passed. */
int main(void)
{
  return fp_run_suite(util_suite());
}

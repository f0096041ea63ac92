/*
 * Time helpers.
 */

#include "clock.h"

#include <stdint.h>
#include <time.h>

static int64_t clock_ms(clockid_t id)
{
  struct timespec ts;

  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t fp_monotonic_ms(void)
{
  return clock_ms(CLOCK_MONOTONIC);
}

/* Milliseconds since the epoch on CLOCK_REALTIME. */
int64_t fp_realtime_ms(void)
{
  return clock_ms(CLOCK_REALTIME);
}

/* Milliseconds left until `deadline` (monotonic), clamped to [0, INT32_MAX]. */
int fp_ms_until(int64_t deadline)
{
  int64_t left = deadline - fp_monotonic_ms();

  if (left <= 0)
    return 0;
  return left > INT32_MAX ? INT32_MAX : (int)left;
}

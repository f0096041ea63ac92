/*
 * Time helpers: monotonic milliseconds for timeouts, wall-clock milliseconds
 * for deadlines that must survive the process (the quiet window).
 */

#ifndef FP_CLOCK_H
#define FP_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t fp_monotonic_ms(void);

/* Milliseconds since the epoch on CLOCK_REALTIME. */
int64_t fp_realtime_ms(void);

/* Milliseconds left until `deadline` (monotonic), clamped to [0, INT32_MAX]. */
int fp_ms_until(int64_t deadline);

#endif /* FP_CLOCK_H */

/*
 * The flush engine: complete the half-sent command a tracker reports, then
 * send a reset buffer, through any write function, counting what the device
 * accepted.  Used by the backend for cancels, failures, dirty devices and
 * filter flush requests.
 */

#ifndef FP_FLUSH_H
#define FP_FLUSH_H

#include <stddef.h>
#include <stdint.h>

#include "language.h"

/* Write up to `len` bytes; `*accepted` gets what the device took (also on failure). */
typedef int (*fp_write_fn)(void *ctx, const uint8_t *buf, size_t len, size_t *accepted);

typedef struct fp_flush_counts_s
{
  uint64_t padding;   /* completion bytes accepted */
  uint64_t reset;     /* reset-buffer bytes accepted */
} fp_flush_counts_t;

/*
 * Send the completion of `tracker`'s half-sent command, then `reset`
 * (may be NULL when `reset_len` is 0).  Every accepted byte is fed to the
 * tracker.  Stops at the first write error and returns it; `counts` is
 * filled in either case.
 */
int fp_flush_send(fp_tracker_t *tracker, const uint8_t *reset, size_t reset_len,
                  fp_write_fn write, void *ctx, fp_flush_counts_t *counts);

/*
 * The same, completing `owed` (e.g. read back from the dirty journal of a
 * job that died) instead of what `tracker` reports; `tracker` (may be NULL)
 * is still fed every accepted byte.
 */
int fp_flush_send_owed(const fp_completion_t *owed, fp_tracker_t *tracker, const uint8_t *reset,
                       size_t reset_len, fp_write_fn write, void *ctx, fp_flush_counts_t *counts);

#endif /* FP_FLUSH_H */

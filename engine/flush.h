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
  uint64_t reset;     /* reset-buffer bytes accepted (and resynchronisation) */
  uint64_t refused;   /* completion bytes owed but not sent (see fp_flush_refusal) */
} fp_flush_counts_t;

/* Why a completion is not sent. */
typedef enum fp_refusal_e
{
  FP_REFUSAL_NONE = 0,    /* send it */
  FP_REFUSAL_IMPLAUSIBLE, /* the tracker no longer vouches for the stream */
  FP_REFUSAL_CEILING      /* longer than the queue allows a flush to send */
} fp_refusal_t;

/*
 * Whether `owed` may be sent under a ceiling of `ceiling` bytes: a
 * completion the tracker calls implausible, or one longer than the ceiling,
 * is refused; the flush then sends the language's resynchronisation and the
 * reset only.  A debt whose exact size is unknown cannot be paid safely,
 * and one over the ceiling would hold the printer (and its paper) hostage.
 */
fp_refusal_t fp_flush_refusal(const fp_completion_t *owed, uint64_t ceiling);

/* Drop the first `n` bytes of a completion (what a stopped flush delivered). */
void fp_completion_advance(fp_completion_t *completion, uint64_t n);

/* A flush as the backend runs it. */
typedef struct fp_flush_plan_s
{
  const fp_completion_t *owed;      /* the debt; NULL: what `tracker` reports */
  fp_tracker_t          *tracker;   /* fed every accepted byte (may be NULL) */
  uint64_t               ceiling;   /* the longest completion that may be sent */
  const uint8_t         *resync;    /* sent before the reset when the debt is refused */
  size_t                 resync_len;
  const uint8_t         *reset;
  size_t                 reset_len;
  fp_write_fn            write;
  /* After each accepted write: `padding` completion bytes delivered so far (may be NULL). */
  void                 (*progress)(void *ctx, uint64_t padding);
  void                  *ctx;
} fp_flush_plan_t;

/*
 * Run `plan`: the completion (unless refused: `counts->refused` then says
 * how much was owed), then the reset.  A write error (FP_ERROR_CANCELED from
 * a write function that watches for a cancel included) stops it at once;
 * `counts` is filled in either case.
 */
int fp_flush_run(const fp_flush_plan_t *plan, fp_flush_counts_t *counts);

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

/*
 * The flush engine of flush.h: write the completion of a half-sent command
 * (its header prefix, then the owed fill bytes from a fixed buffer, never
 * one allocation per flush), then the reset buffer, counting and tracking
 * every byte the device accepted.
 */

#include "flush.h"
#include "flushprinter.h"

#include <string.h>

/* Fill bytes are written in chunks of this size. */
#define FILL_CHUNK 4096

static const uint8_t zeros[FILL_CHUNK];

/*
 * Write all `len` bytes, looping on partial writes; `*count` grows by what
 * the device accepted, and the tracker (if any) sees those bytes.  A write
 * that reports success without taking anything is an I/O error, so a broken
 * write function cannot make the flush spin.
 */
static int write_all(const fp_flush_plan_t *plan, const uint8_t *buf, size_t len, uint64_t *count,
                     const uint64_t *padding)
{
  while (len)
  {
    size_t accepted = 0;
    int    status = plan->write(plan->ctx, buf, len, &accepted);

    if (accepted > len)
      accepted = len;
    if (accepted)
    {
      if (plan->tracker)
        fp_tracker_feed(plan->tracker, buf, accepted);
      *count += accepted;
      buf += accepted;
      len -= accepted;
      if (plan->progress)
        plan->progress(plan->ctx, *padding);
    }
    if (status < 0)
      return status;
    if (!accepted)
      return FP_ERROR_IO;
  }
  return FP_OK;
}

/* Write `count` copies of `byte`, a chunk at a time. */
static int write_fill(const fp_flush_plan_t *plan, uint64_t count, uint8_t byte, uint64_t *written)
{
  uint8_t        pattern[FILL_CHUNK];
  const uint8_t *chunk = zeros;

  if (byte)
  {
    memset(pattern, byte, count < FILL_CHUNK ? (size_t)count : FILL_CHUNK);
    chunk = pattern;
  }
  while (count)
  {
    size_t n = count < FILL_CHUNK ? (size_t)count : FILL_CHUNK;
    int    status = write_all(plan, chunk, n, written, written);

    if (status)
      return status;
    count -= n;
  }
  return FP_OK;
}

/* Whether `owed` may be sent under `ceiling`. */
fp_refusal_t fp_flush_refusal(const fp_completion_t *owed, uint64_t ceiling)
{
  if (!owed)
    return FP_REFUSAL_NONE;
  if (owed->implausible)
    return FP_REFUSAL_IMPLAUSIBLE;
  if (fp_completion_size(owed) > ceiling)
    return FP_REFUSAL_CEILING;
  return FP_REFUSAL_NONE;
}

/* Drop the first `n` bytes of a completion. */
void fp_completion_advance(fp_completion_t *c, uint64_t n)
{
  size_t cut = n < c->prefix_len ? (size_t)n : c->prefix_len;

  memmove(c->prefix, c->prefix + cut, c->prefix_len - cut);
  c->prefix_len -= cut;
  n -= cut;
  if (n < c->fill_count)
  {
    c->fill_count -= n;
    return;
  }
  n -= c->fill_count;
  c->fill_count = 0;
  cut = n < c->suffix_len ? (size_t)n : c->suffix_len;
  memmove(c->suffix, c->suffix + cut, c->suffix_len - cut);
  c->suffix_len -= cut;
}

/* Run a flush plan: the completion unless refused, then the reset. */
int fp_flush_run(const fp_flush_plan_t *plan, fp_flush_counts_t *counts)
{
  fp_completion_t        reported = { 0 };
  const fp_completion_t *owed = plan->owed;
  int                    status;

  memset(counts, 0, sizeof(*counts));
  if (!plan->write || (!plan->reset && plan->reset_len) || (!plan->resync && plan->resync_len)
      || (owed && (owed->prefix_len > FP_COMPLETION_PREFIX_MAX
                   || owed->suffix_len > FP_COMPLETION_SUFFIX_MAX)))
    return FP_ERROR_INVALID_ARGUMENT;
  if (!owed && plan->tracker && fp_tracker_completion(plan->tracker, &reported))
    owed = &reported;

  if (owed && fp_flush_refusal(owed, plan->ceiling))
  {
    counts->refused = fp_completion_size(owed);
    if (owed->implausible && counts->refused < owed->fill_count)
      counts->refused = owed->fill_count;
    if ((status = write_all(plan, plan->resync, plan->resync_len, &counts->reset,
                            &counts->padding)))
      return status;
  }
  else if (owed)
  {
    if ((status = write_all(plan, owed->prefix, owed->prefix_len, &counts->padding,
                            &counts->padding))
        || (status = write_fill(plan, owed->fill_count, owed->fill_byte, &counts->padding))
        || (status = write_all(plan, owed->suffix, owed->suffix_len, &counts->padding,
                               &counts->padding)))
      return status;
  }
  return write_all(plan, plan->reset, plan->reset_len, &counts->reset, &counts->padding);
}

/* Send the completion `owed` (may be NULL: nothing owed), then the reset buffer. */
int fp_flush_send_owed(const fp_completion_t *owed, fp_tracker_t *tracker, const uint8_t *reset,
                       size_t reset_len, fp_write_fn write, void *ctx, fp_flush_counts_t *counts)
{
  static const fp_completion_t none = { 0 };
  fp_flush_plan_t              plan = { .owed = owed ? owed : &none, .tracker = tracker,
                                        .ceiling = UINT64_MAX, .reset = reset,
                                        .reset_len = reset_len, .write = write, .ctx = ctx };
  fp_flush_counts_t            scratch;

  return fp_flush_run(&plan, counts ? counts : &scratch);
}

/* Send the completion of `tracker`'s half-sent command, then the reset buffer. */
int fp_flush_send(fp_tracker_t *tracker, const uint8_t *reset, size_t reset_len,
                  fp_write_fn write, void *ctx, fp_flush_counts_t *counts)
{
  fp_flush_plan_t   plan = { .tracker = tracker, .ceiling = UINT64_MAX, .reset = reset,
                             .reset_len = reset_len, .write = write, .ctx = ctx };
  fp_flush_counts_t scratch;

  return fp_flush_run(&plan, counts ? counts : &scratch);
}

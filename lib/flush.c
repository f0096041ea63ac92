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
static int write_all(fp_tracker_t *tracker, const uint8_t *buf, size_t len, fp_write_fn write,
                     void *ctx, uint64_t *count)
{
  while (len)
  {
    size_t accepted = 0;
    int    status = write(ctx, buf, len, &accepted);

    if (accepted > len)
      accepted = len;
    if (accepted)
    {
      if (tracker)
        fp_tracker_feed(tracker, buf, accepted);
      *count += accepted;
      buf += accepted;
      len -= accepted;
    }
    if (status < 0)
      return status;
    if (!accepted)
      return FP_ERROR_IO;
  }
  return FP_OK;
}

/* Write `count` copies of `byte`, a chunk at a time. */
static int write_fill(fp_tracker_t *tracker, uint64_t count, uint8_t byte, fp_write_fn write,
                      void *ctx, uint64_t *written)
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
    int    status = write_all(tracker, chunk, n, write, ctx, written);

    if (status)
      return status;
    count -= n;
  }
  return FP_OK;
}

/* Send the completion `owed` (may be NULL: nothing owed), then the reset buffer. */
int fp_flush_send_owed(const fp_completion_t *owed, fp_tracker_t *tracker, const uint8_t *reset,
                       size_t reset_len, fp_write_fn write, void *ctx, fp_flush_counts_t *counts)
{
  fp_flush_counts_t scratch;
  int               status;

  if (!counts)
    counts = &scratch;
  memset(counts, 0, sizeof(*counts));
  if (!write || (!reset && reset_len)
      || (owed && (owed->prefix_len > FP_COMPLETION_PREFIX_MAX
                   || owed->suffix_len > FP_COMPLETION_SUFFIX_MAX)))
    return FP_ERROR_INVALID_ARGUMENT;

  if (owed)
  {
    if ((status = write_all(tracker, owed->prefix, owed->prefix_len, write, ctx,
                            &counts->padding)))
      return status;
    if ((status = write_fill(tracker, owed->fill_count, owed->fill_byte, write, ctx,
                             &counts->padding)))
      return status;
    if ((status = write_all(tracker, owed->suffix, owed->suffix_len, write, ctx,
                            &counts->padding)))
      return status;
  }
  return write_all(tracker, reset, reset_len, write, ctx, &counts->reset);
}

/* Send the completion of `tracker`'s half-sent command, then the reset buffer. */
int fp_flush_send(fp_tracker_t *tracker, const uint8_t *reset, size_t reset_len,
                  fp_write_fn write, void *ctx, fp_flush_counts_t *counts)
{
  fp_completion_t owed = { 0 };
  bool            mid = tracker && fp_tracker_completion(tracker, &owed);

  return fp_flush_send_owed(mid ? &owed : NULL, tracker, reset, reset_len, write, ctx, counts);
}

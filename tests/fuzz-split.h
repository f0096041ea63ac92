/*
 * Deterministic piece sizes for the fuzz targets that feed an input whole
 * and in pieces: a generator seeded by the input's own hash, so that a
 * failure replays from the input alone.
 */

#ifndef FP_FUZZ_SPLIT_H
#define FP_FUZZ_SPLIT_H

#include <stddef.h>
#include <stdint.h>

/* A small deterministic generator for piece sizes (xorshift64). */
static inline uint64_t next_random(uint64_t *state)
{
  *state ^= *state << 13;
  *state ^= *state >> 7;
  *state ^= *state << 17;
  return *state;
}

/* FNV-1a of the input: the seed of its pieces (never 0). */
static inline uint64_t hash(const uint8_t *data, size_t size)
{
  uint64_t h = 0xcbf29ce484222325u;

  for (size_t i = 0; i < size; i++)
    h = (h ^ data[i]) * 0x100000001b3u;
  return h | 1;
}

#endif /* FP_FUZZ_SPLIT_H */

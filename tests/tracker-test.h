/*
 * Helpers for the Check tests of one printer-language tracker
 * (tests/test-language-NAME.c): feeding, completing, resetting, checking
 * every cut of a job, and comparing split feeds with a whole one.  Each
 * test program sets `tt_language` and `tt_probe` before using them.
 */

#ifndef FP_TRACKER_TEST_H
#define FP_TRACKER_TEST_H

#include <check.h>
#include <string.h>

#include "language.h"
#include "reset.h"

/* A byte string with an explicit length (they contain NULs). */
typedef struct bytes_s
{
  const char *data;
  size_t      len;
} bytes_t;

#define B(literal) { literal, sizeof(literal) - 1 }

/* A range of a job, [start, end): cuts strictly inside it are mid-command. */
typedef struct span_s
{
  size_t start;
  size_t end;
} span_t;

/* The language under test. */
static const fp_language_t *tt_language;

/* Checks that an idle tracker still recognizes this language's commands. */
static void (*tt_probe)(const fp_tracker_t *idle);

/* A tracker that has seen `len` bytes of `data`. */
static inline fp_tracker_t tt_fed(const void *data, size_t len)
{
  fp_tracker_t t;

  fp_tracker_init(&t, tt_language);
  fp_tracker_feed(&t, data, len);
  return t;
}

/* true when the tracker reports a half-sent command. */
static inline bool tt_mid(const fp_tracker_t *t)
{
  fp_completion_t c;

  return fp_tracker_completion(t, &c);
}

/* Feed `count` copies of `byte`, in chunks. */
static inline void tt_feed_fill(fp_tracker_t *t, uint8_t byte, uint64_t count)
{
  uint8_t chunk[4096];

  memset(chunk, byte, sizeof(chunk));
  while (count)
  {
    size_t n = count < sizeof(chunk) ? (size_t)count : sizeof(chunk);

    fp_tracker_feed(t, chunk, n);
    count -= n;
  }
}

/*
 * Feed the tracker its own completion, checking that it is not too long:
 * one byte short of it, the tracker must still be mid-command.
 */
static inline void tt_complete(fp_tracker_t *t)
{
  fp_completion_t c;
  fp_tracker_t    short_one;

  if (!fp_tracker_completion(t, &c))
    return;
  ck_assert_uint_le(c.prefix_len, FP_COMPLETION_PREFIX_MAX);
  ck_assert_uint_gt(fp_completion_size(&c), 0);
  short_one = *t;
  if (c.fill_count)
  {
    fp_tracker_feed(&short_one, c.prefix, c.prefix_len);
    tt_feed_fill(&short_one, c.fill_byte, c.fill_count - 1);
  }
  else
    fp_tracker_feed(&short_one, c.prefix, c.prefix_len - 1);
  ck_assert_msg(tt_mid(&short_one), "idle one byte before the end of its completion");
  fp_tracker_feed(t, c.prefix, c.prefix_len);
  tt_feed_fill(t, c.fill_byte, c.fill_count);
}

/* Feed the language's reset preset; the tracker must then be idle. */
static inline void tt_reset(fp_tracker_t *t)
{
  const fp_preset_t *reset = fp_preset_find(tt_language->reset_preset);

  ck_assert_ptr_nonnull(reset);
  fp_tracker_feed(t, reset->bytes, reset->len);
  ck_assert_msg(!tt_mid(t), "still mid-command after the completion and the reset");
}

/* Expect the completion after `cut` bytes of `job`: `prefix`, then `fill` x `fill_byte`. */
static inline void tt_expect(const bytes_t *job, size_t cut, bytes_t prefix, uint64_t fill,
                             uint8_t fill_byte)
{
  fp_tracker_t    t = tt_fed(job->data, cut);
  fp_completion_t c;

  ck_assert_msg(fp_tracker_completion(&t, &c), "not mid-command after %zu bytes", cut);
  ck_assert_msg(c.prefix_len == prefix.len && !memcmp(c.prefix, prefix.data, prefix.len),
                "after %zu bytes: wrong prefix (%zu bytes, expected %zu)", cut, c.prefix_len,
                prefix.len);
  ck_assert_msg(c.fill_count == fill, "after %zu bytes: fill %llu, expected %llu", cut,
                (unsigned long long)c.fill_count, (unsigned long long)fill);
  if (fill)
    ck_assert_msg(c.fill_byte == fill_byte, "after %zu bytes: fill byte 0x%02x, expected 0x%02x",
                  cut, c.fill_byte, fill_byte);
}

/* Expect no half-sent command after `cut` bytes of `job`. */
static inline void tt_expect_idle(const bytes_t *job, size_t cut)
{
  fp_tracker_t t = tt_fed(job->data, cut);

  ck_assert_msg(!tt_mid(&t), "mid-command after %zu bytes", cut);
}

/*
 * Cut `job` after every offset: mid-command exactly strictly inside one of
 * the `n` spans, and completion + reset always leave the printer idle,
 * where commands are recognized again.
 */
static inline void tt_every_cut(const bytes_t *job, const span_t *spans, size_t n)
{
  for (size_t cut = 0; cut <= job->len; cut++)
  {
    fp_tracker_t t = tt_fed(job->data, cut);
    bool         inside = false;

    for (size_t i = 0; i < n; i++)
      inside = inside || (cut > spans[i].start && cut < spans[i].end);
    ck_assert_msg(tt_mid(&t) == inside, "cut at %zu: %s", cut,
                  inside ? "should be mid-command" : "should be idle");
    tt_complete(&t);
    tt_reset(&t);
    tt_probe(&t);
  }
}

/* Every byte value but the `n` special ones, fed at once, leaves the tracker idle. */
static inline void tt_only_text(const uint8_t *special, size_t n)
{
  uint8_t      text[256];
  fp_tracker_t t;

  for (int i = 0; i < 256; i++)
    text[i] = (uint8_t)i;
  for (size_t i = 0; i < n; i++)
    text[special[i]] = 'x';
  t = tt_fed(text, sizeof(text));
  ck_assert_msg(!tt_mid(&t), "text left the tracker mid-command");
}

/* Compare two trackers: same accepted count, same state, same completion. */
static inline void tt_assert_same(const fp_tracker_t *a, const fp_tracker_t *b, size_t at)
{
  fp_completion_t ca, cb;
  bool            ma = fp_tracker_completion(a, &ca);
  bool            mb = fp_tracker_completion(b, &cb);

  ck_assert_uint_eq(a->accepted, b->accepted);
  ck_assert_msg(ma == mb, "mid-command differs at %zu", at);
  ck_assert_msg(!memcmp(&ca, &cb, sizeof(ca)), "completion differs at %zu", at);
  ck_assert_msg(!memcmp(a->state.bytes, b->state.bytes, tt_language->state_size),
                "state differs at %zu", at);
}

/* Append `part` to the job being built in `buf` (`size` bytes), `*len` bytes so far. */
static inline void tt_append(uint8_t *buf, size_t size, size_t *len, bytes_t part)
{
  ck_assert_uint_le(*len + part.len, size);
  memcpy(buf + *len, part.data, part.len);
  *len += part.len;
}

/* Feeding `job` a byte at a time, or in random pieces, equals feeding it whole. */
static inline void tt_split_feeds(const uint8_t *job, size_t len)
{
  fp_tracker_t whole = tt_fed(job, len);
  fp_tracker_t bytewise = tt_fed(NULL, 0);
  fp_tracker_t pieces = tt_fed(NULL, 0);
  uint32_t     seed = 12345;

  for (size_t i = 0; i < len; i++)
  {
    fp_tracker_feed(&bytewise, job + i, 1);
    if (i % 7 == 0)
    {
      fp_tracker_t reference = tt_fed(job, i + 1);

      tt_assert_same(&bytewise, &reference, i + 1);
    }
  }
  tt_assert_same(&bytewise, &whole, len);

  for (size_t i = 0; i < len;)
  {
    size_t n;

    seed = seed * 1103515245u + 12345u;
    n = (seed >> 16) % 23;
    if (n > len - i)
      n = len - i;
    fp_tracker_feed(&pieces, job + i, n);
    i += n;
  }
  tt_assert_same(&pieces, &whole, len);
}

/* The language is registered, and its reset preset selects it. */
static inline void tt_registered(const char *name)
{
  const fp_preset_t *reset;

  ck_assert_ptr_eq(fp_language_find(name), tt_language);
  ck_assert_str_eq(tt_language->name, name);
  ck_assert_uint_le(tt_language->state_size, FP_TRACKER_STATE_MAX);
  ck_assert_ptr_nonnull(reset = fp_preset_find(tt_language->reset_preset));
  ck_assert_str_eq(reset->language, name);
  ck_assert_str_eq(fp_reset_language(name), name);
}

#endif /* FP_TRACKER_TEST_H */

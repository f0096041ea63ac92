/*
 * Checks shared by the Check programs of the printer-language trackers: a
 * job written as pieces (text and commands) whose command boundaries are
 * known independently of the tracker, cut at every offset; a completion
 * followed by the language's own reset preset; split feeds compared with
 * whole feeds.
 */

#ifndef FP_LANGUAGE_CHECK_H
#define FP_LANGUAGE_CHECK_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "flushprinter.h"
#include "language.h"

/* A byte string with an explicit length (they contain NULs). */
typedef struct lc_bytes_s
{
  const char *data;
  size_t      len;
} lc_bytes_t;

#define LC_B(literal) ((lc_bytes_t){ literal, sizeof(literal) - 1 })

/* A piece of a job: text, or one whole command (a printer mode counts as one). */
typedef struct lc_piece_s
{
  const char *data;
  size_t      len;
  bool        command;
} lc_piece_t;

#define LC_CMD(literal) { literal, sizeof(literal) - 1, true }
#define LC_TXT(literal) { literal, sizeof(literal) - 1, false }

/* An array of pieces and its length, as two arguments. */
#define LC_PIECES(array) array, sizeof(array) / sizeof(array[0])

/* After a flush, checks that the tracker takes a following command as one. */
typedef void (*lc_probe_fn)(const fp_tracker_t *idle);

/* A tracker for `language` that has seen `len` bytes of `data`. */
static inline fp_tracker_t lc_fed(const fp_language_t *language, const void *data, size_t len)
{
  fp_tracker_t t;

  fp_tracker_init(&t, language);
  fp_tracker_feed(&t, data, len);
  return t;
}

/* true when the tracker reports a half-sent command. */
static inline bool lc_mid(const fp_tracker_t *t)
{
  fp_completion_t c;

  return fp_tracker_completion(t, &c);
}

/* Feed `count` copies of `byte`, in chunks. */
static inline void lc_feed_fill(fp_tracker_t *t, uint8_t byte, uint64_t count)
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

/* Feed the tracker its own completion (which must be well formed), then its reset preset. */
static inline void lc_flush(fp_tracker_t *t)
{
  fp_completion_t c;
  uint8_t        *reset = NULL;
  size_t          reset_len = 0;

  ck_assert_int_eq(fp_reset_parse(t->language->reset_preset, &reset, &reset_len, NULL, 0),
                   FP_OK);
  if (fp_tracker_completion(t, &c))
  {
    ck_assert_uint_le(c.prefix_len, FP_COMPLETION_PREFIX_MAX);
    ck_assert_uint_eq(c.fill_byte, 0);
    ck_assert_uint_gt(fp_completion_size(&c), 0);
    fp_tracker_feed(t, c.prefix, c.prefix_len);
    lc_feed_fill(t, c.fill_byte, c.fill_count);
  }
  fp_tracker_feed(t, reset, reset_len);
  free(reset);
  ck_assert_msg(!lc_mid(t), "still mid-command after its completion and the reset");
}

/* Expect the completion after `cut` bytes of `job` to be `prefix` then `fill` zeros. */
static inline void lc_expect_completion(const fp_language_t *language, lc_bytes_t job,
                                        size_t cut, lc_bytes_t prefix, uint64_t fill)
{
  fp_tracker_t    t;
  fp_completion_t c;

  ck_assert_uint_le(cut, job.len);
  t = lc_fed(language, job.data, cut);
  ck_assert_msg(fp_tracker_completion(&t, &c), "not mid-command after %zu bytes", cut);
  ck_assert_msg(c.prefix_len == prefix.len, "after %zu bytes: prefix of %zu bytes, expected %zu",
                cut, c.prefix_len, prefix.len);
  ck_assert_msg(!memcmp(c.prefix, prefix.data, prefix.len), "after %zu bytes: wrong prefix", cut);
  ck_assert_msg(c.fill_count == fill, "after %zu bytes: fill %llu, expected %llu", cut,
                (unsigned long long)c.fill_count, (unsigned long long)fill);
  ck_assert_uint_eq(c.fill_byte, 0);
}

/*
 * Join `count` pieces into `buf`; when `inside` is given (zeroed, one more
 * entry than `size`), `inside[i]` tells whether cut `i` falls inside a command.
 */
static inline size_t lc_join(const lc_piece_t *pieces, size_t count, uint8_t *buf, size_t size,
                             bool *inside)
{
  size_t len = 0;

  for (size_t i = 0; i < count; i++)
  {
    ck_assert_uint_le(len + pieces[i].len, size);
    memcpy(buf + len, pieces[i].data, pieces[i].len);
    for (size_t k = 1; inside && k < pieces[i].len; k++)
      inside[len + k] = pieces[i].command;
    len += pieces[i].len;
  }
  return len;
}

/*
 * Cut the job made of `pieces` after every offset: mid-command exactly
 * strictly inside a command piece, and the completion plus the reset always
 * leave the printer where `probe` finds a following command.
 */
static inline void lc_check_pieces(const fp_language_t *language, const lc_piece_t *pieces,
                                   size_t count, lc_probe_fn probe)
{
  static uint8_t job[16384];
  static bool    inside[sizeof(job) + 1];
  size_t         len;
  fp_tracker_t   running;

  memset(inside, 0, sizeof(inside));
  len = lc_join(pieces, count, job, sizeof(job), inside);
  fp_tracker_init(&running, language);
  for (size_t cut = 0; cut <= len; cut++)
  {
    fp_tracker_t t = running;

    ck_assert_msg(lc_mid(&t) == inside[cut], "cut at %zu: should be %s", cut,
                  inside[cut] ? "mid-command" : "idle");
    lc_flush(&t);
    probe(&t);
    if (cut < len)
      fp_tracker_feed(&running, job + cut, 1);
  }
}

/* `count` commands, each after a copy of `text`, then `text`; returns the pieces written. */
static inline size_t lc_frame(const lc_piece_t *commands, size_t count, lc_piece_t text,
                              lc_piece_t *pieces)
{
  size_t n = 0;

  for (size_t i = 0; i < count; i++)
  {
    pieces[n++] = text;
    pieces[n++] = commands[i];
  }
  pieces[n++] = text;
  return n;
}

/* A job in a driver's shape: idle at its end, and right when cut anywhere. */
static inline void lc_check_driver_job(const fp_language_t *language, const lc_piece_t *pieces,
                                       size_t count, lc_probe_fn probe)
{
  static uint8_t job[16384];
  size_t         len = lc_join(pieces, count, job, sizeof(job), NULL);
  fp_tracker_t   t = lc_fed(language, job, len);

  ck_assert_msg(!lc_mid(&t), "the whole job leaves the printer mid-command");
  lc_check_pieces(language, pieces, count, probe);
}

/* The language's reset preset is these `len` bytes and selects the language. */
static inline void lc_check_reset(const fp_language_t *language, const char *bytes, size_t len)
{
  uint8_t *reset = NULL;
  size_t   reset_len;

  ck_assert_ptr_eq(fp_language_find(language->name), language);
  ck_assert_uint_le(language->state_size, FP_TRACKER_STATE_MAX);
  ck_assert_int_eq(fp_reset_parse(language->reset_preset, &reset, &reset_len, NULL, 0), FP_OK);
  ck_assert_uint_eq(reset_len, len);
  ck_assert(!memcmp(reset, bytes, len));
  free(reset);
}

/* Compare two trackers: same accepted count, same state, same completion. */
static inline void lc_assert_same(const fp_tracker_t *a, const fp_tracker_t *b, size_t at)
{
  fp_completion_t ca, cb;
  bool            ma = fp_tracker_completion(a, &ca);
  bool            mb = fp_tracker_completion(b, &cb);

  ck_assert_uint_eq(a->accepted, b->accepted);
  ck_assert_msg(ma == mb, "mid-command differs at %zu", at);
  ck_assert_msg(!memcmp(&ca, &cb, sizeof(ca)), "completion differs at %zu", at);
  ck_assert_msg(!memcmp(a->state.bytes, b->state.bytes, a->language->state_size),
                "state differs at %zu", at);
}

/* One byte at a time, and random splits (empty feeds included), equal one whole feed. */
static inline void lc_check_split_feeds(const fp_language_t *language, const uint8_t *job,
                                        size_t len)
{
  fp_tracker_t whole = lc_fed(language, job, len);
  fp_tracker_t bytewise = lc_fed(language, NULL, 0);
  fp_tracker_t random = lc_fed(language, NULL, 0);
  uint32_t     seed = 12345;

  for (size_t i = 0; i < len; i++)
  {
    fp_tracker_feed(&bytewise, job + i, 1);
    if (i % 5 == 0)
    {
      fp_tracker_t reference = lc_fed(language, job, i + 1);

      lc_assert_same(&bytewise, &reference, i + 1);
    }
  }
  lc_assert_same(&bytewise, &whole, len);
  for (size_t i = 0; i < len;)
  {
    size_t n;

    seed = seed * 1103515245u + 12345u;
    n = (seed >> 16) % 29;
    if (n > len - i)
      n = len - i;
    fp_tracker_feed(&random, job + i, n);
    i += n;
  }
  lc_assert_same(&random, &whole, len);
}

#endif /* FP_LANGUAGE_CHECK_H */

/*
 * Helpers for the Check tests of one printer-language tracker
 * (tests/test-language*.c): feeding, completing, resetting, exact
 * completions, checking every cut of a job (given as spans or as pieces
 * whose command boundaries are known independently of the tracker), and
 * comparing split feeds with a whole one.  Each test program sets
 * `tt_language` and `tt_probe` (and, for a language whose completions
 * always fill with one byte, `tt_fill_byte`) before using them.
 */

#ifndef FP_TRACKER_TEST_H
#define FP_TRACKER_TEST_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/language.h"
#include "flushprinter.h"
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

/* A piece of a job: text, or one whole command (a printer mode counts as one). */
typedef struct piece_s
{
  bytes_t bytes;
  bool    command;
} piece_t;

#define CMD(literal) { B(literal), true }
#define TXT(literal) { B(literal), false }

/* An array and its length, as two arguments. */
#define PIECES(array) array, sizeof(array) / sizeof(array[0])

/* The language under test. */
static const fp_language_t *tt_language;

/* Checks that an idle tracker still recognizes this language's commands. */
static void (*tt_probe)(const fp_tracker_t *idle);

/* The byte every completion of the language fills with (checked), or -1 when it varies. */
static int tt_fill_byte = -1;

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

/* true when a tracker that has seen `len` bytes of `data` reports a half-sent command. */
static inline bool tt_mid_after(const void *data, size_t len)
{
  fp_tracker_t t = tt_fed(data, len);

  return tt_mid(&t);
}

#define MID_AFTER(literal) tt_mid_after(literal, sizeof(literal) - 1)

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
 * Feed the tracker its own completion, checking that it is well formed and
 * not too long: one byte short of it, the tracker must still be mid-command.
 */
static inline void tt_complete(fp_tracker_t *t)
{
  fp_completion_t c;
  fp_tracker_t    short_one;

  if (!fp_tracker_completion(t, &c))
    return;
  ck_assert_msg(!c.implausible, "an implausible completion (%llu bytes claimed)",
                (unsigned long long)c.fill_count);
  ck_assert_uint_le(c.prefix_len, FP_COMPLETION_PREFIX_MAX);
  ck_assert_uint_gt(fp_completion_size(&c), 0);
  if (tt_fill_byte >= 0)
    ck_assert_uint_eq(c.fill_byte, tt_fill_byte);
  ck_assert_uint_le(c.suffix_len, FP_COMPLETION_SUFFIX_MAX);
  short_one = *t;
  fp_tracker_feed(&short_one, c.prefix, c.suffix_len || c.fill_count ? c.prefix_len
                                                                     : c.prefix_len - 1);
  tt_feed_fill(&short_one, c.fill_byte, c.suffix_len || !c.fill_count ? c.fill_count
                                                                      : c.fill_count - 1);
  if (c.suffix_len)
    fp_tracker_feed(&short_one, c.suffix, c.suffix_len - 1);
  ck_assert_msg(tt_mid(&short_one), "idle one byte before the end of its completion");
  fp_tracker_feed(t, c.prefix, c.prefix_len);
  tt_feed_fill(t, c.fill_byte, c.fill_count);
  fp_tracker_feed(t, c.suffix, c.suffix_len);
}

/* Feed the language's reset preset (joined presets too); the tracker must then be idle. */
static inline void tt_reset(fp_tracker_t *t)
{
  uint8_t *reset = NULL;
  size_t   reset_len = 0;

  ck_assert_int_eq(fp_reset_parse(tt_language->reset_preset, &reset, &reset_len, NULL, 0), FP_OK);
  fp_tracker_feed(t, reset, reset_len);
  free(reset);
  ck_assert_msg(!tt_mid(t), "still mid-command after the completion and the reset");
}

/* Feed the tracker its own completion, then the reset: what a flush sends. */
static inline void tt_flush(fp_tracker_t *t)
{
  tt_complete(t);
  tt_reset(t);
}

/* Expect the completion after `cut` bytes of `job`: `prefix`, `fill` x `fill_byte`, `suffix`. */
static inline void tt_expect_suffix(const bytes_t *job, size_t cut, bytes_t prefix, uint64_t fill,
                                    uint8_t fill_byte, bytes_t suffix)
{
  fp_tracker_t    t;
  fp_completion_t c;

  ck_assert_uint_le(cut, job->len);
  t = tt_fed(job->data, cut);
  ck_assert_msg(fp_tracker_completion(&t, &c), "not mid-command after %zu bytes", cut);
  ck_assert_msg(!c.implausible, "after %zu bytes: implausible (%llu bytes claimed)", cut,
                (unsigned long long)c.fill_count);
  ck_assert_msg(c.prefix_len == prefix.len && !memcmp(c.prefix, prefix.data, prefix.len),
                "after %zu bytes: wrong prefix (%zu bytes, expected %zu)", cut, c.prefix_len,
                prefix.len);
  ck_assert_msg(c.fill_count == fill, "after %zu bytes: fill %llu, expected %llu", cut,
                (unsigned long long)c.fill_count, (unsigned long long)fill);
  if (fill)
    ck_assert_msg(c.fill_byte == fill_byte, "after %zu bytes: fill byte 0x%02x, expected 0x%02x",
                  cut, c.fill_byte, fill_byte);
  if (tt_fill_byte >= 0)
    ck_assert_uint_eq(c.fill_byte, tt_fill_byte);
  ck_assert_msg(c.suffix_len == suffix.len && !memcmp(c.suffix, suffix.data, suffix.len),
                "after %zu bytes: wrong suffix (%zu bytes, expected %zu)", cut, c.suffix_len,
                suffix.len);
}

/* Expect the completion after `cut` bytes of `job`: `prefix`, then `fill` x `fill_byte`. */
static inline void tt_expect(const bytes_t *job, size_t cut, bytes_t prefix, uint64_t fill,
                             uint8_t fill_byte)
{
  tt_expect_suffix(job, cut, prefix, fill, fill_byte, (bytes_t)B(""));
}

/*
 * Expect the tracker to be lost after all of `job`: its completion is
 * implausible, claims `claimed` bytes and sends nothing; the reset and the
 * job again change nothing (lost until init), and init makes it idle.
 */
static inline void tt_expect_implausible(const bytes_t *job, uint64_t claimed)
{
  fp_tracker_t    t = tt_fed(job->data, job->len);
  fp_completion_t c, again;
  uint8_t        *reset = NULL;
  size_t          reset_len = 0;

  ck_assert_msg(fp_tracker_completion(&t, &c), "not mid-command after %zu bytes", job->len);
  ck_assert_msg(c.implausible, "after %zu bytes: plausible (fill %llu)", job->len,
                (unsigned long long)c.fill_count);
  ck_assert_msg(c.fill_count == claimed, "claimed %llu, expected %llu",
                (unsigned long long)c.fill_count, (unsigned long long)claimed);
  ck_assert_uint_eq(c.prefix_len, 0);
  ck_assert_uint_eq(c.suffix_len, 0);
  ck_assert_int_eq(fp_reset_parse(tt_language->reset_preset, &reset, &reset_len, NULL, 0), FP_OK);
  fp_tracker_feed(&t, reset, reset_len);
  free(reset);
  if (tt_language->resync)
    fp_tracker_feed(&t, tt_language->resync, tt_language->resync_len);
  fp_tracker_feed(&t, job->data, job->len);
  ck_assert(fp_tracker_completion(&t, &again));
  ck_assert(again.implausible);
  ck_assert_uint_eq(again.fill_count, claimed);
  fp_tracker_init(&t, tt_language);
  ck_assert(!tt_mid(&t));
}

/* Expect the resynchronisation to leave the tracker idle after `cut` bytes of `job`. */
static inline void tt_expect_resync(const bytes_t *job, size_t cut)
{
  fp_tracker_t t = tt_fed(job->data, cut);

  ck_assert(tt_language->resync && tt_language->resync_len);
  fp_tracker_feed(&t, tt_language->resync, tt_language->resync_len);
  ck_assert_msg(!tt_mid(&t), "mid-command after %zu bytes and the resynchronisation", cut);
}

/* Expect no half-sent command after `cut` bytes of `job`. */
static inline void tt_expect_idle(const bytes_t *job, size_t cut)
{
  ck_assert_msg(!tt_mid_after(job->data, cut), "mid-command after %zu bytes", cut);
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

/*
 * Cut `job` after every offset, reached in one feed and byte by byte (the
 * same tracker): mid-command exactly strictly inside one of the `n` spans,
 * and completion + reset always leave the printer idle, where commands are
 * recognized again.
 */
static inline void tt_every_cut(const bytes_t *job, const span_t *spans, size_t n)
{
  fp_tracker_t running = tt_fed(NULL, 0);

  for (size_t cut = 0; cut <= job->len; cut++)
  {
    fp_tracker_t t = tt_fed(job->data, cut);
    bool         inside = false;

    tt_assert_same(&running, &t, cut);
    for (size_t i = 0; i < n; i++)
      inside = inside || (cut > spans[i].start && cut < spans[i].end);
    ck_assert_msg(tt_mid(&t) == inside, "cut at %zu: %s", cut,
                  inside ? "should be mid-command" : "should be idle");
    tt_flush(&t);
    tt_probe(&t);
    if (cut < job->len)
      fp_tracker_feed(&running, job->data + cut, 1);
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

/* Append `part` to the job being built in `buf` (`size` bytes), `*len` bytes so far. */
static inline void tt_append(uint8_t *buf, size_t size, size_t *len, bytes_t part)
{
  ck_assert_uint_le(*len + part.len, size);
  memcpy(buf + *len, part.data, part.len);
  *len += part.len;
}

/*
 * Append `count` pieces to the job being built in `buf`; when `spans` is
 * given, each command piece adds its span there (`*n` spans so far).
 */
static inline void tt_append_pieces(uint8_t *buf, size_t size, size_t *len,
                                    const piece_t *pieces, size_t count, span_t *spans,
                                    size_t *n)
{
  for (size_t i = 0; i < count; i++)
  {
    if (spans && pieces[i].command)
      spans[(*n)++] = (span_t){ *len, *len + pieces[i].bytes.len };
    tt_append(buf, size, len, pieces[i].bytes);
  }
}

/* `count` commands, each after a copy of `text`, then `text`; returns the pieces written. */
static inline size_t tt_frame(const piece_t *commands, size_t count, piece_t text,
                              piece_t *pieces)
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

/* tt_every_cut() over the job made of `count` pieces, mid-command inside each command. */
static inline void tt_every_cut_pieces(const piece_t *pieces, size_t count)
{
  static uint8_t job[16384];
  static span_t  spans[512];
  size_t         len = 0;
  size_t         n = 0;

  ck_assert_uint_le(count, sizeof(spans) / sizeof(spans[0]));
  tt_append_pieces(job, sizeof(job), &len, pieces, count, spans, &n);
  tt_every_cut(&(bytes_t){ (const char *)job, len }, spans, n);
}

/* A job in a driver's shape, as pieces: idle at its end, and right when cut anywhere. */
static inline void tt_driver_job(const piece_t *pieces, size_t count)
{
  static uint8_t job[16384];
  size_t         len = 0;

  tt_append_pieces(job, sizeof(job), &len, pieces, count, NULL, NULL);
  ck_assert_msg(!tt_mid_after(job, len), "the whole job leaves the printer mid-command");
  tt_every_cut_pieces(pieces, count);
}

/*
 * Feeding `job` a byte at a time (compared with a whole feed after every
 * byte), or in random pieces of two size ranges, equals feeding it whole.
 */
static inline void tt_split_feeds(const uint8_t *job, size_t len)
{
  static const unsigned ranges[] = { 23, 29 };
  fp_tracker_t          whole = tt_fed(job, len);
  fp_tracker_t          bytewise = tt_fed(NULL, 0);

  for (size_t i = 0; i < len; i++)
  {
    fp_tracker_t reference = tt_fed(job, i + 1);

    fp_tracker_feed(&bytewise, job + i, 1);
    tt_assert_same(&bytewise, &reference, i + 1);
  }
  tt_assert_same(&bytewise, &whole, len);

  for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++)
  {
    fp_tracker_t pieces = tt_fed(NULL, 0);
    uint32_t     seed = 12345;

    for (size_t i = 0; i < len;)
    {
      size_t n;

      seed = seed * 1103515245u + 12345u;
      n = (seed >> 16) % ranges[r]; /* empty feeds included */
      if (n > len - i)
        n = len - i;
      fp_tracker_feed(&pieces, job + i, n);
      i += n;
    }
    tt_assert_same(&pieces, &whole, len);
  }
}

/* The language is registered, and its reset preset selects it. */
static inline void tt_registered(const char *name)
{
  uint8_t *reset = NULL;
  size_t   reset_len;

  ck_assert_ptr_eq(fp_language_find(name), tt_language);
  ck_assert_str_eq(tt_language->name, name);
  ck_assert_uint_le(tt_language->state_size, FP_TRACKER_STATE_MAX);
  ck_assert_int_eq(fp_reset_parse(tt_language->reset_preset, &reset, &reset_len, NULL, 0), FP_OK);
  free(reset);
  ck_assert_str_eq(fp_reset_language(tt_language->reset_preset), name);
  ck_assert_str_eq(fp_reset_language(name), name);
}

/* The language's reset preset is exactly `expected`. */
static inline void tt_reset_is(bytes_t expected)
{
  uint8_t *reset = NULL;
  size_t   reset_len;

  ck_assert_int_eq(fp_reset_parse(tt_language->reset_preset, &reset, &reset_len, NULL, 0), FP_OK);
  ck_assert_uint_eq(reset_len, expected.len);
  ck_assert(!memcmp(reset, expected.data, expected.len));
  free(reset);
}

#endif /* FP_TRACKER_TEST_H */

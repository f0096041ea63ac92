/*
 * fuzz-tracker: properties every printer-language tracker must keep, checked
 * on any input.  Built with libFuzzer (configure --enable-fuzzing) it is a
 * fuzz target for the tracker named by FP_FUZZ_LANGUAGE; built plainly it
 * replays files: `fuzz-tracker LANGUAGE FILE...` checks each file and prefixes
 * of it cut at evenly spread offsets.
 *
 * The properties, for an input fed to the tracker:
 *   1. fed whole, in pseudo-random pieces (derived from the input) or byte
 *      by byte, the tracker reports the same completion at every common point;
 *   2. after the completion is fed to it the tracker is idle, and still
 *      after the language's reset (completions of more than FILL_LIMIT bytes
 *      are not fed; implausible ones are not sent, so this does not apply);
 *   3. once a completion is implausible (a count beyond what a real printer
 *      takes), every later one is too, whatever is fed (the reset, the
 *      resynchronisation, the input again, a flood of bytes), until init;
 *      then the tracker is lost: feeding it changes neither its state nor
 *      its completion, and 16 GiB of input take no time (feed is O(1));
 *   4. no crash, hang or sanitizer report (the fuzzer's part).
 * A broken property prints the offset and aborts.
 */

#include "../engine/language.h"
#include "flushprinter.h"
#include "fuzz-split.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILL_LIMIT (1u << 20)
#define REPLAY_PREFIXES 64
#define FLOOD_CHUNK (1u << 20)
#define FLOOD_CHUNKS (1u << 14) /* 16 GiB: a tracker that read them would time out */

static const fp_language_t *language;
static uint8_t             *reset;
static size_t               reset_len;

/* Report a broken property and abort (the fuzzer keeps the input). */
static void fail(const char *property, uint64_t offset)
{
  fprintf(stderr, "fuzz-tracker: %s: %s at offset %" PRIu64 "\n", language->name, property, offset);
  abort();
}

/* Choose the tracker under test and its reset; exits on an unknown name. */
static void setup(const char *name)
{
  char message[256];

  language = fp_language_find(name ? name : "");
  if (!language || !strcmp(language->name, "none"))
  {
    fprintf(stderr, "fuzz-tracker: no tracker for language '%s' (set FP_FUZZ_LANGUAGE)\n",
            name ? name : "");
    exit(2);
  }
  if (fp_reset_parse(language->reset_preset, &reset, &reset_len, message, sizeof(message)) != FP_OK)
  {
    fprintf(stderr, "fuzz-tracker: reset preset '%s': %s\n", language->reset_preset, message);
    exit(2);
  }
}

/* true when two completions are the same bytes. */
static bool same_completion(const fp_completion_t *a, const fp_completion_t *b)
{
  return a->implausible == b->implausible && a->prefix_len == b->prefix_len &&
         !memcmp(a->prefix, b->prefix, a->prefix_len) &&
         a->fill_count == b->fill_count && (!a->fill_count || a->fill_byte == b->fill_byte) &&
         a->suffix_len == b->suffix_len && !memcmp(a->suffix, b->suffix, a->suffix_len);
}

/* The completion a tracker reports now. */
static fp_completion_t completion_of(const fp_tracker_t *tracker)
{
  fp_completion_t c;

  fp_tracker_completion(tracker, &c);
  return c;
}

/* Property 1: pieces and single bytes agree with each other at every piece end. */
static fp_completion_t check_splits(const uint8_t *data, size_t size)
{
  fp_tracker_t    pieces, bytes;
  fp_completion_t a, b;
  uint64_t        seed = hash(data, size);
  size_t          at = 0;
  bool            implausible = false;

  fp_tracker_init(&pieces, language);
  fp_tracker_init(&bytes, language);
  while (at < size)
  {
    uint64_t r = next_random(&seed);
    size_t   piece = (r & 3) ? 1 + (r >> 8) % 64 : 1 + (r >> 8) % 4096;

    if (piece > size - at)
      piece = size - at;
    fp_tracker_feed(&pieces, data + at, piece);
    for (size_t i = 0; i < piece; i++)
      fp_tracker_feed(&bytes, data + at + i, 1);
    at += piece;
    a = completion_of(&pieces);
    b = completion_of(&bytes);
    if (!same_completion(&a, &b))
      fail("fed in pieces and byte by byte, the completions differ", at);
    if (implausible && !a.implausible)
      fail("plausible again after an implausible completion", at);
    implausible = a.implausible;
  }
  return completion_of(&pieces);
}

/* Property 2: the completion, then the reset, leave the tracker idle. */
static void check_flush(const fp_tracker_t *fed, uint64_t offset)
{
  fp_tracker_t    t = *fed;
  fp_completion_t c = completion_of(&t);
  uint8_t         fill[4096];

  if (c.implausible || c.fill_count > FILL_LIMIT)
    return;
  fp_tracker_feed(&t, c.prefix, c.prefix_len);
  memset(fill, c.fill_byte, sizeof(fill));
  for (uint64_t left = c.fill_count; left;)
  {
    size_t n = left < sizeof(fill) ? (size_t)left : sizeof(fill);

    fp_tracker_feed(&t, fill, n);
    left -= n;
  }
  fp_tracker_feed(&t, c.suffix, c.suffix_len);
  if (fp_tracker_completion(&t, NULL))
    fail("still mid-command after its own completion", offset);
  fp_tracker_feed(&t, reset, reset_len);
  if (fp_tracker_completion(&t, NULL))
    fail("not idle after its completion and the reset", offset);
}

/* Property 3: an implausible completion stays so until init, and a lost tracker ignores bytes. */
static void check_lost(const fp_tracker_t *fed, const uint8_t *data, size_t size, uint64_t offset)
{
  static uint8_t  flood[FLOOD_CHUNK];
  fp_tracker_t    t = *fed, lost;
  fp_completion_t c = completion_of(&t), now;

  if (!c.implausible)
    return;
  if (c.prefix_len || c.suffix_len)
    fail("an implausible completion with bytes to send", offset);
  memset(flood, 0x1b, sizeof(flood)); /* ESC: a command prefix in most languages */
  fp_tracker_feed(&t, reset, reset_len);
  if (language->resync)
    fp_tracker_feed(&t, language->resync, language->resync_len);
  fp_tracker_feed(&t, data, size);
  fp_tracker_feed(&t, flood, sizeof(flood)); /* ends any header the claim was cut in */
  if (!(now = completion_of(&t)).implausible)
    fail("plausible again after an implausible completion", offset);
  lost = t;
  for (unsigned i = 0; i < FLOOD_CHUNKS; i++)
    fp_tracker_feed(&t, flood, sizeof(flood));
  fp_tracker_feed(&t, data, size);
  if (memcmp(t.state.bytes, lost.state.bytes, language->state_size))
    fail("a lost tracker's state changed when fed", offset);
  c = completion_of(&t);
  if (!same_completion(&c, &now))
    fail("a lost tracker's completion changed when fed", offset);
  fp_tracker_init(&t, language);
  if (fp_tracker_completion(&t, NULL))
    fail("not idle after init", offset);
}

/* Check every property on one input. */
static void check_input(const uint8_t *data, size_t size)
{
  fp_tracker_t    whole;
  fp_completion_t split, once;

  fp_tracker_init(&whole, language);
  fp_tracker_feed(&whole, data, size);
  once = completion_of(&whole);
  split = check_splits(data, size);
  if (!same_completion(&once, &split))
    fail("fed whole and in pieces, the completions differ", size);
  if (whole.accepted != size)
    fail("counted bytes differ from the bytes fed", size);
  check_flush(&whole, size);
  check_lost(&whole, data, size, size);
}

#ifdef FP_LIBFUZZER

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer: pick the tracker from FP_FUZZ_LANGUAGE. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  setup(getenv("FP_FUZZ_LANGUAGE"));
  return 0;
}

/* libFuzzer: one input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  check_input(data, size);
  return 0;
}

#else

/* Check a file whole and REPLAY_PREFIXES prefixes of it; false if unreadable. */
static bool replay(const char *path)
{
  FILE    *f = fopen(path, "rb");
  uint8_t *data = NULL;
  long     size;
  bool     ok = false;

  if (f && !fseek(f, 0, SEEK_END) && (size = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET) &&
      (data = malloc(size ? (size_t)size : 1)) && fread(data, 1, (size_t)size, f) == (size_t)size)
  {
    fp_tracker_t t;
    size_t       fed = 0;

    check_input(data, (size_t)size);
    fp_tracker_init(&t, language);
    for (int k = 1; k < REPLAY_PREFIXES; k++)
    {
      size_t cut = (size_t)((uint64_t)size * k / REPLAY_PREFIXES);

      fp_tracker_feed(&t, data + fed, cut - fed);
      fed = cut;
      check_flush(&t, cut);
      check_lost(&t, data, size, cut);
    }
    ok = true;
  }
  else
    perror(path);
  free(data);
  if (f)
    fclose(f);
  return ok;
}

/* fuzz-tracker LANGUAGE FILE...: the properties on files (no fuzzing). */
int main(int argc, char *argv[])
{
  int checked = 0;

  if (argc < 3)
  {
    fputs("usage: fuzz-tracker LANGUAGE FILE...\n", stderr);
    return 2;
  }
  setup(argv[1]);
  for (int i = 2; i < argc; i++)
  {
    if (!replay(argv[i]))
      return 1;
    checked++;
  }
  printf("%s: %d files, properties hold\n", language->name, checked);
  free(reset);
  return 0;
}

#endif

/*
 * tracker-bench: throughput of the printer-language trackers beside a plain
 * memcpy of the same bytes, measured side by side in one run.  Each stream is
 * repeated to about --mb megabytes and fed in 64 kB writes, the size of the
 * backend's writes; rounds alternate memcpy and tracker and the median is kept.
 *
 * Usage: tracker-bench [--mb N] [--rounds N] LANGUAGE FILE [LANGUAGE FILE...]
 * Output, one line per pair: LANGUAGE BYTES TRACKER_MB_S MEMCPY_MB_S
 */

#include "../engine/language.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK 65536
#define MAX_ROUNDS 15

/* Read after each copy, so that the copies cannot be optimized away. */
static volatile uint8_t sink;

/* Seconds on the monotonic clock. */
static double now(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* `path` repeated to at least `target` bytes (whole copies); NULL on failure. */
static uint8_t *repeated(const char *path, size_t target, size_t *len, size_t *stream_len)
{
  FILE    *f = fopen(path, "rb");
  uint8_t *buf;
  long     size;

  if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
  {
    perror(path);
    if (f)
      fclose(f);
    return NULL;
  }
  *stream_len = (size_t)size;
  *len = ((target + (size_t)size - 1) / (size_t)size) * (size_t)size;
  if (!(buf = malloc(*len)) || fread(buf, 1, (size_t)size, f) != (size_t)size)
  {
    perror(path);
    free(buf);
    fclose(f);
    return NULL;
  }
  fclose(f);
  for (size_t at = (size_t)size; at < *len; at += (size_t)size)
    memcpy(buf + at, buf, (size_t)size);
  return buf;
}

/* Seconds to feed `len` bytes to a fresh tracker in CHUNK writes. */
static double time_tracker(const fp_language_t *language, const uint8_t *data, size_t len)
{
  fp_tracker_t    t;
  fp_completion_t c;
  double          start = now();

  fp_tracker_init(&t, language);
  for (size_t at = 0; at < len; at += CHUNK)
    fp_tracker_feed(&t, data + at, len - at < CHUNK ? len - at : CHUNK);
  if (fp_tracker_completion(&t, &c))
    fprintf(stderr, "tracker-bench: %s ends mid-command\n", language->name);
  return now() - start;
}

/* Seconds to copy `len` bytes to `dest` in CHUNK pieces. */
static double time_memcpy(uint8_t *dest, const uint8_t *data, size_t len)
{
  double start = now();

  for (size_t at = 0; at < len; at += CHUNK)
    memcpy(dest + at, data + at, len - at < CHUNK ? len - at : CHUNK);
  return now() - start;
}

/* qsort comparison of doubles. */
static int by_value(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

/* The median of `n` samples (sorts them). */
static double median(double *samples, int n)
{
  qsort(samples, (size_t)n, sizeof(double), by_value);
  return n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
}

/* Measure one language on one stream; false on failure. */
static bool measure(const char *name, const char *path, size_t target, int rounds)
{
  const fp_language_t *language = fp_language_find(name);
  uint8_t             *data, *dest;
  size_t               len, stream_len;
  double               tracker[MAX_ROUNDS], copy[MAX_ROUNDS];

  if (!language)
  {
    fprintf(stderr, "tracker-bench: no tracker for language '%s'\n", name);
    return false;
  }
  if (!(data = repeated(path, target, &len, &stream_len)))
    return false;
  if (!(dest = malloc(len)))
  {
    free(data);
    perror("malloc");
    return false;
  }
  memset(dest, 1, len);
  for (int r = 0; r < rounds; r++)
  {
    copy[r] = time_memcpy(dest, data, len);
    sink = dest[(size_t)r * 4099 % len];
    tracker[r] = time_tracker(language, data, len);
  }
  printf("%s %zu %zu %.1f %.1f\n", language->name, stream_len, len,
         (double)len / median(tracker, rounds) / 1e6, (double)len / median(copy, rounds) / 1e6);
  free(dest);
  free(data);
  return true;
}

/* tracker-bench [--mb N] [--rounds N] LANGUAGE FILE [LANGUAGE FILE...] */
int main(int argc, char *argv[])
{
  size_t target = 100 * 1000 * 1000;
  int    rounds = 5, arg = 1;

  while (arg + 1 < argc && !strncmp(argv[arg], "--", 2))
  {
    if (!strcmp(argv[arg], "--mb"))
      target = (size_t)strtoul(argv[arg + 1], NULL, 10) * 1000 * 1000;
    else if (!strcmp(argv[arg], "--rounds"))
      rounds = atoi(argv[arg + 1]);
    else
      break;
    arg += 2;
  }
  if (argc - arg < 2 || (argc - arg) % 2 || rounds < 1 || rounds > MAX_ROUNDS || !target)
  {
    fputs("usage: tracker-bench [--mb N] [--rounds 1-15] LANGUAGE FILE [LANGUAGE FILE...]\n",
          stderr);
    return 2;
  }
  for (; arg < argc; arg += 2)
    if (!measure(argv[arg], argv[arg + 1], target, rounds))
      return 1;
  return 0;
}

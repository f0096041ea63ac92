/*
 * fp-track: the cut harness.  Feeds a printer stream to a language tracker
 * and prints, for each cut offset, what a flush would send after the first
 * CUT bytes: the completion of the half-sent command, then the language's
 * reset.  One process serves every cut of a stream.
 *
 * Usage:
 *   fp-track --list                         languages with a tracker
 *   fp-track --detect FILE...               the language each file's first bytes name
 *   fp-track [--reset SPEC] LANGUAGE FILE CUT...
 *   fp-track [--reset SPEC] LANGUAGE FILE -   cuts read from stdin, one per line
 *
 * Output, one line per cut, in the order given:
 *   CUT PREFIX FILL_COUNT FILL_BYTE SUFFIX RESET [implausible]
 * where the completion is the bytes PREFIX (hex, "-" when empty), then
 * FILL_COUNT copies of FILL_BYTE (hex), then SUFFIX (hex, "-" when empty),
 * and RESET (hex, "-" when empty) is the reset sent after it (the
 * language's preset, or SPEC).  A completion the tracker no longer vouches
 * for (a count beyond what a real printer takes) ends with the word
 * "implausible": FILL_COUNT is then the count the stream claimed, and a
 * flush sends none of it, only the language's resynchronisation (if any)
 * and the reset.
 *
 * --detect prints one line a file, "FILE LANGUAGE REASON", where LANGUAGE
 * is what fp_detect_stream() names from the file's first bytes, or
 * "unknown".
 */

#include "../engine/language-detect.h"
#include "../engine/language.h"
#include "flushprinter.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Print `len` bytes as lower-case hex, or "-" when there are none. */
static void print_hex(const uint8_t *bytes, size_t len)
{
  if (!len)
    fputs("-", stdout);
  for (size_t i = 0; i < len; i++)
    printf("%02x", bytes[i]);
}

/* Read all of `path`; NULL (and a message) on failure. */
static uint8_t *read_file(const char *path, size_t *len)
{
  FILE    *f = fopen(path, "rb");
  uint8_t *data = NULL;
  size_t   size = 0, used = 0, n;

  if (!f)
  {
    perror(path);
    return NULL;
  }
  do
  {
    if (used == size)
    {
      uint8_t *bigger = realloc(data, size = size ? size * 2 : 65536);

      if (!bigger)
      {
        free(data);
        fclose(f);
        fprintf(stderr, "%s: out of memory\n", path);
        return NULL;
      }
      data = bigger;
    }
    n = fread(data + used, 1, size - used, f);
    used += n;
  } while (n);
  if (ferror(f))
  {
    perror(path);
    free(data);
    data = NULL;
  }
  fclose(f);
  *len = used;
  return data;
}

/* Parse a cut offset; false if `text` is not a number within the stream. */
static bool parse_cut(const char *text, size_t stream_len, uint64_t *cut)
{
  char *end;

  *cut = strtoull(text, &end, 10);
  while (*end == '\n' || *end == '\r' || *end == ' ')
    end++;
  if (end == text || *end || *cut > stream_len)
  {
    fprintf(stderr, "fp-track: bad cut '%s' (the stream has %zu bytes)\n", text, stream_len);
    return false;
  }
  return true;
}

/* Print what a flush after the first `cut` bytes of the stream would send. */
static void report_cut(fp_tracker_t *tracker, const fp_language_t *language,
                       const uint8_t *data, uint64_t cut, const uint8_t *reset, size_t reset_len)
{
  fp_completion_t completion;

  if (cut < tracker->accepted)
    fp_tracker_init(tracker, language);
  fp_tracker_feed(tracker, data + tracker->accepted, (size_t)(cut - tracker->accepted));
  fp_tracker_completion(tracker, &completion);
  printf("%" PRIu64 " ", cut);
  print_hex(completion.prefix, completion.prefix_len);
  printf(" %" PRIu64 " %02x ", completion.fill_count, completion.fill_byte);
  print_hex(completion.suffix, completion.suffix_len);
  putchar(' ');
  print_hex(reset, reset_len);
  if (completion.implausible)
    fputs(" implausible", stdout);
  putchar('\n');
}

/* List the languages that have a tracker (all but "none"). */
static int list_languages(void)
{
  for (const fp_language_t *const *l = fp_language_list(); *l; l++)
    if (strcmp((*l)->name, "none"))
      printf("%s %s\n", (*l)->name, (*l)->reset_preset);
  return 0;
}

/* Print the language fp_detect_stream() names for each file, and why. */
static int detect_files(int count, char **paths)
{
  for (int i = 0; i < count; i++)
  {
    fp_detection_t d;
    size_t         len;
    uint8_t       *data = read_file(paths[i], &len);
    const char    *language;

    if (!data)
      return 2;
    memset(&d, 0, sizeof(d));
    language = fp_detect_stream(data, len, &d);
    printf("%s %s %s\n", paths[i], language ? language : FP_LANGUAGE_UNKNOWN, d.reason);
    free(data);
  }
  return 0;
}

/* Report every cut named on the command line, or read from stdin for "-". */
static int run_cuts(const fp_language_t *language, const uint8_t *data, size_t len,
                    const uint8_t *reset, size_t reset_len, int ncuts, char **cuts)
{
  fp_tracker_t tracker;
  uint64_t     cut;
  char         line[64];

  fp_tracker_init(&tracker, language);
  if (ncuts == 1 && !strcmp(cuts[0], "-"))
  {
    while (fgets(line, sizeof(line), stdin))
    {
      if (!parse_cut(line, len, &cut))
        return 2;
      report_cut(&tracker, language, data, cut, reset, reset_len);
    }
    return 0;
  }
  for (int i = 0; i < ncuts; i++)
  {
    if (!parse_cut(cuts[i], len, &cut))
      return 2;
    report_cut(&tracker, language, data, cut, reset, reset_len);
  }
  return 0;
}

/* fp-track [--list | --detect FILE... | [--reset SPEC] LANGUAGE FILE CUT... | ... FILE -] */
int main(int argc, char *argv[])
{
  const fp_language_t *language;
  const char          *spec = NULL;
  uint8_t             *data, *reset;
  size_t               len, reset_len;
  char                 message[256];
  int                  arg = 1, status;

  if (argc == 2 && !strcmp(argv[1], "--list"))
    return list_languages();
  if (argc > 2 && !strcmp(argv[1], "--detect"))
    return detect_files(argc - 2, argv + 2);
  if (argc > 2 && !strcmp(argv[1], "--reset"))
  {
    spec = argv[2];
    arg = 3;
  }
  if (argc - arg < 3)
  {
    fputs("usage: fp-track --list\n"
          "       fp-track --detect FILE...\n"
          "       fp-track [--reset SPEC] LANGUAGE FILE CUT...   (or - to read cuts from stdin)\n",
          stderr);
    return 2;
  }
  if (!(language = fp_language_find(argv[arg])) || !strcmp(language->name, "none"))
  {
    fprintf(stderr, "fp-track: no tracker for language '%s'\n", argv[arg]);
    return 3;
  }
  if (fp_reset_parse(spec ? spec : language->reset_preset, &reset, &reset_len, message,
                     sizeof(message)) != FP_OK)
  {
    fprintf(stderr, "fp-track: reset: %s\n", message);
    return 2;
  }
  if (!(data = read_file(argv[arg + 1], &len)))
  {
    free(reset);
    return 2;
  }
  status = run_cuts(language, data, len, reset, reset_len, argc - arg - 2, argv + arg + 2);
  free(data);
  free(reset);
  return status;
}

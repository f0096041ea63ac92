/*
 * The printer-language registry and the tracker wrappers of language.h.
 * The languages themselves live in language-NAME.c; "none" is here: a
 * language whose printer is never in the middle of a command.
 */

#include "language.h"

#include <string.h>
#include <strings.h>

/* "none": nothing to initialize. */
static void none_init(void *state)
{
}

/* "none": bytes change nothing. */
static void none_feed(void *state, const uint8_t *data, size_t len)
{
}

/* "none": never mid-command. */
static bool none_completion(const void *state, fp_completion_t *out)
{
  return false;
}

const fp_language_t fp_language_none = {
  .name = "none",
  .reset_preset = "none",
  .state_size = 0,
  .init = none_init,
  .feed = none_feed,
  .completion = none_completion,
};

static const fp_language_t *const languages[] = {
  &fp_language_none,
  &fp_language_escpos,
  &fp_language_pcl,
  &fp_language_escp,
  &fp_language_zpl,
  &fp_language_epl,
  &fp_language_dymo,
  &fp_language_escpr,
  NULL,
};

/* The language called `name` (case-insensitive), or NULL. */
const fp_language_t *fp_language_find(const char *name)
{
  if (!name)
    return NULL;
  for (const fp_language_t *const *l = languages; *l; l++)
    if (!strcasecmp((*l)->name, name))
      return *l;
  return NULL;
}

/* All languages, NULL-terminated. */
const fp_language_t *const *fp_language_list(void)
{
  return languages;
}

/* The language a tracker runs; a zeroed tracker behaves as "none". */
static const fp_language_t *tracker_language(const fp_tracker_t *tracker)
{
  return tracker->language ? tracker->language : &fp_language_none;
}

/* Start tracking `language` (NULL means "none": never mid-command). */
void fp_tracker_init(fp_tracker_t *tracker, const fp_language_t *language)
{
  memset(tracker, 0, sizeof(*tracker));
  tracker->language = language ? language : &fp_language_none;
  tracker->language->init(tracker->state.bytes);
}

/* Observe bytes the device accepted. */
void fp_tracker_feed(fp_tracker_t *tracker, const void *data, size_t len)
{
  if (!len)
    return;
  tracker->accepted += len;
  tracker_language(tracker)->feed(tracker->state.bytes, data, len);
}

/* true when mid-command; `out` (may be NULL) gets the completion, cleared otherwise. */
bool fp_tracker_completion(const fp_tracker_t *tracker, fp_completion_t *out)
{
  fp_completion_t scratch;

  if (!out)
    out = &scratch;
  memset(out, 0, sizeof(*out));
  if (tracker_language(tracker)->completion(tracker->state.bytes, out))
    return true;
  memset(out, 0, sizeof(*out));
  return false;
}

/* Total bytes of a completion. */
uint64_t fp_completion_size(const fp_completion_t *completion)
{
  return completion->prefix_len + completion->fill_count + completion->suffix_len;
}

/* For trackers building a completion: feed `count` copies of `byte` to a parser copy. */
void fp_language_feed_repeated(void (*feed)(void *state, const uint8_t *data, size_t len),
                               void *state, uint8_t byte, uint64_t count)
{
  uint8_t chunk[4096];

  memset(chunk, byte, count < sizeof(chunk) ? (size_t)count : sizeof(chunk));
  while (count)
  {
    size_t n = count < sizeof(chunk) ? (size_t)count : sizeof(chunk);

    feed(state, chunk, n);
    count -= n;
  }
}

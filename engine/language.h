/*
 * Printer-language trackers.  A tracker observes the bytes a device has
 * accepted and knows, in O(1) state, whether the printer is in the middle of
 * a command and what shortest harmless byte sequence completes that command
 * (for raster data: blank pixels).  One file per language: language-NAME.c.
 */

#ifndef FP_LANGUAGE_H
#define FP_LANGUAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FP_COMPLETION_PREFIX_MAX 16
/* ESC/P-R's longest suffix is 34 bytes: a white run-length group (13), endp (11),
   endj (10); the state store's 512-byte records hold a suffix of 40 at most. */
#define FP_COMPLETION_SUFFIX_MAX 36

/*
 * What completes a half-sent command: `prefix`, then `fill_count` x
 * `fill_byte`, then `suffix`.
 */
typedef struct fp_completion_s
{
  uint8_t  prefix[FP_COMPLETION_PREFIX_MAX]; /* finishes a half-sent command header */
  size_t   prefix_len;
  uint64_t fill_count;                       /* data bytes the command still owes */
  uint8_t  fill_byte;                        /* harmless value for them (blank pixels) */
  /*
   * After the data: leaves a mode the data was sent in (ESC/P remote mode),
   * ends the escape sequence it was sent in (PCL's lower-case data
   * parameters), or puts back what the reset preset relies on (ZPL's
   * command prefixes).
   */
  uint8_t  suffix[FP_COMPLETION_SUFFIX_MAX];
  size_t   suffix_len;
  /*
   * The tracker no longer vouches for the stream: a command announced more
   * data than any real printer of the language accepts, so the bytes are
   * not what the tracker took them for.  `fill_count` then holds the count
   * the stream claimed (for the log); the completion must not be sent.
   */
  bool     implausible;
} fp_completion_t;

/* A printer language: a vtable over a fixed-size state. */
typedef struct fp_language_s
{
  const char *name;          /* "escpos", "none", ... */
  const char *reset_preset;  /* preset that resets this language */
  size_t      state_size;    /* bytes of state; at most FP_TRACKER_STATE_MAX */
  void      (*init)(void *state);
  void      (*feed)(void *state, const uint8_t *data, size_t len);
  /* true when mid-command; fills `out` (zeroed by the caller) with the completion */
  bool      (*completion)(const void *state, fp_completion_t *out);
  /*
   * true when surplus fill bytes are ignored by an idle printer (NUL in
   * ESC/POS), so that a completion may safely be lengthened when bytes were
   * lost with a broken connection and the exact count is in doubt.
   */
  bool        surplus_fill_harmless;
  /*
   * Bytes that bring a printer of this language back to command level from
   * wherever it is, where the language has such a thing (sent before the
   * reset when a completion is refused as implausible or too long); may be
   * NULL.
   */
  const uint8_t *resync;
  size_t         resync_len;
} fp_language_t;

#define FP_TRACKER_STATE_MAX 64

/* A running tracker; plain data, may live on the stack. */
typedef struct fp_tracker_s
{
  const fp_language_t *language;
  uint64_t             accepted;  /* bytes fed so far */
  union { uint64_t align; uint8_t bytes[FP_TRACKER_STATE_MAX]; } state;
} fp_tracker_t;

/* The language called `name` (case-insensitive), or NULL. */
const fp_language_t *fp_language_find(const char *name);

/* All languages, NULL-terminated. */
const fp_language_t *const *fp_language_list(void);

/* Start tracking `language` (NULL means "none": never mid-command). */
void fp_tracker_init(fp_tracker_t *tracker, const fp_language_t *language);

/* Observe bytes the device accepted. */
void fp_tracker_feed(fp_tracker_t *tracker, const void *data, size_t len);

/* true when mid-command; `out` gets the completion (cleared otherwise). */
bool fp_tracker_completion(const fp_tracker_t *tracker, fp_completion_t *out);

/* Total bytes of a completion. */
uint64_t fp_completion_size(const fp_completion_t *completion);

/* For trackers building a completion: feed `count` copies of `byte` to a parser copy. */
void fp_language_feed_repeated(void (*feed)(void *state, const uint8_t *data, size_t len),
                               void *state, uint8_t byte, uint64_t count);

extern const fp_language_t fp_language_none;
extern const fp_language_t fp_language_escpos;
extern const fp_language_t fp_language_pcl;
extern const fp_language_t fp_language_escp;
extern const fp_language_t fp_language_zpl;
extern const fp_language_t fp_language_epl;
extern const fp_language_t fp_language_dymo;
extern const fp_language_t fp_language_escpr;

#endif /* FP_LANGUAGE_H */

/*
 * The device URI of a queue and its options, flushprinter+SCHEME:ADDRESS?OPTIONS:
 *   flushprinter+socket://HOST[:PORT]/?OPTIONS
 *   flushprinter+file:PATH?OPTIONS
 *   flushprinter+usb://MAKE/MODEL?serial=SN&OPTIONS
 * The options every transport shares: reset= language= idle= grace=
 * timeout= contimeout= retries= softreset= maxflush= band= status= confirm=
 * verify=.  The transport of
 * SCHEME (transport.h) parses ADDRESS and its own options (usb's serial=).
 */

#ifndef FP_OPTIONS_H
#define FP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/language.h"
#include "../engine/state.h"

/* maxflush= in bytes: defaults and the largest value accepted. */
#define FP_MAX_FLUSH_PRINTING (512 * 1024)  /* owed raster prints as it arrives (ESC/POS) */
#define FP_MAX_FLUSH_STORED   (1024 * 1024) /* owed data fills a page, a stored graphic, a form */
#define FP_MAX_FLUSH_LIMIT    (1 << 30)

struct fp_transport_s;

typedef struct fp_options_s
{
  const struct fp_transport_s *transport; /* of the scheme: "socket", "file", "usb" */
  void                *address;        /* the transport's own struct: where the device is */
  char                 reset_spec[256]; /* as given, for messages */
  uint8_t             *reset;           /* reset buffer sent on a flush */
  size_t               reset_len;
  bool                 reset_set;       /* reset= was given (else a detected language's preset) */
  const fp_language_t *language;        /* tracker that computes completion padding */
  bool                 language_auto;   /* language=auto, until detect.c resolves it */
  int                  idle_ms;         /* quiet window after a cancel or failure */
  int                  grace_ms;        /* wait for a filter's flush request after a cancel */
  int                  timeout_ms;      /* a device write may stall this long */
  int                  contimeout_ms;   /* keep trying to reach the device this long */
  int                  retries;         /* reconnect attempts after a failed write */
  int                  soft_reset;      /* also send the device's soft reset after a flush */
  int                  max_flush;       /* longest completion a flush sends; -1: by language */
  int                  status_mode;     /* status=: FP_STATUS_MODE_* (live-status.h) */
  int                  confirm_mode;    /* confirm=: the same three */
  int                  verify_mode;     /* verify=: the same three */
  int                  band_rows;       /* ESC/POS GS v 0 band height (band=); 0: off */
  char                 device_key[FP_DEVICE_KEY_MAX]; /* names the device in the state store */
} fp_options_t;

/*
 * Parse a device URI.  On failure returns FP_ERROR_SYNTAX (FP_ERROR_NO_MEMORY)
 * and writes a sentence naming the offending part into `message`.
 */
int fp_options_parse(const char *uri, fp_options_t *options, char *message, size_t size);

/* For transports: a whole decimal number within [min, max], or FP_ERROR_SYNTAX. */
int fp_options_number(const char *text, int min, int max, int *value);

/*
 * For transports: the device's name in the state store, `format` formatted
 * (lowercased when `fold_case`, before any hashing; fp_device_key()).
 */
void fp_options_device_key(char key[FP_DEVICE_KEY_MAX], bool fold_case, const char *format, ...)
  __attribute__((format(printf, 3, 4)));

/*
 * The most completion bytes one flush may send: maxflush=, else the
 * default for `language` (a printer that prints owed raster rows as they
 * arrive pays for every byte in paper).
 */
uint64_t fp_options_flush_ceiling(const fp_options_t *options, const fp_language_t *language);

/* Release what fp_options_parse() allocated. */
void fp_options_free(fp_options_t *options);

#endif /* FP_OPTIONS_H */

/*
 * The device URI of a queue and its options:
 *   flushprinter+socket://HOST[:PORT]/?OPTIONS
 *   flushprinter+file:PATH?OPTIONS
 *   flushprinter+usb://MAKE/MODEL?serial=SN&OPTIONS
 * OPTIONS: reset= language= idle= grace= timeout= contimeout= retries=
 * softreset= maxflush= (and serial= for usb).
 */

#ifndef FP_OPTIONS_H
#define FP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "language.h"
#include "state.h"

/* maxflush= in bytes: defaults and the largest value accepted. */
#define FP_MAX_FLUSH_PRINTING (512 * 1024)  /* owed raster prints as it arrives (ESC/POS) */
#define FP_MAX_FLUSH_STORED   (1024 * 1024) /* owed data fills a page, a stored graphic, a form */
#define FP_MAX_FLUSH_LIMIT    (1 << 30)

typedef struct fp_options_s
{
  char                 scheme[16];      /* transport: "socket", "file", "usb" */
  char                 host[256];       /* socket */
  int                  port;            /* socket, default 9100 */
  char                 path[1024];      /* file */
  char                 usb_make[128];   /* usb */
  char                 usb_model[128];
  char                 usb_serial[128];
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
  char                 device_key[FP_DEVICE_KEY_MAX]; /* names the device in the state store */
} fp_options_t;

/*
 * Parse a device URI.  On failure returns FP_ERROR_SYNTAX and writes a
 * sentence naming the offending part into `message`.
 */
int fp_options_parse(const char *uri, fp_options_t *options, char *message, size_t size);

/*
 * The most completion bytes one flush may send: maxflush=, else the
 * default for `language` (a printer that prints owed raster rows as they
 * arrive pays for every byte in paper).
 */
uint64_t fp_options_flush_ceiling(const fp_options_t *options, const fp_language_t *language);

/* Release what fp_options_parse() allocated. */
void fp_options_free(fp_options_t *options);

#endif /* FP_OPTIONS_H */

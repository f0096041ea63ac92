/*
 * The device URI of a queue and its options:
 *   flushprinter+socket://HOST[:PORT]/?OPTIONS
 *   flushprinter+file:PATH?OPTIONS
 *   flushprinter+usb://MAKE/MODEL?serial=SN&OPTIONS
 * OPTIONS: reset= language= idle= grace= timeout= contimeout= retries=
 * softreset= (and serial= for usb).
 */

#ifndef FP_OPTIONS_H
#define FP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "language.h"
#include "state.h"

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
  char                 device_key[FP_DEVICE_KEY_MAX]; /* names the device in the state store */
} fp_options_t;

/*
 * Parse a device URI.  On failure returns FP_ERROR_SYNTAX and writes a
 * sentence naming the offending part into `message`.
 */
int fp_options_parse(const char *uri, fp_options_t *options, char *message, size_t size);

/* Release what fp_options_parse() allocated. */
void fp_options_free(fp_options_t *options);

#endif /* FP_OPTIONS_H */

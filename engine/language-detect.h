/*
 * Printer-language detection for language=auto: pure functions that name the
 * language of a job from its MIME type, the queue's PPD, the printer's IEEE
 * 1284 device ID or the job's first bytes, each with a short reason for the
 * log, and fp_detect_language() which applies their precedence.
 */

#ifndef FP_LANGUAGE_DETECT_H
#define FP_LANGUAGE_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FP_LANGUAGE_UNKNOWN  "unknown" /* no detector could tell */
#define FP_DETECT_REASON_MAX 200
#define FP_DETECT_SNIFF_MAX  4096      /* bytes of job data the sniffer looks at */

/* A verdict: a language name ("escpos", "pcl", ...) or FP_LANGUAGE_UNKNOWN, and why. */
typedef struct fp_detection_s
{
  const char *language;
  char        reason[FP_DETECT_REASON_MAX];
} fp_detection_t;

/* What a PPD says about the printer's language (see fp_ppd_hints_parse()). */
typedef struct fp_ppd_hints_s
{
  char language[32];     /* *FlushPrinterLanguage, "" when absent */
  char reset[64];        /* *FlushPrinterReset, "" when absent */
  char wrap[64];         /* *FlushPrinterWrap: the driver run inside the flushprinter filter */
  int  model_number;     /* *cupsModelNumber, 0 when absent (as libcups reads it) */
  int  num_filters;      /* *cupsFilter and *cupsFilter2 lines kept below */
  struct
  {
    char type[96];       /* *cupsFilter2: the destination type; *cupsFilter: "" */
    char program[64];
  }    filters[8];
} fp_ppd_hints_t;

/* The language names detection can produce, NULL-terminated. */
const char *const *fp_detect_language_names(void);

/*
 * From a MIME media type (FINAL_CONTENT_TYPE, CONTENT_TYPE or a *cupsFilter2
 * destination): application/vnd.hp-pcl is pcl, application/vnd.zebra-zpl is
 * zpl, application/vnd.flushprinter-NAME is NAME, ...; a type a driver still
 * converts (application/vnd.cups-raster, printer/QUEUE, raw data) is unknown.
 */
const char *fp_detect_mime(const char *type, fp_detection_t *d);

/* Collect the keywords of fp_ppd_hints_t from the text of a PPD file. */
void fp_ppd_hints_parse(const char *text, size_t len, fp_ppd_hints_t *hints);

/*
 * From a PPD's explicit keywords: *FlushPrinterLanguage, else the language
 * of the *FlushPrinterReset preset.
 */
const char *fp_detect_ppd_keywords(const fp_ppd_hints_t *hints, fp_detection_t *d);

/*
 * From a PPD's driver: the *cupsFilter2 destination types and the driver
 * programs (*FlushPrinterWrap, else the *cupsFilter and *cupsFilter2 programs;
 * rastertolabel by *cupsModelNumber).  Unknown unless every hint agrees.
 */
const char *fp_detect_ppd_driver(const fp_ppd_hints_t *hints, fp_detection_t *d);

/*
 * From an IEEE 1284 device ID: the CMD: (or COMMAND SET:) list when it names
 * exactly one language flushprinter knows; a DYMO LabelWriter without one.
 */
const char *fp_detect_device_id(const char *device_id, fp_detection_t *d);

/* From the first bytes of the job (at most FP_DETECT_SNIFF_MAX are looked at). */
const char *fp_detect_stream(const uint8_t *data, size_t len, fp_detection_t *d);

/*
 * The name of a document format the job's first bytes clearly are ("PDF",
 * "PostScript", "PNG", ...) when that is no printer language a tracker
 * follows, else NULL.  Such a job reached a raw queue by mistake (or was
 * sent there on purpose): no tracker can vouch for it.
 */
const char *fp_detect_foreign_format(const uint8_t *data, size_t len);

/* Everything known about a job; any member may be NULL (or 0). */
typedef struct fp_detect_input_s
{
  const fp_ppd_hints_t *ppd;                /* the queue's PPD */
  const char           *final_content_type; /* FINAL_CONTENT_TYPE */
  const char           *content_type;       /* CONTENT_TYPE */
  const char           *device_id;          /* IEEE 1284 device ID */
  const uint8_t        *data;               /* the job's first bytes */
  size_t                data_len;
} fp_detect_input_t;

/*
 * Apply the precedence: PPD keywords, then the content type, then the PPD's
 * driver (not for raw jobs), then the device ID, then the job's bytes.  The
 * first that names a language wins.  `trail` (may be NULL) gets every
 * detector's verdict, for a DEBUG line.
 */
const char *fp_detect_language(const fp_detect_input_t *in, fp_detection_t *d, char *trail,
                               size_t trail_size);

#endif /* FP_LANGUAGE_DETECT_H */

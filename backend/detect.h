/*
 * language=auto in the backend: resolve the printer language of a job
 * before its first byte goes out (see engine/language-detect.h).
 */

#ifndef FP_DETECT_H
#define FP_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/language.h"
#include "options.h"

/* What detection needs to know about the job. */
typedef struct fp_detect_job_s
{
  const fp_options_t *options;
  const char         *device_id;                  /* the device's IEEE 1284 ID, or NULL */
  /* The job's first bytes, as buffered so far. */
  const uint8_t     *(*data)(void *ctx, size_t *len);
  /* Read more of them, waiting up to `wait_ms`; false when none can come. */
  bool               (*more)(void *ctx, int wait_ms);
  void               *ctx;
} fp_detect_job_t;

/* What the job gets. */
typedef struct fp_job_language_s
{
  const fp_language_t *language;  /* its tracker (fp_language_none: follow nothing) */
  uint8_t             *reset;     /* its language's reset preset (to free), or NULL: reset= */
  size_t               reset_len;
} fp_job_language_t;

/*
 * Decide the job's language before its first byte goes out: language=, or
 * for language=auto the PPD and content type (environment), the device ID
 * and the first bytes (waiting briefly for more when those are
 * inconclusive), reported in an INFO line; a job whose first bytes are a
 * document format is followed by no tracker, with a WARNING.
 */
void fp_detect_job_language(const fp_detect_job_t *in, fp_job_language_t *out);

#endif /* FP_DETECT_H */

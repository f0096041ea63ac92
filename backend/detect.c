/*
 * The job's language (detect.h): the queue's language=, or with
 * language=auto what engine/language-detect.c concludes from the PPD, the
 * content type, the device ID and the job's first bytes; then a last look
 * at those bytes, since a document (PDF, PostScript, an image) is followed
 * by no tracker whatever the queue says.
 */

#include "detect.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../engine/language-detect.h"
#include "clock.h"
#include "flushprinter.h"
#include "log.h"

#define SNIFF_WAIT_MS 250        /* longest wait for more job data when nothing else decided */
#define PPD_SIZE_MAX  (16 << 20) /* a larger PPD file is not read */

/* Read the PPD file at `path` into `hints`; false when there is none to read. */
static bool read_ppd(const char *path, fp_ppd_hints_t *hints)
{
  FILE       *f;
  struct stat st;
  char       *text = NULL;
  size_t      len = 0;

  if (!path || !*path || !(f = fopen(path, "re")))
    return false;
  if (!fstat(fileno(f), &st) && S_ISREG(st.st_mode) && st.st_size <= PPD_SIZE_MAX
      && (text = malloc((size_t)st.st_size + 1)))
    len = fread(text, 1, (size_t)st.st_size, f);
  fclose(f);
  if (!text)
    return false;
  fp_ppd_hints_parse(text, len, hints);
  free(text);
  return true;
}

/* Choose `name`; without reset=, its reset preset becomes the job's reset. */
static void use_language(const fp_options_t *o, const char *name, const fp_detection_t *d,
                         fp_job_language_t *out)
{
  const fp_language_t *language = fp_language_find(name);
  bool                 known = strcmp(name, FP_LANGUAGE_UNKNOWN) != 0;
  const char          *preset = language ? language->reset_preset : name;
  const char          *reset_name = o->reset_spec;

  out->language = language ? language : &fp_language_none;
  if (!o->reset_set && known
      && fp_reset_parse(preset, &out->reset, &out->reset_len, NULL, 0) == FP_OK)
    reset_name = preset;
  if (language)
    fp_log("INFO", "Printer language: %s (from %s)", name, d->reason);
  else if (known)
    fp_log("INFO", "Printer language: %s (from %s); this build has no %s tracker: a cancel "
           "sends only reset=%s", name, d->reason, name, reset_name);
  else
    fp_log("INFO", "Printer language: unknown (%s); a cancel sends only reset=%s", d->reason,
           reset_name);
  fp_log("DEBUG", "flushprinter: tracker %s, reset %s (%zu bytes)", out->language->name,
         reset_name, out->reset ? out->reset_len : o->reset_len);
}

/* language=auto: gather what is known, let engine/language-detect.c choose. */
static void detect_auto(const fp_detect_job_t *in, fp_job_language_t *out)
{
  fp_detect_input_t d_in = { .final_content_type = getenv("FINAL_CONTENT_TYPE"),
                             .content_type = getenv("CONTENT_TYPE"),
                             .device_id = in->device_id };
  fp_ppd_hints_t    ppd;
  fp_detection_t    d;
  char              trail[1024];
  int64_t           deadline = fp_monotonic_ms() + SNIFF_WAIT_MS;
  const char       *name;

  if (read_ppd(getenv("PPD"), &ppd))
    d_in.ppd = &ppd;
  do
  {
    d_in.data = in->data(in->ctx, &d_in.data_len);
    name = fp_detect_language(&d_in, &d, trail, sizeof(trail));
  } while (!strcmp(name, FP_LANGUAGE_UNKNOWN) && d_in.data_len < FP_DETECT_SNIFF_MAX
           && in->more(in->ctx, fp_ms_until(deadline)));
  fp_log("DEBUG", "flushprinter: language=auto: %s", trail);
  use_language(in->options, name, &d, out);
}

/* The job's language and reset, decided before its first byte goes out. */
void fp_detect_job_language(const fp_detect_job_t *in, fp_job_language_t *out)
{
  const char    *format;
  const uint8_t *data;
  size_t         len = 0;

  memset(out, 0, sizeof(*out));
  out->language = in->options->language ? in->options->language : &fp_language_none;
  if (in->options->language_auto)
    detect_auto(in, out);
  data = in->data(in->ctx, &len);
  if (out->language != &fp_language_none && (format = fp_detect_foreign_format(data, len)))
  {
    /* A document sent to a printer-language queue: no tracker can vouch for it. */
    fp_log("WARNING", "The job is %s, not %s printer commands: following no command in it; "
           "a cancel sends only the reset", format, out->language->name);
    out->language = &fp_language_none;
  }
}

/*
 * language=auto (detect.h): gather what is known about the job, let
 * lib/language-detect.c choose, and make the choice the session's tracker
 * and default reset.
 */

#include "detect.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "flushprinter.h"
#include "language-detect.h"
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

/* Wait until `deadline` for job data after what is buffered; false when none can come. */
static bool read_more(fp_session_t *s, int64_t deadline)
{
  ssize_t n;

  if (!s->job.from_filters || s->input_eof || s->buf_len == sizeof(s->buf)
      || s->buf_len - s->buf_off >= FP_DETECT_SNIFF_MAX
      || fp_wait_fd(s->job.input_fd, POLLIN, s->job.cancel_fd, fp_ms_until(deadline)) <= 0)
    return false;
  n = read(s->job.input_fd, s->buf + s->buf_len, sizeof(s->buf) - s->buf_len);
  if (n > 0)
    s->buf_len += (size_t)n;
  else if (n == 0)
    s->input_eof = true;
  return n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR));
}

/* Make `name` the session's language; without reset=, its reset preset becomes the reset. */
static void use_language(fp_session_t *s, const char *name, const fp_detection_t *d)
{
  fp_options_t        *o = s->opts;
  const fp_language_t *language = fp_language_find(name);
  bool                 known = strcmp(name, FP_LANGUAGE_UNKNOWN) != 0;
  const char          *preset = language ? language->reset_preset : name;
  uint8_t             *bytes;
  size_t               len;

  o->language = language ? language : &fp_language_none;
  o->language_auto = false;
  fp_tracker_init(&s->tracker, o->language);
  if (!o->reset_set && known && fp_reset_parse(preset, &bytes, &len, NULL, 0) == FP_OK)
  {
    free(o->reset);
    o->reset = bytes;
    o->reset_len = len;
    snprintf(o->reset_spec, sizeof(o->reset_spec), "%s", preset);
  }
  if (language)
    fp_log("INFO", "Printer language: %s (from %s)", name, d->reason);
  else if (known)
    fp_log("INFO", "Printer language: %s (from %s); this build has no %s tracker: a cancel "
           "sends only reset=%s", name, d->reason, name, o->reset_spec);
  else
    fp_log("INFO", "Printer language: unknown (%s); a cancel sends only reset=%s", d->reason,
           o->reset_spec);
  fp_log("DEBUG", "flushprinter: tracker %s, reset %s (%zu bytes)", o->language->name,
         o->reset_spec, o->reset_len);
}

/* Resolve language=auto before the job's first byte goes out. */
void fp_detect_session_language(fp_session_t *s)
{
  fp_detect_input_t in = { .final_content_type = getenv("FINAL_CONTENT_TYPE"),
                           .content_type = getenv("CONTENT_TYPE") };
  fp_ppd_hints_t    ppd;
  fp_detection_t    d;
  char              device_id[1024], trail[1024];
  int64_t           deadline = fp_monotonic_ms() + SNIFF_WAIT_MS;
  const char       *name;

  if (!s->opts->language_auto)
    return;
  if (read_ppd(getenv("PPD"), &ppd))
    in.ppd = &ppd;
  if (s->conn && s->transport->device_id
      && s->transport->device_id(s->conn, device_id, sizeof(device_id)) == FP_OK)
    in.device_id = device_id;
  do
  {
    in.data = s->buf + s->buf_off;
    in.data_len = s->buf_len - s->buf_off;
    name = fp_detect_language(&in, &d, trail, sizeof(trail));
  } while (!strcmp(name, FP_LANGUAGE_UNKNOWN) && read_more(s, deadline));
  fp_log("DEBUG", "flushprinter: language=auto: %s", trail);
  use_language(s, name, &d);
}

/* Track nothing for a job that clearly is a document, not printer commands. */
void fp_detect_foreign_job(fp_session_t *s)
{
  const char *format;

  if (!s->tracker.language || s->tracker.language == &fp_language_none
      || !(format = fp_detect_foreign_format(s->buf + s->buf_off, s->buf_len - s->buf_off)))
    return;
  fp_log("WARNING", "The job is %s, not %s printer commands: following no command in it; "
         "a cancel sends only the reset", format, s->tracker.language->name);
  fp_tracker_init(&s->tracker, &fp_language_none);
}

/*
 * Device URI parsing: the prefix, the scheme and the options every
 * transport shares; the scheme's transport (transport.h) parses the
 * address and its own options.  Strict: an unknown option or a malformed
 * value is an error naming it, so a typo in lpadmin never silently changes
 * behaviour.
 */

#include "options.h"
#include "live-status.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "band.h"
#include "common.h"
#include "flushprinter.h"
#include "reset.h"
#include "text.h"
#include "transport.h"

/* A whole-number option (milliseconds, counts, bytes): its name, where it goes, its range. */
typedef struct ms_option_s
{
  const char *name;
  size_t      offset;
  int         min, max;
} ms_option_t;

static const ms_option_t ms_options[] = {
  { "idle", offsetof(fp_options_t, idle_ms), 0, FP_WAIT_LIMIT_MS },
  { "grace", offsetof(fp_options_t, grace_ms), 0, 60000 },
  { "timeout", offsetof(fp_options_t, timeout_ms), 100, FP_WAIT_LIMIT_MS },
  { "contimeout", offsetof(fp_options_t, contimeout_ms), 0, 7 * 24 * 3600 * 1000 },
  { "retries", offsetof(fp_options_t, retries), 0, 100 },
  { "maxflush", offsetof(fp_options_t, max_flush), 0, FP_MAX_FLUSH_LIMIT },
  { "band", offsetof(fp_options_t, band_rows), 0, FP_BAND_MAX_ROWS },
};

/* The most completion bytes one flush may send. */
uint64_t fp_options_flush_ceiling(const fp_options_t *o, const fp_language_t *language)
{
  if (o->max_flush >= 0)
    return (uint64_t)o->max_flush;
  /*
   * ESC/POS raster prints as it arrives: 512 KiB is at most 91 cm of 80 mm
   * paper (72 bytes a dot row, 8 rows a mm), more than the tallest receipt
   * image; a printer left owing a refused debt would swallow the next job.
   */
  if (language == &fp_language_escpos)
    return FP_MAX_FLUSH_PRINTING;
  return FP_MAX_FLUSH_STORED;
}

/* Parse a whole decimal number within [min, max]. */
int fp_options_number(const char *text, int min, int max, int *value)
{
  char *end;
  long  v;

  if (!*text || !isdigit((unsigned char)*text))
    return FP_ERROR_SYNTAX;
  errno = 0;
  v = strtol(text, &end, 10);
  if (errno || *end || v < min || v > max)
    return FP_ERROR_SYNTAX;
  *value = (int)v;
  return FP_OK;
}

/* Apply an option none of the shared ones: the transport's own, or unknown. */
static int apply_transport_option(fp_options_t *o, const char *name, const char *value,
                                  char *message, size_t size)
{
  const fp_transport_t *t = o->transport;
  int                   status = t->option ? t->option(o->address, name, value, message, size)
                                           : FP_ERROR_NOT_SUPPORTED;

  if (status == FP_ERROR_NOT_SUPPORTED)
  {
    snprintf(message, size, "unknown option '%s' in the device URI", name);
    return FP_ERROR_SYNTAX;
  }
  return status;
}

/* status=, confirm=, verify=: off|auto|on into `*mode`. */
static int mode_option(int *mode, const char *name, const char *value, char *message,
                       size_t size)
{
  static const char *const modes[] = { [FP_STATUS_MODE_OFF] = "off",
                                       [FP_STATUS_MODE_AUTO] = "auto",
                                       [FP_STATUS_MODE_ON] = "on" };

  for (int m = 0; m < 3; m++)
    if (!strcasecmp(value, modes[m]))
    {
      *mode = m;
      return FP_OK;
    }
  snprintf(message, size, "option '%s' needs off, auto or on, not '%s'", name, value);
  return FP_ERROR_SYNTAX;
}

/* Apply one decoded name=value option. */
static int apply_option(fp_options_t *o, const char *name, const char *value, char *message,
                        size_t size)
{
  for (size_t i = 0; i < sizeof(ms_options) / sizeof(ms_options[0]); i++)
  {
    const ms_option_t *m = ms_options + i;

    if (strcmp(name, m->name))
      continue;
    if (fp_options_number(value, m->min, m->max, (int *)((char *)o + m->offset)))
    {
      snprintf(message, size, "option '%s' needs a whole number from %d to %d, not '%s'", name,
               m->min, m->max, value);
      return FP_ERROR_SYNTAX;
    }
    return FP_OK;
  }

  if (!strcmp(name, "reset"))
  {
    char     why[200];
    uint8_t *bytes;
    size_t   len;

    if (strlen(value) >= sizeof(o->reset_spec))
    {
      snprintf(message, size, "option 'reset' is longer than %zu characters",
               sizeof(o->reset_spec) - 1);
      return FP_ERROR_SYNTAX;
    }
    if (fp_reset_parse(value, &bytes, &len, why, sizeof(why)))
    {
      snprintf(message, size, "option 'reset=%s': %s", value, why);
      return FP_ERROR_SYNTAX;
    }
    free(o->reset);
    o->reset = bytes;
    o->reset_len = len;
    o->reset_set = true;
    snprintf(o->reset_spec, sizeof(o->reset_spec), "%s", value);
    return FP_OK;
  }
  if (!strcmp(name, "language"))
  {
    o->language_auto = !strcasecmp(value, "auto");
    if (!o->language_auto && !(o->language = fp_language_find(value)))
    {
      snprintf(message, size, "option 'language': unknown printer language '%s'", value);
      return FP_ERROR_SYNTAX;
    }
    return FP_OK;
  }
  if (!strcmp(name, "status"))
    return mode_option(&o->status_mode, name, value, message, size);
  if (!strcmp(name, "confirm"))
    return mode_option(&o->confirm_mode, name, value, message, size);
  if (!strcmp(name, "verify"))
    return mode_option(&o->verify_mode, name, value, message, size);
  if (!strcmp(name, "softreset"))
  {
    if (!strcasecmp(value, "yes") || !strcmp(value, "1") || !strcasecmp(value, "true"))
      o->soft_reset = 1;
    else if (!strcasecmp(value, "no") || !strcmp(value, "0") || !strcasecmp(value, "false"))
      o->soft_reset = 0;
    else
    {
      snprintf(message, size, "option 'softreset' needs yes or no, not '%s'", value);
      return FP_ERROR_SYNTAX;
    }
    return FP_OK;
  }
  return apply_transport_option(o, name, value, message, size);
}

/* Parse "a=b&c=d" (percent-encoded) into options. */
static int parse_query(fp_options_t *o, const char *query, char *message, size_t size)
{
  const char *p = query;

  while (*p)
  {
    const char *end = p + strcspn(p, "&");
    const char *eq = memchr(p, '=', (size_t)(end - p));
    char        name[64], value[1024];

    if (end == p)
    {
      p++;
      continue;
    }
    if (!eq || fp_percent_decode(p, (size_t)(eq - p), name, sizeof(name))
        || fp_percent_decode(eq + 1, (size_t)(end - eq - 1), value, sizeof(value)))
    {
      snprintf(message, size, "malformed option '%.*s' in the device URI (expected name=value)",
               (int)(end - p), p);
      return FP_ERROR_SYNTAX;
    }
    if (apply_option(o, name, value, message, size))
      return FP_ERROR_SYNTAX;
    p = *end ? end + 1 : end;
  }
  return FP_OK;
}

/* The device's name in the state store: formatted, case-folded when asked, hashed when long. */
void fp_options_device_key(char key[FP_DEVICE_KEY_MAX], bool fold_case, const char *format, ...)
{
  char    name[2048];
  va_list ap;

  va_start(ap, format);
  vsnprintf(name, sizeof(name), format, ap); /* every part is bounded well below this */
  va_end(ap);
  for (char *k = name; fold_case && *k; k++)
    *k = (char)tolower((unsigned char)*k);
  fp_device_key(name, key);
}

/* "socket, file or usb": the schemes of the registry, for a message. */
static void scheme_names(char *out, size_t size)
{
  const fp_transport_t *const *t = fp_transport_list();
  size_t                      len = 0;

  out[0] = '\0';
  for (int i = 0; t[i] && len < size; i++)
    len += (size_t)snprintf(out + len, size - len, "%s%s", i == 0 ? "" : t[i + 1] ? ", " : " or ",
                            t[i]->name);
}

/* Set the defaults that apply before any option. */
static void set_defaults(fp_options_t *o)
{
  memset(o, 0, sizeof(*o));
  o->idle_ms = 1000;
  o->grace_ms = 500;
  o->timeout_ms = 10000;
  o->contimeout_ms = 300000;
  o->retries = 3;
  o->soft_reset = 0;
  o->max_flush = -1;
  o->status_mode = FP_STATUS_MODE_AUTO;
  o->confirm_mode = FP_STATUS_MODE_AUTO;
  o->verify_mode = FP_STATUS_MODE_AUTO;
  o->band_rows = FP_BAND_DEFAULT_ROWS;
  snprintf(o->reset_spec, sizeof(o->reset_spec), "none");
}

/* Find the transport of `uri`'s scheme; FP_ERROR_SYNTAX when there is none. */
static int find_transport(fp_options_t *o, const char *uri, const char *colon, char *message,
                          size_t size)
{
  char scheme[16], names[128];

  snprintf(scheme, sizeof(scheme), "%.*s", (int)(colon - uri - FP_URI_PREFIX_LEN),
           uri + FP_URI_PREFIX_LEN);
  for (char *s = scheme; *s; s++)
    *s = (char)tolower((unsigned char)*s);
  if ((o->transport = fp_transport_find(scheme)))
    return FP_OK;
  scheme_names(names, sizeof(names));
  snprintf(message, size, "unknown scheme '%s%s' (use %s)", FP_URI_PREFIX, scheme, names);
  return FP_ERROR_SYNTAX;
}

/* Parse a device URI. */
int fp_options_parse(const char *uri, fp_options_t *o, char *message, size_t size)
{
  const char *colon, *address, *query;

  set_defaults(o);
  if (!uri || strncasecmp(uri, FP_URI_PREFIX, FP_URI_PREFIX_LEN) || !(colon = strchr(uri, ':')))
  {
    snprintf(message, size, "device URI '%s' does not start with %sSCHEME:", uri ? uri : "",
             FP_URI_PREFIX);
    return FP_ERROR_SYNTAX;
  }
  if (find_transport(o, uri, colon, message, size))
    return FP_ERROR_SYNTAX;
  if (!(o->address = calloc(1, o->transport->address_size)))
  {
    snprintf(message, size, "out of memory");
    return FP_ERROR_NO_MEMORY;
  }
  address = colon + 1;
  query = strchr(address, '?');
  if (o->transport->parse(o->address, address,
                          query ? (size_t)(query - address) : strlen(address), message, size)
      || (query && parse_query(o, query + 1, message, size)))
  {
    fp_options_free(o);
    return FP_ERROR_SYNTAX;
  }
  o->transport->device_key(o->address, o->device_key);

  /* Without language=, track the language of the reset presets; else detect it. */
  if (!o->language_auto && !o->language)
    o->language = fp_language_find(fp_reset_language(o->reset_spec));
  if (o->language_auto || !o->language)
  {
    o->language_auto = true;
    o->language = &fp_language_none; /* until backend/detect.c resolves it */
  }
  return FP_OK;
}

/* Release what fp_options_parse() allocated. */
void fp_options_free(fp_options_t *o)
{
  free(o->reset);
  o->reset = NULL;
  o->reset_len = 0;
  free(o->address);
  o->address = NULL;
}

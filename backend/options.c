/*
 * Device URI parsing.  Strict: an unknown option or a malformed value is an
 * error naming it, so a typo in lpadmin never silently changes behaviour.
 */

#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flushprinter.h"
#include "reset.h"
#include "text.h"

#define SCHEME_PREFIX "flushprinter+"

/* A whole-number option (milliseconds, counts, bytes): its name, where it goes, its range. */
typedef struct ms_option_s
{
  const char *name;
  size_t      offset;
  int         min, max;
} ms_option_t;

static const ms_option_t ms_options[] = {
  { "idle", offsetof(fp_options_t, idle_ms), 0, 3600000 },
  { "grace", offsetof(fp_options_t, grace_ms), 0, 60000 },
  { "timeout", offsetof(fp_options_t, timeout_ms), 100, 3600000 },
  { "contimeout", offsetof(fp_options_t, contimeout_ms), 0, 7 * 24 * 3600 * 1000 },
  { "retries", offsetof(fp_options_t, retries), 0, 100 },
  { "maxflush", offsetof(fp_options_t, max_flush), 0, FP_MAX_FLUSH_LIMIT },
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
static int parse_number(const char *text, int min, int max, int *value)
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

/* Apply one decoded name=value option. */
static int apply_option(fp_options_t *o, const char *name, const char *value, char *message,
                        size_t size)
{
  for (size_t i = 0; i < sizeof(ms_options) / sizeof(ms_options[0]); i++)
  {
    const ms_option_t *m = ms_options + i;

    if (strcmp(name, m->name))
      continue;
    if (parse_number(value, m->min, m->max, (int *)((char *)o + m->offset)))
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
  if (!strcmp(name, "serial") && !strcmp(o->scheme, "usb"))
  {
    if (strlen(value) >= sizeof(o->usb_serial))
    {
      snprintf(message, size, "option 'serial' is too long");
      return FP_ERROR_SYNTAX;
    }
    snprintf(o->usb_serial, sizeof(o->usb_serial), "%s", value);
    return FP_OK;
  }
  snprintf(message, size, "unknown option '%s' in the device URI", name);
  return FP_ERROR_SYNTAX;
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

/*
 * Name the device in the state store: the formatted name (lowercased when
 * `fold_case`, before any hashing), hashed when too long (state.h).
 */
static void set_device_key(fp_options_t *o, bool fold_case, const char *format, ...)
  __attribute__((format(printf, 3, 4)));
static void set_device_key(fp_options_t *o, bool fold_case, const char *format, ...)
{
  char    name[2048];
  va_list ap;

  va_start(ap, format);
  vsnprintf(name, sizeof(name), format, ap); /* every part is bounded well below this */
  va_end(ap);
  for (char *k = name; fold_case && *k; k++)
    *k = (char)tolower((unsigned char)*k);
  fp_device_key(name, o->device_key);
}

/*
 * Whether a decoded host can name a printer: letters, digits, '-', '.' and
 * '_' (a name or an IPv4 address), or in brackets an IPv6 address (hex
 * digits, ':' and '.', with an optional "%zone").  Anything else ('/',
 * spaces, control bytes from %XX) would only fail to resolve, and waiting
 * for it to resolve would hold the job for the whole contimeout.
 */
static bool host_is_valid(const char *host, bool bracketed)
{
  const char *zone = bracketed ? strchr(host, '%') : NULL;

  for (const char *p = host; *p; p++)
  {
    unsigned char c = (unsigned char)*p;

    if (zone && p > zone)
    {
      if (!isalnum(c) && !strchr("-._~", c))
        return false;
    }
    else if (bracketed ? !(isxdigit(c) || c == ':' || c == '.' || p == zone)
                       : !(isalnum(c) || c == '-' || c == '.' || c == '_'))
      return false;
  }
  return *host && (!zone || zone[1]);
}

/* Parse "//HOST[:PORT][/]" of a socket URI; IPv6 literals in brackets. */
static int parse_socket(fp_options_t *o, const char *rest, size_t len, char *message, size_t size)
{
  const char *host, *host_end, *port = NULL, *tail;
  const char *end = rest + len;
  bool        bracketed;

  if (len < 3 || strncmp(rest, "//", 2))
    goto bad;
  host = rest + 2;
  if ((bracketed = *host == '['))
  {
    host++;
    if (!(host_end = memchr(host, ']', (size_t)(end - host))))
      goto bad;
    tail = host_end + 1;
    if (tail < end && *tail == ':')
      port = tail + 1;
  }
  else
  {
    host_end = host + strcspn(host, ":/");
    if (host_end > end)
      host_end = end;
    tail = host_end;
    if (host_end < end && *host_end == ':')
      port = host_end + 1;
  }
  if (host_end == host
      || fp_percent_decode(host, (size_t)(host_end - host), o->host, sizeof(o->host)))
    goto bad;
  o->port = 9100;
  if (port)
  {
    char digits[8];
    size_t n = strcspn(port, "/");

    if (port + n > end)
      n = (size_t)(end - port);
    if (n == 0 || n >= sizeof(digits))
      goto bad_port;
    memcpy(digits, port, n);
    digits[n] = '\0';
    if (parse_number(digits, 1, 65535, &o->port))
      goto bad_port;
    tail = port + n;
  }
  if (tail < end && !(tail + 1 == end && *tail == '/'))
  {
    snprintf(message, size, "unexpected path '%.*s' in device URI: expected "
             "flushprinter+socket://HOST[:PORT]/?OPTIONS", (int)(end - tail), tail);
    return FP_ERROR_SYNTAX;
  }
  if (!host_is_valid(o->host, bracketed))
  {
    snprintf(message, size, "bad host '%s' in device URI: expected a host name, an IPv4 "
             "address or an IPv6 address in brackets", o->host);
    return FP_ERROR_SYNTAX;
  }
  set_device_key(o, true, "socket://%s:%d", o->host, o->port);
  return FP_OK;

bad_port:
  snprintf(message, size, "bad port in device URI: expected 1 to 65535");
  return FP_ERROR_SYNTAX;
bad:
  snprintf(message, size, "bad host in device URI: expected flushprinter+socket://HOST[:PORT]/");
  return FP_ERROR_SYNTAX;
}

/* Parse "PATH" or "//PATH" of a file URI. */
static int parse_file(fp_options_t *o, const char *rest, size_t len, char *message, size_t size)
{
  if (len >= 2 && !strncmp(rest, "//", 2))
  {
    rest += 2;
    len -= 2;
  }
  if (len == 0 || *rest != '/' || fp_percent_decode(rest, len, o->path, sizeof(o->path)))
  {
    snprintf(message, size, "bad path in device URI: expected flushprinter+file:/ABSOLUTE/PATH");
    return FP_ERROR_SYNTAX;
  }
  set_device_key(o, false, "file:%s", o->path);
  return FP_OK;
}

/* Parse "//MAKE/MODEL" of a usb URI (the serial comes as an option). */
static int parse_usb(fp_options_t *o, const char *rest, size_t len, char *message, size_t size)
{
  const char *make = rest + 2, *slash;

  if (len < 4 || strncmp(rest, "//", 2) || !(slash = memchr(make, '/', len - 2))
      || fp_percent_decode(make, (size_t)(slash - make), o->usb_make, sizeof(o->usb_make))
      || fp_percent_decode(slash + 1, (size_t)(rest + len - slash - 1), o->usb_model,
                           sizeof(o->usb_model))
      || !o->usb_make[0] || !o->usb_model[0])
  {
    snprintf(message, size, "bad device in URI: expected flushprinter+usb://MAKE/MODEL?serial=SN");
    return FP_ERROR_SYNTAX;
  }
  return FP_OK;
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
  snprintf(o->reset_spec, sizeof(o->reset_spec), "none");
}

/* Parse a device URI. */
int fp_options_parse(const char *uri, fp_options_t *o, char *message, size_t size)
{
  const char *colon, *rest, *query;
  size_t      rest_len;
  int         status;

  set_defaults(o);
  if (!uri || strncasecmp(uri, SCHEME_PREFIX, strlen(SCHEME_PREFIX))
      || !(colon = strchr(uri, ':')))
  {
    snprintf(message, size, "device URI '%s' does not start with flushprinter+SCHEME:",
             uri ? uri : "");
    return FP_ERROR_SYNTAX;
  }
  snprintf(o->scheme, sizeof(o->scheme), "%.*s", (int)(colon - uri - strlen(SCHEME_PREFIX)),
           uri + strlen(SCHEME_PREFIX));
  for (char *s = o->scheme; *s; s++)
    *s = (char)tolower((unsigned char)*s);

  rest = colon + 1;
  query = strchr(rest, '?');
  rest_len = query ? (size_t)(query - rest) : strlen(rest);

  if (!strcmp(o->scheme, "socket"))
    status = parse_socket(o, rest, rest_len, message, size);
  else if (!strcmp(o->scheme, "file"))
    status = parse_file(o, rest, rest_len, message, size);
  else if (!strcmp(o->scheme, "usb"))
    status = parse_usb(o, rest, rest_len, message, size);
  else
  {
    snprintf(message, size, "unknown scheme 'flushprinter+%s' (use socket, file or usb)",
             o->scheme);
    return FP_ERROR_SYNTAX;
  }
  if (status || (query && parse_query(o, query + 1, message, size)))
  {
    fp_options_free(o);
    return FP_ERROR_SYNTAX;
  }

  if (!strcmp(o->scheme, "usb"))
    set_device_key(o, false, "usb://%s/%s?serial=%s", o->usb_make, o->usb_model, o->usb_serial);
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
}

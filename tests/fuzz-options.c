/*
 * fuzz-options: properties of the device URI parser (backend/options.c) on
 * any input, taken as a URI up to its first NUL byte.  See fuzz-main.h for
 * how it runs.
 *
 * The properties:
 *   1. a parse fails with FP_ERROR_SYNTAX, a NUL-terminated message and
 *      nothing left to free, or succeeds with every option within its
 *      documented range: a transport of the registry with its address, a
 *      reset buffer that its own spec parses to, a tracker, and a
 *      non-empty, NUL-terminated device key naming the scheme and showing
 *      the address (a port from 1 to 65535 after a host for socket, an
 *      absolute path for file, a serial= for usb);
 *   2. parsing again, with a message buffer too short for most messages,
 *      gives the same options, or the same message cut short;
 *   3. no crash, leak or sanitizer report (the fuzzer's part).
 */

#define FUZZ_NAME "options"

#include "../backend/options.h"
#include "../backend/transport.h"
#include "flushprinter.h"
#include "reset.h"
#include "fuzz-main.h"

#define MESSAGE_SIZE 512
#define SHORT_MESSAGE_SIZE 16

/* true when `s` ends within its `size`-byte buffer. */
static bool terminated(const char *s, size_t size)
{
  return memchr(s, '\0', size) != NULL;
}

/* Property 1 on a failed parse: a message, and nothing to free. */
static void check_failure(const fp_options_t *o, const char *message)
{
  if (!terminated(message, MESSAGE_SIZE) || !message[0])
    fuzz_fail("a failed parse gave no message");
  if (o->reset || o->reset_len)
    fuzz_fail("a failed parse left a reset buffer behind (%s)", message);
  if (o->address)
    fuzz_fail("a failed parse left an address behind (%s)", message);
}

/* A millisecond option's range check. */
static void check_range(const char *name, int value, int min, int max)
{
  if (value < min || value > max)
    fuzz_fail("%s=%d is outside %d..%d", name, value, min, max);
}

/* A socket key that is not hashed ends in ":PORT" after a host, PORT from 1 to 65535. */
static void check_socket_key(const char *key)
{
  const char *colon = strrchr(key, ':');
  char       *end;
  long        port;

  if (strchr(key, '#'))
    return; /* hashed: a host never holds '#' */
  port = strtol(colon + 1, &end, 10);
  if (colon <= key + strlen("socket://") || *end || port < 1 || port > 65535)
    fuzz_fail("the socket device key '%s' does not end in a host and a port", key);
  for (const char *k = key; *k; k++)
    if (*k >= 'A' && *k <= 'Z')
      fuzz_fail("the socket device key '%s' is not lower case", key);
}

/* The device key of a successful parse: bounded, terminated, naming the transport. */
static void check_key(const fp_options_t *o)
{
  const char *name = o->transport->name;
  char        prefix[32];

  if (!terminated(o->device_key, sizeof(o->device_key)) || !o->device_key[0])
    fuzz_fail("the device key is empty or not terminated");
  snprintf(prefix, sizeof(prefix), "%s:%s", name, !strcmp(name, "file") ? "/" : "//");
  if (strncmp(o->device_key, prefix, strlen(prefix)))
    fuzz_fail("the device key '%s' does not start with '%s'", o->device_key, prefix);
  if (!strcmp(name, "socket"))
    check_socket_key(o->device_key);
  if (!strcmp(name, "usb") && !strchr(o->device_key, '#') && !strstr(o->device_key, "?serial="))
    fuzz_fail("the usb device key '%s' has no serial=", o->device_key);
}

/* The reset of a successful parse: its own spec parses to the same bytes. */
static void check_reset(const fp_options_t *o)
{
  uint8_t *bytes;
  size_t   len;
  char     why[256];

  if (!terminated(o->reset_spec, sizeof(o->reset_spec)))
    fuzz_fail("reset_spec is not terminated");
  if (!o->reset_set)
  {
    if (o->reset || o->reset_len || strcmp(o->reset_spec, "none"))
      fuzz_fail("no reset= given, yet a reset buffer or spec '%s'", o->reset_spec);
    return;
  }
  if (o->reset_len && !o->reset)
    fuzz_fail("a reset of %zu bytes without a buffer", o->reset_len);
  if (fp_reset_parse(o->reset_spec, &bytes, &len, why, sizeof(why)) != FP_OK)
    fuzz_fail("reset spec '%s' was accepted, but does not parse again: %s", o->reset_spec, why);
  if (len != o->reset_len || (len && memcmp(bytes, o->reset, len)))
    fuzz_fail("reset spec '%s' parses to other bytes than the options hold", o->reset_spec);
  free(bytes);
}

/* Property 1 on a successful parse. */
static void check_success(const fp_options_t *o)
{
  if (!o->transport || fp_transport_find(o->transport->name) != o->transport || !o->address)
    fuzz_fail("a parse succeeded without a registered transport and its address");
  check_range("idle", o->idle_ms, 0, 3600000);
  check_range("grace", o->grace_ms, 0, 60000);
  check_range("timeout", o->timeout_ms, 100, 3600000);
  check_range("contimeout", o->contimeout_ms, 0, 7 * 24 * 3600 * 1000);
  check_range("retries", o->retries, 0, 100);
  check_range("softreset", o->soft_reset, 0, 1);
  if (!o->language || (o->language_auto && o->language != &fp_language_none))
    fuzz_fail("no tracker, or a tracker chosen before detection");
  check_reset(o);
  check_key(o);
}

/* Property 2: two successful parses of one URI hold the same options. */
static void check_same(const fp_options_t *a, const fp_options_t *b)
{
  if (a->transport != b->transport
      || memcmp(a->address, b->address, a->transport->address_size)
      || strcmp(a->reset_spec, b->reset_spec) || a->reset_len != b->reset_len
      || (a->reset_len && memcmp(a->reset, b->reset, a->reset_len))
      || a->reset_set != b->reset_set || a->language != b->language
      || a->language_auto != b->language_auto || a->idle_ms != b->idle_ms
      || a->grace_ms != b->grace_ms || a->timeout_ms != b->timeout_ms
      || a->contimeout_ms != b->contimeout_ms || a->retries != b->retries
      || a->soft_reset != b->soft_reset || strcmp(a->device_key, b->device_key))
    fuzz_fail("two parses of one URI differ");
}

/* Check every property on one input. */
static void check_input(const uint8_t *data, size_t size)
{
  char        *uri = fuzz_alloc(size + 1);
  char         message[MESSAGE_SIZE], short_message[SHORT_MESSAGE_SIZE];
  fp_options_t a, b;
  int          status, again;

  memcpy(uri, data, size);
  uri[size] = '\0';
  memset(message, 'x', sizeof(message));
  memset(short_message, 'x', sizeof(short_message));
  status = fp_options_parse(uri, &a, message, sizeof(message));
  again = fp_options_parse(uri, &b, short_message, sizeof(short_message));
  if (status != again)
    fuzz_fail("two parses of one URI end differently (%d, then %d)", status, again);
  if (status == FP_OK)
  {
    check_success(&a);
    check_same(&a, &b);
    fp_options_free(&a);
    fp_options_free(&b);
  }
  else if (status == FP_ERROR_SYNTAX)
  {
    check_failure(&a, message);
    if (!terminated(short_message, sizeof(short_message))
        || strncmp(message, short_message, sizeof(short_message) - 1))
      fuzz_fail("a short message buffer got another message than '%s'", message);
  }
  else
    fuzz_fail("the parse returned %d, neither FP_OK nor FP_ERROR_SYNTAX", status);
  free(uri);
}

/* Emit a document's URI. */
static void emit_uri(const char *uri)
{
  emit(uri, strlen(uri));
}

/* Generated seeds: every device URI the README, the man pages and the PPD show. */
static void generate_seeds(void)
{
  fuzz_document_tokens("flushprinter+", true, emit_uri);
}

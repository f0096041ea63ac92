/*
 * fuzz-reset: properties of the reset-specification parser (fp_reset_parse()
 * in lib/reset.c) on any input, taken as a specification up to its first
 * NUL byte.  See fuzz-main.h for how it runs.
 *
 * The properties:
 *   1. a parse fails with FP_ERROR_SYNTAX, a NUL-terminated message and no
 *      buffer, or succeeds with an empty message and a buffer no longer
 *      than the specification could spell: its own length for hex: and
 *      text, its parts times the longest preset for presets;
 *   2. it is deterministic: parsing again, with a message buffer too short
 *      for most messages, gives the same bytes, or the same message cut short;
 *   3. the bytes of a success, written back as hex: and as text: escapes,
 *      parse to the same bytes;
 *   4. fp_reset_language() names a tracker that exists, or none;
 *   5. no crash, leak or sanitizer report (the fuzzer's part).
 */

#define FUZZ_NAME "reset"

#include "../engine/language.h"
#include "flushprinter.h"
#include "reset.h"
#include "text.h"
#include "fuzz-main.h"

#include <strings.h>

#define MESSAGE_SIZE 256
#define SHORT_MESSAGE_SIZE 12

/* true when `s` ends within its `size`-byte buffer. */
static bool terminated(const char *s, size_t size)
{
  return memchr(s, '\0', size) != NULL;
}

/* The most bytes any spec of `spec_len` characters in `parts` '+'-joined parts may give. */
static size_t longest_result(const char *spec)
{
  size_t longest = 0, parts = 1, len = strlen(spec);

  for (const fp_preset_t *p = fp_preset_list(); p->name; p++)
    if (p->len > longest)
      longest = p->len;
  for (const char *s = spec; *s; s++)
    parts += *s == '+';
  return len > parts * longest ? len : parts * longest;
}

/* Property 1 on a success: the length bound, an empty message. */
static void check_success(const char *spec, const uint8_t *bytes, size_t len, const char *message)
{
  size_t spec_len = strlen(spec);

  if (!bytes)
    fuzz_fail("success without a buffer");
  if (message[0])
    fuzz_fail("success with a message: %s", message);
  if (!strncasecmp(spec, "hex:", 4) && len > (spec_len - 4) / 2)
    fuzz_fail("hex: spec of %zu characters gave %zu bytes", spec_len, len);
  if (!strncasecmp(spec, "text:", 5) && len > spec_len - 5)
    fuzz_fail("text: spec of %zu characters gave %zu bytes", spec_len, len);
  if (len > longest_result(spec))
    fuzz_fail("%zu bytes from a spec of %zu characters", len, spec_len);
}

/* Property 3: `bytes` written as hex: pairs, or as text: \xHH escapes, parse to themselves. */
static void check_rewritten(const uint8_t *bytes, size_t len, bool hex)
{
  char    *spec = fuzz_alloc(5 + 4 * len + 1);
  size_t   n = (size_t)sprintf(spec, "%s", hex ? "hex:" : "text:");
  uint8_t *again;
  size_t   again_len;
  char     why[MESSAGE_SIZE];

  for (size_t i = 0; i < len; i++)
  {
    if (hex)
      n += (size_t)sprintf(spec + n, "%02x", bytes[i]);
    else
      n += (size_t)sprintf(spec + n, "\\x%02X", bytes[i]);
  }
  if (fp_reset_parse(spec, &again, &again_len, why, sizeof(why)) != FP_OK)
    fuzz_fail("the result written as '%.40s...' does not parse: %s", spec, why);
  if (again_len != len || memcmp(again, bytes, len))
    fuzz_fail("the result written as '%.40s...' parses to other bytes", spec);
  free(again);
  free(spec);
}

/* Property 4: the tracker language of a spec exists. */
static void check_language(const char *spec)
{
  const char *language = fp_reset_language(spec);

  if (language && !fp_language_find(language))
    fuzz_fail("fp_reset_language() names '%s', which is no tracker", language);
}

/* Check every property on one input. */
static void check_input(const uint8_t *data, size_t size)
{
  char    *spec = fuzz_alloc(size + 1);
  char     message[MESSAGE_SIZE], short_message[SHORT_MESSAGE_SIZE];
  uint8_t *bytes = (uint8_t *)"", *again = (uint8_t *)"";
  size_t   len = 1, again_len = 1;
  int      status, status_again;

  memcpy(spec, data, size);
  spec[size] = '\0';
  memset(message, 'x', sizeof(message));
  memset(short_message, 'x', sizeof(short_message));
  status = fp_reset_parse(spec, &bytes, &len, message, sizeof(message));
  status_again = fp_reset_parse(spec, &again, &again_len, short_message, sizeof(short_message));
  if (!terminated(message, sizeof(message)) || !terminated(short_message, sizeof(short_message)))
    fuzz_fail("a message is not terminated");
  if (status != status_again || strncmp(message, short_message, sizeof(short_message) - 1))
    fuzz_fail("two parses of one spec end differently (%d, then %d)", status, status_again);
  if (status == FP_OK)
  {
    check_success(spec, bytes, len, message);
    if (again_len != len || memcmp(again, bytes, len))
      fuzz_fail("two parses of one spec give different bytes");
    if (len)
    {
      check_rewritten(bytes, len, true);
      check_rewritten(bytes, len, false);
    }
    free(bytes);
    free(again);
  }
  else if (status == FP_ERROR_SYNTAX)
  {
    if (bytes || len || again || again_len)
      fuzz_fail("a failed parse left a buffer or a length behind");
    if (!message[0])
      fuzz_fail("a failed parse gave no message");
  }
  else
    fuzz_fail("the parse returned %d, neither FP_OK nor FP_ERROR_SYNTAX", status);
  check_language(spec);
  free(spec);
}

/* Emit a spec up to any '&' (the URI's next option), and its percent-decoded form. */
static void emit_spec(const char *spec)
{
  size_t len = strcspn(spec, "&");
  char   decoded[1024];

  emit(spec, len);
  if (memchr(spec, '%', len) && fp_percent_decode(spec, len, decoded, sizeof(decoded)) == FP_OK)
    emit(decoded, strlen(decoded));
}

/* Generated seeds: the presets alone and in pairs, and the specs the documents show. */
static void generate_seeds(void)
{
  const fp_preset_t *presets = fp_preset_list();
  char               spec[64];

  for (const fp_preset_t *a = presets; a->name; a++)
  {
    emit_spec(a->name);
    for (const fp_preset_t *b = presets; b->name; b++)
    {
      snprintf(spec, sizeof(spec), "%s+%s", a->name, b->name);
      emit_spec(spec);
    }
  }
  fuzz_document_tokens("reset=", false, emit_spec);
  fuzz_document_tokens("hex:", true, emit_spec);
  fuzz_document_tokens("text:", true, emit_spec);
}

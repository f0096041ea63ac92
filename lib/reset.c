/*
 * Reset specifications: the preset table of reset.h and fp_reset_parse(),
 * which turns "escpos", "pjl+pcl", "hex:1b 40" or C-style text
 * ("text:\e@") into the bytes a flush sends after completing a half-sent
 * command.  The grammar is strict: presets joined by '+', or a "hex:" or
 * "text:" prefix; anything else is an error naming the offending part.
 */

#include "flushprinter.h"
#include "reset.h"
#include "text.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ESC 0x1b

/* Ten and a hundred ESC bytes, for the Dymo escape flush. */
#define ESC_X10 ESC, ESC, ESC, ESC, ESC, ESC, ESC, ESC, ESC, ESC
#define ESC_X100 ESC_X10, ESC_X10, ESC_X10, ESC_X10, ESC_X10, ESC_X10, ESC_X10, ESC_X10, \
                 ESC_X10, ESC_X10

static const uint8_t reset_escpos[] = { ESC, '@' };
static const uint8_t reset_pcl[] = { ESC, 'E' };
static const uint8_t reset_pjl[] = { ESC, '%', '-', '1', '2', '3', '4', '5', 'X' };
static const uint8_t reset_zpl[] = { '~', 'D', 'N', '^', 'X', 'Z' };
static const uint8_t reset_dymo[] = { ESC_X100, ESC, '@' };
static const uint8_t reset_epl[] = { '\r', '\n', 'N', '\r', '\n' };
/* What Epson's ESC/P-R driver sends after its end-job record: ESC @, then in remote
   mode JE (job end), then ESC NUL NUL NUL (engine/language-escpr.c says why). */
static const uint8_t reset_escpr[] = { ESC, '@', ESC, '(', 'R', 8, 0, 0, 'R', 'E', 'M', 'O', 'T',
                                       'E', '1', 'J', 'E', 1, 0, 0, ESC, 0, 0, 0 };
static const uint8_t reset_none[1] = { 0 };

#define PRESET(name, language, description, bytes, len) { name, language, description, bytes, len }
#define PRESET_OF(name, language, description, array) \
  PRESET(name, language, description, array, sizeof(array))

static const fp_preset_t presets[] = {
  PRESET_OF("escpos", "escpos", "ESC/POS receipt printers: ESC @ (initialize)", reset_escpos),
  PRESET_OF("pcl", "pcl", "PCL 5/3: ESC E (printer reset)", reset_pcl),
  PRESET_OF("pjl", NULL, "PJL: ESC %-12345X (Universal Exit Language)", reset_pjl),
  PRESET_OF("zpl", "zpl", "ZPL: ~DN (abort download) then ^XZ (end format)", reset_zpl),
  PRESET_OF("escp", "escp", "ESC/P: ESC @ (initialize)", reset_escpos),
  PRESET_OF("dymo", "dymo", "Dymo LabelWriter: 100 x ESC then ESC @", reset_dymo),
  PRESET_OF("epl", "epl", "EPL2: CR LF N CR LF (clear the image buffer)", reset_epl),
  PRESET_OF("escpr", "escpr", "ESC/P-R: ESC @, then remote-mode JE (end job)", reset_escpr),
  PRESET("none", NULL, "send nothing", reset_none, 0),
  PRESET(NULL, NULL, NULL, NULL, 0),
};

/* The preset called `name` (case-insensitive), or NULL. */
const fp_preset_t *fp_preset_find(const char *name)
{
  if (!name)
    return NULL;
  for (const fp_preset_t *p = presets; p->name; p++)
    if (!strcasecmp(p->name, name))
      return p;
  return NULL;
}

/* All presets, terminated by an entry whose name is NULL. */
const fp_preset_t *fp_preset_list(void)
{
  return presets;
}

/* Where a parse writes its bytes and its error sentence. */
typedef struct parser_s
{
  const char *spec;
  uint8_t    *out;
  size_t      len;
  char       *message;
  size_t      message_size;
} parser_t;

/* Format a syntax error into the caller's message buffer; returns FP_ERROR_SYNTAX. */
static int fail(parser_t *p, const char *format, ...) __attribute__((format(printf, 2, 3)));
static int fail(parser_t *p, const char *format, ...)
{
  if (p->message && p->message_size)
  {
    va_list ap;

    va_start(ap, format);
    vsnprintf(p->message, p->message_size, format, ap);
    va_end(ap);
  }
  return FP_ERROR_SYNTAX;
}

/* Describe byte `c` for a message: 'x' when printable, else 0xNN. */
static const char *show_byte(unsigned char c, char buf[8])
{
  if (c >= 0x20 && c < 0x7f)
    snprintf(buf, 8, "'%c'", c);
  else
    snprintf(buf, 8, "0x%02x", c);
  return buf;
}

/* Length of the '+'-separated part starting at `s`, and its bounds without spaces. */
static size_t next_part(const char *s, const char **start, size_t *len)
{
  size_t n = strcspn(s, "+");
  size_t b = 0;
  size_t e = n;

  while (b < e && s[b] == ' ')
    b++;
  while (e > b && s[e - 1] == ' ')
    e--;
  *start = s + b;
  *len = e - b;
  return n;
}

/* The preset whose name is exactly `len` bytes at `name` (case-insensitive), or NULL. */
static const fp_preset_t *find_part(const char *name, size_t len)
{
  for (const fp_preset_t *p = presets; p->name; p++)
    if (strlen(p->name) == len && !strncasecmp(p->name, name, len))
      return p;
  return NULL;
}

/* The preset names joined by ", ", for messages. */
static const char *preset_names(void)
{
  static char names[128];

  if (!names[0])
    for (const fp_preset_t *p = presets; p->name; p++)
      snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
               names[0] ? ", " : "", p->name);
  return names;
}

/*
 * Check a spec without a prefix as presets joined by '+' (spaces around a
 * name allowed) and add up their bytes; FP_ERROR_SYNTAX naming the first
 * part that is no preset.  Nothing else is accepted without "hex:" or
 * "text:", so a typo can never be sent as letters.
 */
static int check_presets(parser_t *p, size_t *total)
{
  const char *s = p->spec;

  *total = 0;
  for (;;)
  {
    const char        *name;
    size_t             len;
    size_t             step = next_part(s, &name, &len);
    const fp_preset_t *preset = find_part(name, len);

    if (!len)
      return fail(p, "missing preset name at offset %zu (presets are joined by one '+')",
                  (size_t)(name - p->spec));
    for (size_t i = 0; !preset && i < len; i++)
    {
      char shown[8];

      if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] >= 0x7f)
        return fail(p, "%s at offset %zu is no preset name (write bytes as text:\\xHH or hex:HH)",
                    show_byte((unsigned char)name[i], shown), (size_t)(name + i - p->spec));
    }
    if (!preset)
      return fail(p, "unknown preset '%.*s' at offset %zu (presets: %s; write literal text as "
                  "text:%.*s)", (int)len, name, (size_t)(name - p->spec), preset_names(),
                  (int)len, name);
    *total += preset->len;
    if (!s[step])
      return 1;
    s += step + 1;
  }
}

/* Append the bytes of every preset named in the '+'-joined spec (checked by check_presets()). */
static void copy_presets(parser_t *p)
{
  const char *s = p->spec;

  for (;;)
  {
    const char        *name;
    size_t             len;
    size_t             step = next_part(s, &name, &len);
    const fp_preset_t *preset = find_part(name, len);

    memcpy(p->out + p->len, preset->bytes, preset->len);
    p->len += preset->len;
    if (!s[step])
      break;
    s += step + 1;
  }
}

/* Parse "hex:" byte pairs starting at offset `i`; white space may separate pairs. */
static int parse_hex(parser_t *p, size_t i)
{
  const char *s = p->spec;

  for (; s[i]; i++)
  {
    char name[8];
    int  hi, lo;

    if (strchr(" \t\r\n", s[i]))
      continue;
    if ((hi = fp_hex_value((unsigned char)s[i])) < 0)
      return fail(p, "%s at offset %zu is not a hex digit", show_byte((unsigned char)s[i], name),
                  i);
    if (!s[i + 1] || strchr(" \t\r\n", s[i + 1]))
      return fail(p, "odd number of hex digits: %s at offset %zu has no second digit",
                  show_byte((unsigned char)s[i], name), i);
    if ((lo = fp_hex_value((unsigned char)s[i + 1])) < 0)
      return fail(p, "%s at offset %zu is not a hex digit",
                  show_byte((unsigned char)s[i + 1], name), i + 1);
    p->out[p->len++] = (uint8_t)(hi << 4 | lo);
    i++;
  }
  return FP_OK;
}

/* One-letter escapes and the bytes they stand for. */
static const struct
{
  char    letter;
  uint8_t value;
} simple_escapes[] = {
  { 'e', 0x1b }, { 'n', '\n' }, { 'r', '\r' }, { 't', '\t' }, { 'a', '\a' },
  { 'b', '\b' }, { 'f', '\f' }, { 'v', '\v' }, { '\\', '\\' },
};

/* Decode the escape whose backslash is at offset `i`; returns its length or FP_ERROR_SYNTAX. */
static int parse_escape(parser_t *p, size_t i)
{
  const char *s = p->spec + i;
  char        name[8];
  unsigned    value = 0;
  size_t      n;

  if (!s[1])
    return fail(p, "incomplete escape '\\' at offset %zu ends the specification", i);
  for (size_t k = 0; k < sizeof(simple_escapes) / sizeof(simple_escapes[0]); k++)
    if (s[1] == simple_escapes[k].letter)
    {
      p->out[p->len++] = simple_escapes[k].value;
      return 2;
    }
  if (s[1] == 'x')
  {
    for (n = 2; n < 4 && fp_hex_value((unsigned char)s[n]) >= 0; n++)
      value = value << 4 | (unsigned)fp_hex_value((unsigned char)s[n]);
    if (n == 2)
      return fail(p, "invalid escape '\\x' at offset %zu: %s is not a hex digit", i,
                  s[2] ? show_byte((unsigned char)s[2], name) : "the end");
    p->out[p->len++] = (uint8_t)value;
    return (int)n;
  }
  if (s[1] >= '0' && s[1] <= '7')
  {
    for (n = 1; n < 4 && s[n] >= '0' && s[n] <= '7'; n++)
      value = value << 3 | (unsigned)(s[n] - '0');
    if (value > 0xff)
      return fail(p, "octal escape '\\%.3s' at offset %zu is larger than 255", s + 1, i);
    p->out[p->len++] = (uint8_t)value;
    return (int)n;
  }
  if ((unsigned char)s[1] >= 0x20 && (unsigned char)s[1] < 0x7f)
    return fail(p, "invalid escape '\\%c' at offset %zu", s[1], i);
  return fail(p, "invalid escape: '\\' followed by %s at offset %zu",
              show_byte((unsigned char)s[1], name), i);
}

/* Parse C-style text from offset `i`: printable ASCII as is, backslash escapes decoded. */
static int parse_text(parser_t *p, size_t i)
{
  const char *s = p->spec;

  while (s[i])
  {
    unsigned char c = (unsigned char)s[i];
    char          name[8];
    int           n;

    if (c == '\\')
    {
      if ((n = parse_escape(p, i)) < 0)
        return n;
      i += (size_t)n;
      continue;
    }
    if (c >= 0x80)
      return fail(p, "non-ASCII byte %s at offset %zu (write it as \\xHH)", show_byte(c, name),
                  i);
    if (c < 0x20 || c == 0x7f)
      return fail(p, "non-printable byte %s at offset %zu (write it as an escape)",
                  show_byte(c, name), i);
    p->out[p->len++] = c;
    i++;
  }
  return FP_OK;
}

/* Parse a reset specification into a malloc'ed byte buffer (see flushprinter.h). */
int fp_reset_parse(const char *spec, uint8_t **bytes, size_t *len, char *message,
                   size_t message_size)
{
  parser_t p = { spec, NULL, 0, message, message_size };
  size_t   preset_total = 0;
  bool     hex = spec && !strncasecmp(spec, "hex:", 4);
  bool     text = spec && !strncasecmp(spec, "text:", 5);
  size_t   size;
  int      status;

  if (message && message_size)
    message[0] = '\0';
  if (!spec || !bytes || !len)
  {
    if (message && message_size)
      snprintf(message, message_size, "no reset specification or result buffer");
    return FP_ERROR_INVALID_ARGUMENT;
  }
  *bytes = NULL;
  *len = 0;
  if (!*spec)
    return fail(&p, "empty reset specification (use 'none' to send nothing)");

  if (!hex && !text && (status = check_presets(&p, &preset_total)) < 0)
    return status;
  size = hex || text ? strlen(spec) : preset_total;
  if (!(p.out = malloc(size ? size : 1)))
    return FP_ERROR_NO_MEMORY;

  if (hex)
  {
    status = parse_hex(&p, 4);
    if (status == FP_OK && !p.len)
      status = fail(&p, "no bytes after 'hex:' at offset 4 (use 'none' to send nothing)");
  }
  else if (text)
    status = parse_text(&p, 5); /* "text:" alone: no bytes */
  else
  {
    copy_presets(&p);
    status = FP_OK;
  }

  if (status != FP_OK)
  {
    free(p.out);
    return status;
  }
  *bytes = p.out;
  *len = p.len;
  return FP_OK;
}

/* The tracker language of the first preset in `spec` that has one, or NULL. */
const char *fp_reset_language(const char *spec)
{
  if (!spec || !strncasecmp(spec, "hex:", 4) || !strncasecmp(spec, "text:", 5))
    return NULL;
  for (const char *s = spec;;)
  {
    const char        *name;
    size_t             len;
    size_t             step = next_part(s, &name, &len);
    const fp_preset_t *preset = find_part(name, len);

    if (preset && preset->language)
      return preset->language;
    if (!s[step])
      return NULL;
    s += step + 1;
  }
}

/*
 * Printer-language detection (language-detect.h): MIME types, PPD keywords
 * and drivers, IEEE 1284 device IDs and the first bytes of a job, each mapped
 * to a language name with a reason, and the precedence among them.
 */

#include "language-detect.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "device-id.h"
#include "reset.h"

#define ESC 0x1b
#define GS  0x1d
#define FS  0x1c
#define DLE 0x10
#define SYN 0x16

#define DYMO_SYNC_MIN 16 /* leading ESC bytes that only a DYMO job starts with (CUPS sends 100) */
#define FLUSHPRINTER_TYPE "application/vnd.flushprinter-"

static const char *const names[] = { "escpos", "pcl", "escp", "zpl", "epl", "dymo", "escpr",
                                      NULL };

/* A MIME type a driver or printer uses; `language` NULL: says why in `note`. */
typedef struct mime_map_s
{
  const char *type;
  const char *language;
  const char *note;
} mime_map_t;

static const mime_map_t mime_map[] = {
  { "application/vnd.hp-pcl", "pcl", NULL },
  { "application/vnd.zebra-zpl", "zpl", NULL },
  { "application/vnd.zebra-epl", "epl", NULL },
  { "application/vnd.zebra-epl2", "epl", NULL },
  { "application/vnd.eltron-epl", "epl", NULL },
  { "application/vnd.dymo-lw", "dymo", NULL },
  { "application/vnd.hp-pclxl", NULL, "PCL XL, which has no tracker" },
  { "application/vnd.zebra-epl1", NULL, "EPL line mode, which has no tracker" },
  { "application/vnd.zebra-cpcl", NULL, "CPCL, which has no tracker" },
  { "application/vnd.cups-raw", NULL, "raw data, in any language" },
  { "application/octet-stream", NULL, "raw data, in any language" },
  { "application/vnd.cups-raster", NULL, "what the driver reads, not what the printer gets" },
};

/* A driver filter whose output is one language, by program name. */
typedef struct program_map_s
{
  const char *program;
  const char *language;
} program_map_t;

static const program_map_t program_map[] = {
  { "rastertoepson", "escp" }, /* CUPS: Epson dot-matrix and Stylus */
  { "rastertohp", "pcl" },     /* CUPS: HP LaserJet and DeskJet */
  { "rastertozj", "escpos" },  /* zj-58: POS-58/80 receipt printers */
  { "epson-escpr-wrapper", "escpr" }, /* Epson Inkjet Printer Driver (ESC/P-R) */
  { "epson-escpr", "escpr" },
};

/* CUPS rastertolabel's *cupsModelNumber values (ppdc/label.h). */
typedef struct label_model_s
{
  int         model;
  const char *language;
  const char *what;
} label_model_t;

static const label_model_t label_models[] = {
  { 0x00, "dymo", "DYMO LabelWriter" },
  { 0x10, NULL, "Zebra EPL line mode, which has no tracker" },
  { 0x11, "epl", "Zebra EPL page mode" },
  { 0x12, "zpl", "Zebra ZPL" },
  { 0x13, NULL, "Zebra CPCL, which has no tracker" },
  { 0x20, "pcl", "Intellitech PCL" },
};

/* IEEE 1284 CMD: entries, compared without punctuation or case ("ESC/POS" is ESCPOS). */
typedef struct command_set_s
{
  const char *entry;
  const char *language;
} command_set_t;

static const command_set_t command_sets[] = {
  { "ESCPOS", "escpos" }, { "PCL", "pcl" },     { "PCL3", "pcl" },    { "PCL3GUI", "pcl" },
  { "PCL5", "pcl" },      { "PCL5E", "pcl" },   { "PCL5C", "pcl" },   { "PJL", "pcl" },
  { "ZPL", "zpl" },       { "ZPL2", "zpl" },    { "ZPLII", "zpl" },   { "EPL", "epl" },
  { "EPL2", "epl" },      { "ESCP", "escp" },   { "ESCP2", "escp" },  { "ESCPL2", "escp" },
};

/* Second bytes of ESC/POS GS commands (GS v 0 raster, GS V cut, GS ! size, GS ( k, ...). */
static const char escpos_gs[] = "vV!LW(kBhwHfaIP*/b8r";

/*
 * ESC/P commands neither ESC/POS nor DYMO has, which dot-matrix drivers send
 * right after ESC @: ESC P (10 cpi), ESC l (left margin), ESC x (draft or
 * letter quality), ESC ^ (9-pin 9-dot graphics).
 */
static const char escp_only[] = "Plx^";

/* ESC/P2 extended commands ESC ( X nL nH ... (graphics mode, units, page format, ...). */
static const char escp2_extended[] = "GUCcVvKiDRSte^r";

static const char uel[] = "\x1b%-12345X";

/* The language names detection can produce, NULL-terminated. */
const char *const *fp_detect_language_names(void)
{
  return names;
}

/* `len` bytes at `name` as one of names[] (case-insensitive), or NULL. */
static const char *known_name(const char *name, size_t len)
{
  for (const char *const *n = names; *n; n++)
    if (strlen(*n) == len && !strncasecmp(*n, name, len))
      return *n;
  return NULL;
}

/* Record a verdict (`language` NULL: unknown); returns its language. */
static const char *verdict(fp_detection_t *d, const char *language, const char *format, ...)
  __attribute__((format(printf, 3, 4)));
static const char *verdict(fp_detection_t *d, const char *language, const char *format, ...)
{
  va_list ap;

  d->language = language ? language : FP_LANGUAGE_UNKNOWN;
  va_start(ap, format);
  vsnprintf(d->reason, sizeof(d->reason), format, ap);
  va_end(ap);
  return d->language;
}

/* true when `language` is a name, not FP_LANGUAGE_UNKNOWN. */
static bool named(const char *language)
{
  return strcmp(language, FP_LANGUAGE_UNKNOWN) != 0;
}

/* Length of a MIME type without its parameters (";charset=..."). */
static size_t mime_length(const char *type)
{
  return strcspn(type, "; \t");
}

/* true when `type`, parameters aside, is `literal` (case-insensitive). */
static bool mime_is(const char *type, const char *literal)
{
  return type && mime_length(type) == strlen(literal)
         && !strncasecmp(type, literal, strlen(literal));
}

/* From a MIME media type. */
const char *fp_detect_mime(const char *type, fp_detection_t *d)
{
  size_t len, prefix = strlen(FLUSHPRINTER_TYPE);

  if (!type || !*type)
    return verdict(d, NULL, "none");
  len = mime_length(type);
  if (len > prefix && !strncasecmp(type, FLUSHPRINTER_TYPE, prefix))
  {
    const char *language = known_name(type + prefix, len - prefix);

    if (language)
      return verdict(d, language, "%.*s", (int)len, type);
    return verdict(d, NULL, "%.*s names no language flushprinter knows", (int)len, type);
  }
  for (size_t i = 0; i < sizeof(mime_map) / sizeof(mime_map[0]); i++)
  {
    const mime_map_t *m = mime_map + i;

    if (!mime_is(type, m->type))
      continue;
    if (m->language)
      return verdict(d, m->language, "%.*s", (int)len, type);
    return verdict(d, NULL, "%.*s: %s", (int)len, type, m->note);
  }
  if (!strncasecmp(type, "printer/", 8))
    return verdict(d, NULL, "%.*s: the driver's output has no type", (int)len, type);
  return verdict(d, NULL, "%.*s is not a printer language flushprinter tracks", (int)len, type);
}

/* The value of a PPD line ("quoted" or bare) between `v` and `end`, into `out`. */
static void ppd_value(const char *v, const char *end, char *out, size_t size)
{
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  if (v < end && *v == '"')
  {
    const char *quote = memchr(v + 1, '"', (size_t)(end - v - 1));

    v++;
    if (quote)
      end = quote;
  }
  while (end > v && isspace((unsigned char)end[-1]))
    end--;
  snprintf(out, size, "%.*s", (int)(end - v), v);
}

/* Keep the program (and, for *cupsFilter2, the destination type) of a filter line. */
static void ppd_filter(fp_ppd_hints_t *h, const char *value, bool with_type)
{
  char        words[4][96];
  int         count = sscanf(value, "%95s %95s %95s %95s", words[0], words[1], words[2], words[3]);
  const char *program, *slash;

  if (h->num_filters >= (int)(sizeof(h->filters) / sizeof(h->filters[0]))
      || count != (with_type ? 4 : 3))
    return;
  program = words[count - 1];
  if ((slash = strrchr(program, '/')))
    program = slash + 1;
  snprintf(h->filters[h->num_filters].type, sizeof(h->filters[0].type), "%s",
           with_type ? words[1] : "");
  snprintf(h->filters[h->num_filters].program, sizeof(h->filters[0].program), "%s", program);
  h->num_filters++;
}

/* One "*Keyword: value" line, given without its '*'. */
static void ppd_line(fp_ppd_hints_t *h, const char *line, const char *end)
{
  const char *colon = line;
  size_t      klen;
  char        value[256];

  while (colon < end && *colon != ':' && !isspace((unsigned char)*colon))
    colon++;
  if (colon >= end || *colon != ':')
    return; /* an option line ("*PageSize A4/A4: ...") or no value */
  klen = (size_t)(colon - line);
  ppd_value(colon + 1, end, value, sizeof(value));
#define KEYWORD(name) (klen == sizeof(name) - 1 && !memcmp(line, name, klen))
  if (KEYWORD("FlushPrinterLanguage"))
    snprintf(h->language, sizeof(h->language), "%s", value);
  else if (KEYWORD("FlushPrinterReset"))
    snprintf(h->reset, sizeof(h->reset), "%s", value);
  else if (KEYWORD("FlushPrinterWrap"))
    snprintf(h->wrap, sizeof(h->wrap), "%s", value);
  else if (KEYWORD("cupsModelNumber"))
    h->model_number = (int)strtol(value, NULL, 0);
  else if (KEYWORD("cupsFilter") || KEYWORD("cupsFilter2"))
    ppd_filter(h, value, KEYWORD("cupsFilter2"));
#undef KEYWORD
}

/* Collect the keywords of fp_ppd_hints_t from the text of a PPD file. */
void fp_ppd_hints_parse(const char *text, size_t len, fp_ppd_hints_t *h)
{
  const char *p = text, *end = text + len;

  memset(h, 0, sizeof(*h));
  while (p < end)
  {
    const char *eol = memchr(p, '\n', (size_t)(end - p));

    if (!eol)
      eol = end;
    if (*p == '*' && eol - p > 1 && p[1] != '%')
      ppd_line(h, p + 1, eol);
    p = eol < end ? eol + 1 : end;
  }
}

/* From a PPD's explicit keywords. */
const char *fp_detect_ppd_keywords(const fp_ppd_hints_t *h, fp_detection_t *d)
{
  const char *language;

  if (!h)
    return verdict(d, NULL, "none");
  if (h->language[0] && strcasecmp(h->language, "auto"))
  {
    if (!strcasecmp(h->language, "none"))
      return verdict(d, "none", "*FlushPrinterLanguage none");
    if ((language = known_name(h->language, strlen(h->language))))
      return verdict(d, language, "*FlushPrinterLanguage %s", h->language);
    return verdict(d, NULL, "*FlushPrinterLanguage '%s' names no language flushprinter knows",
                   h->language);
  }
  if (h->reset[0] && (language = fp_reset_language(h->reset)))
    return verdict(d, language, "*FlushPrinterReset %s", h->reset);
  return verdict(d, NULL, "no *FlushPrinterLanguage%s",
                 h->reset[0] ? ", and *FlushPrinterReset names no tracked language" : "");
}

/* What driver `program` sends (rastertolabel: by *cupsModelNumber), named by `keyword`. */
static const char *program_hint(const char *keyword, const char *program, int model,
                                fp_detection_t *d)
{
  if (!strcmp(program, "rastertolabel"))
  {
    for (size_t i = 0; i < sizeof(label_models) / sizeof(label_models[0]); i++)
      if (label_models[i].model == model)
        return verdict(d, label_models[i].language,
                       "%s rastertolabel with *cupsModelNumber %d (%s)", keyword, model,
                       label_models[i].what);
    return verdict(d, NULL, "%s rastertolabel with an unknown *cupsModelNumber %d", keyword,
                   model);
  }
  for (size_t i = 0; i < sizeof(program_map) / sizeof(program_map[0]); i++)
    if (!strcmp(program, program_map[i].program))
      return verdict(d, program_map[i].language, "%s %s", keyword, program);
  return verdict(d, NULL, "%s %s, a driver flushprinter does not know", keyword, program);
}

/* From a PPD's driver filters; unknown unless every hint agrees. */
const char *fp_detect_ppd_driver(const fp_ppd_hints_t *h, fp_detection_t *d)
{
  fp_detection_t first = { .language = NULL }, other = { .language = NULL }, hint;

  if (!h || !h->num_filters)
    return verdict(d, NULL, "no *cupsFilter or *cupsFilter2 lines");
  for (int i = 0; i < h->num_filters; i++)
  {
    const char *type = h->filters[i].type, *program = h->filters[i].program;

    if (type[0] && named(fp_detect_mime(type, &hint)))
      snprintf(hint.reason, sizeof(hint.reason), "*cupsFilter2 type %s", type);
    else if (!strcmp(program, "-"))
      continue; /* a pass-through: no driver */
    else if (h->wrap[0])
      program_hint("*FlushPrinterWrap", h->wrap, h->model_number, &hint);
    else
      program_hint(type[0] ? "*cupsFilter2" : "*cupsFilter", program, h->model_number, &hint);
    if (!named(hint.language))
    {
      if (!other.language)
        other = hint;
    }
    else if (!first.language)
      first = hint;
    else if (strcmp(first.language, hint.language))
      return verdict(d, NULL, "the filters disagree: %s; %s", first.reason, hint.reason);
  }
  if (first.language)
    return verdict(d, first.language, "%s", first.reason);
  if (other.language)
    return verdict(d, NULL, "%s", other.reason);
  return verdict(d, NULL, "only pass-through (\"-\") filters");
}

/* A run of characters inside a device ID. */
typedef struct span_s
{
  const char *s;
  size_t      len;
} span_t;

/* Trim spaces around a span. */
static span_t trim(const char *s, size_t len)
{
  while (len && isspace((unsigned char)*s))
    s++, len--;
  while (len && isspace((unsigned char)s[len - 1]))
    len--;
  return (span_t){ s, len };
}

/* The value of device ID field `key` or `alias` (case-insensitive); false when absent. */
static bool id_field(const char *id, const char *key, const char *alias, span_t *value)
{
  return fp_device_id_find(id, key, alias, &value->s, &value->len);
}

/* true when `needle` occurs in the span (case-insensitive). */
static bool span_contains(span_t span, const char *needle)
{
  size_t n = strlen(needle);

  for (size_t i = 0; i + n <= span.len; i++)
    if (!strncasecmp(span.s + i, needle, n))
      return true;
  return false;
}

/*
 * true for an Epson ESC/P-R CMD: entry, "ESCPR" and a version ("ESCPR1"; normalized):
 * a printer that lists it with ESCPL2 takes both, so the device ID cannot tell
 * which one a job is in, and never calls ESC/P-R jobs ESC/P.
 */
static bool escpr_command_set(const char *norm)
{
  if (strncmp(norm, "ESCPR", 5))
    return false;
  for (norm += 5; *norm; norm++)
    if (!isdigit((unsigned char)*norm))
      return false;
  return true;
}

/* The language of one CMD: entry ("ESC/POS", "PCL3GUI", "ZPL:2"), or NULL. */
static const char *command_set_language(span_t entry)
{
  char   norm[16];
  size_t n = 0;

  for (size_t i = 0; i < entry.len; i++)
  {
    if (!isalnum((unsigned char)entry.s[i]))
      continue;
    if (n + 1 >= sizeof(norm))
      return NULL;
    norm[n++] = (char)toupper((unsigned char)entry.s[i]);
  }
  norm[n] = '\0';
  if (escpr_command_set(norm))
    return "escpr";
  for (size_t i = 0; i < sizeof(command_sets) / sizeof(command_sets[0]); i++)
    if (!strcmp(norm, command_sets[i].entry))
      return command_sets[i].language;
  return NULL;
}

/* From an IEEE 1284 device ID. */
const char *fp_detect_device_id(const char *id, fp_detection_t *d)
{
  span_t      cmd, mfg, mdl;
  const char *found[sizeof(names) / sizeof(names[0])];
  size_t      count = 0;
  char        list[64] = "";

  if (!id || !*id)
    return verdict(d, NULL, "none");
  if (id_field(id, "CMD", "COMMAND SET", &cmd) && cmd.len
      && !(cmd.len == 4 && !strncasecmp(cmd.s, "none", 4)))
  {
    for (const char *p = cmd.s, *end = cmd.s + cmd.len; p < end;)
    {
      const char *comma = memchr(p, ',', (size_t)(end - p));
      const char *language = command_set_language(trim(p, (size_t)((comma ? comma : end) - p)));
      size_t      i = 0;

      while (i < count && found[i] != language)
        i++;
      if (language && i == count)
      {
        found[count++] = language;
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", count > 1 ? ", " : "",
                 language);
      }
      p = comma ? comma + 1 : end;
    }
    if (count == 1)
      return verdict(d, found[0], "CMD:%.*s", (int)cmd.len, cmd.s);
    if (count > 1)
      return verdict(d, NULL, "CMD:%.*s names several languages (%s)", (int)cmd.len, cmd.s, list);
    return verdict(d, NULL, "CMD:%.*s names no language flushprinter tracks", (int)cmd.len, cmd.s);
  }
  if (id_field(id, "MFG", "MANUFACTURER", &mfg) && span_contains(mfg, "DYMO")
      && id_field(id, "MDL", "MODEL", &mdl) && span_contains(mdl, "LabelWriter"))
    return verdict(d, "dymo", "MFG:%.*s;MDL:%.*s without CMD:", (int)mfg.len, mfg.s,
                   (int)mdl.len, mdl.s);
  return verdict(d, NULL, "no CMD: field");
}

/* true when the `len` bytes at `p` start with the text `s`. */
static bool starts(const uint8_t *p, size_t len, const char *s)
{
  size_t n = strlen(s);

  return len >= n && !memcmp(p, s, n);
}

/* Offset of `needle` (case-insensitive) in the `len` bytes at `p`, or `len`. */
static size_t find_ci(const uint8_t *p, size_t len, const char *needle)
{
  size_t n = strlen(needle);

  for (size_t i = 0; i + n <= len; i++)
    if (!strncasecmp((const char *)p + i, needle, n))
      return i;
  return len;
}

/* End of the line starting at `i` (the offset of its '\n', or `n`). */
static size_t line_end(const uint8_t *p, size_t n, size_t i)
{
  const uint8_t *nl = memchr(p + i, '\n', n - i);

  return nl ? (size_t)(nl - p) : n;
}

/* A PJL job header at `i` (UEL or @PJL): PCL unless it enters another language. */
static const char *sniff_pjl(const uint8_t *p, size_t n, size_t i, fp_detection_t *d)
{
  for (;;)
  {
    size_t eol, at;

    while (i < n && (p[i] == '\r' || p[i] == '\n'))
      i++;
    if (starts(p + i, n - i, uel))
    {
      i += strlen(uel);
      continue;
    }
    if (!starts(p + i, n - i, "@PJL"))
      break;
    eol = line_end(p, n, i);
    if ((at = find_ci(p + i, eol - i, "LANGUAGE")) < eol - i
        && find_ci(p + i, at, "ENTER") < at)
    {
      size_t v = i + at + 8, w;

      while (v < eol && (p[v] == ' ' || p[v] == '='))
        v++;
      for (w = v; w < eol && isalnum(p[w]); w++)
        ;
      /* the languages the PCL tracker follows: PCL, PCL3GUI, PCL5..., HP-GL/2, RTL */
      if ((w - v >= 3 && !strncasecmp((const char *)p + v, "PCL", 3)
           && (w - v == 3 || toupper(p[v + 3]) != 'X'))
          || (w - v == 5 && !strncasecmp((const char *)p + v, "HPGL2", 5))
          || (w - v == 4 && !strncasecmp((const char *)p + v, "HPGL", 4))
          || (w - v == 3 && !strncasecmp((const char *)p + v, "RTL", 3)))
        return verdict(d, "pcl", "PJL ENTER LANGUAGE=%.*s at byte %zu", (int)(w - v), p + v, i);
      return verdict(d, NULL, "PJL ENTER LANGUAGE=%.*s at byte %zu, which has no tracker",
                     (int)(w - v), p + v, i);
    }
    i = eol;
  }
  if (i < n && (starts(p + i, n - i, "%!") || starts(p + i, n - i, "%PDF")))
    return verdict(d, NULL, "PostScript or PDF after a PJL header, at byte %zu", i);
  if (i < n && starts(p + i, n - i, ") HP-PCL XL"))
    return verdict(d, NULL, "PCL XL after a PJL header, at byte %zu, which has no tracker", i);
  return verdict(d, "pcl", "a UEL/PJL job header (PJL belongs to the PCL tracker)");
}

/* true when a ZPL command starts at `i`: ^XA, ^ or ~ with two letters, ZebraDesigner's CT~~CD,. */
static bool zpl_at(const uint8_t *p, size_t n, size_t i)
{
  if (i < n && p[i] == DLE && starts(p + i + 1, n - i - 1, "CT~~CD,"))
    return true;
  if (starts(p + i, n - i, "CT~~CD,"))
    return true;
  return n - i >= 3 && (p[i] == '^' || p[i] == '~') && isupper(p[i + 1]) && isupper(p[i + 2]);
}

/*
 * EPL2 command lines: '#' is one or more digits, '%' one or more capitals,
 * '*' anything up to the end of the line; other characters stand for
 * themselves.
 */
static const char *const epl_commands[] = {
  "N", "q#", "Q#,*", "R#,#", "S#", "D#", "ZT", "ZB", "O%", "I#,*", "A#,#,*", "B#,#,*",
  "LO#,#,*", "P#", "P#,#", "JF", "JB", "GW#,#,#,#,*",
};

/* true when the line `line` (`len` bytes, no newline) matches the EPL command `pattern`. */
static bool epl_match(const uint8_t *line, size_t len, const char *pattern)
{
  size_t i = 0;

  for (; *pattern; pattern++)
  {
    size_t start = i;

    if (*pattern == '*')
      return true;
    if (*pattern == '#')
      while (i < len && isdigit(line[i]))
        i++;
    else if (*pattern == '%')
      while (i < len && isupper(line[i]))
        i++;
    else if (i < len && line[i] == (uint8_t)*pattern)
      i++;
    if (i == start)
      return false;
  }
  return i == len;
}

/* The EPL command pattern the line matches, or NULL. */
static const char *epl_command(const uint8_t *line, size_t len)
{
  if (len && line[len - 1] == '\r')
    len--;
  for (size_t i = 0; i < sizeof(epl_commands) / sizeof(epl_commands[0]); i++)
    if (epl_match(line, len, epl_commands[i]))
      return epl_commands[i];
  return NULL;
}

/* EPL2: a GW image line, or two of the first three lines (the first included) are commands. */
static bool sniff_epl(const uint8_t *p, size_t n, size_t i, fp_detection_t *d)
{
  size_t first = i;
  int    lines = 0, matched = 0;

  while (i < n && lines < 3)
  {
    size_t      eol = line_end(p, n, i);
    const char *cmd;

    if (eol == i || (eol == i + 1 && p[i] == '\r'))
    {
      i = eol + 1;
      continue;
    }
    cmd = epl_command(p + i, eol - i);
    if (cmd && !strncmp(cmd, "GW", 2))
    {
      verdict(d, "epl", "EPL2 image command GW at byte %zu", i);
      return true;
    }
    if (eol == n)
      break; /* a line cut by the window proves nothing */
    lines++;
    if (cmd)
      matched++;
    else if (lines == 1)
      return false;
    i = eol + 1;
  }
  if (matched < 2)
    return false;
  verdict(d, "epl", "EPL2 command lines from byte %zu", first);
  return true;
}

/*
 * true when a PCL escape sequence starts at `p`: ESC &l1O, ESC *b12W, ESC (8U,
 * ESC %1B, and, for the raster and page classes ESC * and ESC &, a sequence
 * whose value is left out (ESC *rB, ESC *rbC: end raster graphics, which
 * Ghostscript's PCL drivers begin with).  A value-less ESC * with a letter
 * for m is no ESC/P or ESC/POS bit image (their densities are below 0x60).
 */
static bool pcl_sequence(const uint8_t *p, size_t n)
{
  bool   parameterized = p[1] >= 0x21 && p[1] <= 0x2f && n > 2 && p[2] >= 0x60 && p[2] <= 0x7e;
  size_t j = parameterized ? 3 : 2, digits;

  if (n < 4 || (!parameterized && p[1] != '(' && p[1] != ')' && p[1] != '%'))
    return false;
  if (parameterized && (p[1] == '*' || p[1] == '&'))
  {
    if (p[3] >= 0x40 && p[3] <= 0x5e)
      return true; /* ESC *rB */
    if (p[3] >= 0x60 && p[3] <= 0x7e && n > 4
        && (isdigit(p[4]) || (p[4] >= 0x40 && p[4] <= 0x5e)))
      return true; /* ESC *rbC, ESC &l0o0E */
  }
  if (p[j] == '+' || p[j] == '-')
    j++;
  for (digits = j; j < n && (isdigit(p[j]) || p[j] == '.'); j++)
    ;
  if (j == digits || j >= n)
    return false;
  if (p[1] == '%')
    return p[j] == 'A' || p[j] == 'B' || p[j] == 'X'; /* HP-GL/2 and PCL switches, UEL */
  /* A terminating capital, or a lower-case letter combining the next command of the group. */
  return (p[j] >= 0x40 && p[j] <= 0x5e) || (parameterized && p[j] >= 0x60 && p[j] <= 0x7e);
}

/* true when an ESC/P2 extended command ESC ( X nL nH starts at `p`. */
static bool escp2_sequence(const uint8_t *p, size_t n)
{
  return n >= 5 && p[1] == '(' && p[2] && strchr(escp2_extended, p[2]) && p[3] && p[3] < 0x20
         && p[4] == 0;
}

/* Walk ESC/GS commands: the first one only one language has decides. */
static const char *sniff_commands(const uint8_t *p, size_t n, size_t i, fp_detection_t *d)
{
  bool init = false;

  while (i + 1 < n)
  {
    uint8_t c = p[i], c1 = p[i + 1];

    if (c == GS && c1 && strchr(escpos_gs, c1))
      return verdict(d, "escpos", "ESC/POS command GS %c at byte %zu", c1, i);
    if (c == DLE && (c1 == 0x04 || c1 == 0x05 || c1 == 0x14))
      return verdict(d, "escpos", "ESC/POS real-time command DLE 0x%02x at byte %zu", c1, i);
    if (c == FS && c1 == 'p')
      return verdict(d, "escpos", "ESC/POS command FS p at byte %zu", i);
    if (c != ESC)
    {
      i++;
      continue;
    }
    if (c1 == 0x01 && starts(p + i + 2, n - i - 2, "@EJL"))
    {
      /* Epson's EJL header: its lines may switch to ESC/Page (laser printers) */
      size_t j = i + 2;

      while (j < n && starts(p + j, n - j, "@EJL"))
      {
        size_t eol = line_end(p, n, j);

        if (find_ci(p + j, eol - j, "ESC/PAGE") < eol - j)
          return verdict(d, NULL, "EJL selects ESC/Page at byte %zu, which has no tracker", j);
        j = eol + 1;
        while (j < n && (p[j] == '\r' || p[j] == '\n'))
          j++;
      }
      i = j;
      continue;
    }
    if (pcl_sequence(p + i, n - i))
      return verdict(d, "pcl", "PCL command ESC %c%c at byte %zu", c1, p[i + 2], i);
    if (escp2_sequence(p + i, n - i))
      return verdict(d, "escp", "ESC/P2 command ESC ( %c at byte %zu", p[i + 2], i);
    if (c1 == '.')
      return verdict(d, "escp", "ESC/P raster command ESC . at byte %zu", i);
    if (init && c1 && strchr(escp_only, c1))
      return verdict(d, "escp", "ESC/P command ESC %c after ESC @ at byte %zu", c1, i);
    if (c1 == 'L' && i + 5 < n && p[i + 4] == ESC && p[i + 5] == 'D')
      return verdict(d, "dymo", "DYMO label setup ESC L, ESC D at byte %zu", i);
    if (c1 == 'D' && i + 3 < n && p[i + 3] == SYN)
      return verdict(d, "dymo", "DYMO ESC D then a SYN raster line at byte %zu", i);
    if (c1 == '@')
      init = true;
    if (c1 == '*' && i + 4 < n)
    {
      /* A bit image in ESC/POS and ESC/P alike: skip its data (8, 24 or 48 dots a column). */
      size_t columns = (size_t)p[i + 3] | (size_t)p[i + 4] << 8;

      i += 5 + columns * (p[i + 2] < 32 ? 1 : p[i + 2] < 64 ? 3 : 6);
      continue;
    }
    i += 2;
  }
  if (init)
    return verdict(d, NULL, "only ESC @, which ESC/POS, ESC/P and DYMO share, in the first %zu "
                   "bytes", n);
  return verdict(d, NULL, "no printer command in the first %zu bytes", n);
}

/* Little-endian 16-bit value at `p`. */
static size_t le16_at(const uint8_t *p)
{
  return (size_t)p[0] | (size_t)p[1] << 8;
}

/*
 * Epson ESC/P-R, which starts at ESC/P level like an ESC/P 2 job (packet-mode
 * exit, ESC @, remote mode) and then enters its own mode with ESC ( R and
 * NUL "ESCPR" (or NUL "ESCPRJ").  true with a verdict when the first `n`
 * bytes tell: escpr when they enter ESC/P-R mode; unknown when they end
 * inside remote mode, or right after it inside what could still become
 * ESC ( R ESCPR.  false (no verdict) otherwise: the other sniffers go on.
 */
static bool sniff_escpr(const uint8_t *p, size_t n, fp_detection_t *d)
{
  static const char escpr[] = "\x1b(R\x06\0\0ESCPR", escprj[] = "\x1b(R\x07\0\0ESCPRJ";
  static const char remote[] = "\x1b(R\x08\0\0REMOTE1";
  size_t            first_remote = n;

  for (size_t i = 0; i + 2 < n; i++)
  {
    if (p[i] != ESC || p[i + 1] != '(' || p[i + 2] != 'R')
      continue;
    if ((n - i >= sizeof(escpr) - 1 && !memcmp(p + i, escpr, sizeof(escpr) - 1))
        || (n - i >= sizeof(escprj) - 1 && !memcmp(p + i, escprj, sizeof(escprj) - 1)))
    {
      verdict(d, "escpr", "ESC/P-R mode ESC ( R %.*s at byte %zu", p[i + 3] - 1, p + i + 6, i);
      return true;
    }
    if (first_remote == n && (n - i < sizeof(remote) - 1 || !memcmp(p + i, remote,
                                                                      sizeof(remote) - 1)))
      first_remote = i; /* remote mode, or the window ends in ESC ( R */
  }
  if (first_remote == n)
    return false;
  for (size_t at = first_remote + sizeof(remote) - 1; at + 4 <= n; at += 4 + le16_at(p + at + 2))
    if (p[at] == ESC && !p[at + 1] && !p[at + 2] && !p[at + 3])
    {
      size_t rest = n - (at + 4);

      if (rest >= sizeof(escpr) - 1
          || (memcmp(p + at + 4, escpr, rest) && memcmp(p + at + 4, escprj, rest)))
        return false; /* remote mode ended, and no ESC/P-R mode follows in the window */
      break; /* the window ends inside what could be ESC ( R ESCPR */
    }
  verdict(d, NULL, "ESC/P remote mode at byte %zu, and the first %zu bytes end before ESC/P 2 "
          "or ESC/P-R follows", first_remote, n);
  return true;
}

/* From the first bytes of the job. */
const char *fp_detect_stream(const uint8_t *p, size_t len, fp_detection_t *d)
{
  size_t n = len < FP_DETECT_SNIFF_MAX ? len : FP_DETECT_SNIFF_MAX, i = 0, run = 0;

  if (!p || !n)
    return verdict(d, NULL, "no job data");
  while (i < n && (!p[i] || p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
    i++;
  if (i == n)
    return verdict(d, NULL, "only blank bytes in the first %zu", n);
  if (sniff_escpr(p, n, d))
    return d->language;
  while (i + run < n && p[i + run] == ESC)
    run++;
  if (run >= DYMO_SYNC_MIN)
    return verdict(d, "dymo", "%zu ESC bytes at byte %zu (DYMO synchronization)", run, i);
  if (starts(p + i, n - i, uel) || starts(p + i, n - i, "@PJL"))
    return sniff_pjl(p, n, i, d);
  if (p[i] == ESC && i + 1 < n && p[i + 1] == 'E' && (i + 2 == n || p[i + 2] == ESC))
    return verdict(d, "pcl", "PCL reset ESC E at byte %zu", i);
  if (zpl_at(p, n, i))
    return verdict(d, "zpl", "ZPL command at byte %zu", i);
  if (sniff_epl(p, n, i, d))
    return d->language;
  return sniff_commands(p, n, i, d);
}

/* Magic numbers of formats that are documents, not printer command streams. */
static const struct
{
  const char *magic;
  size_t      len;
  const char *name;
} foreign_formats[] = {
  { "%PDF-", 5, "PDF" },
  { "%!", 2, "PostScript" },
  { "\x04%!", 3, "PostScript" },              /* a ^D before the PostScript header */
  { "\xc5\xd0\xd3\xc6", 4, "EPS (DOS binary)" },
  { "\x89PNG\r\n\x1a\n", 8, "PNG" },
  { "\xff\xd8\xff", 3, "JPEG" },
  { "GIF87a", 6, "GIF" },
  { "GIF89a", 6, "GIF" },
  { "II*\0", 4, "TIFF" },
  { "MM\0*", 4, "TIFF" },
  { "RaS2", 4, "CUPS/PWG raster" },
  { "RaS3", 4, "CUPS raster" },
  { "2SaR", 4, "CUPS raster" },
  { "3SaR", 4, "CUPS raster" },
  { "UNIRAST", 7, "Apple raster" },
  { "\x1f\x8b", 2, "gzip" },
  { "PK\x03\x04", 4, "ZIP (office document)" },
  { "\xd0\xcf\x11\xe0", 4, "OLE (office document)" },
};

/* The document format the job's first bytes clearly are, or NULL. */
const char *fp_detect_foreign_format(const uint8_t *data, size_t len)
{
  for (size_t i = 0; data && i < sizeof(foreign_formats) / sizeof(foreign_formats[0]); i++)
    if (len >= foreign_formats[i].len && !memcmp(data, foreign_formats[i].magic, foreign_formats[i].len))
      return foreign_formats[i].name;
  return NULL;
}

/* Note a detector's verdict in the trail and in `d`; true when it named a language. */
static bool consider(const char *source, const fp_detection_t *step, fp_detection_t *d,
                     char *trail, size_t size)
{
  if (trail && size)
  {
    size_t used = strlen(trail);

    snprintf(trail + used, size - used, "%s%s: %s (%s)", used ? "; " : "", source, step->language,
             step->reason);
  }
  d->language = step->language;
  snprintf(d->reason, sizeof(d->reason), "%s: %s", source, step->reason);
  return named(step->language);
}

/* Apply the precedence of the detectors. */
const char *fp_detect_language(const fp_detect_input_t *in, fp_detection_t *d, char *trail,
                               size_t trail_size)
{
  fp_detection_t step;
  bool           final = in->final_content_type && *in->final_content_type;
  const char    *type = final ? in->final_content_type : in->content_type;
  bool           raw = mime_is(in->content_type, "application/vnd.cups-raw")
             || mime_is(in->content_type, "application/octet-stream");

  if (trail && trail_size)
    trail[0] = '\0';
  if (in->ppd)
  {
    fp_detect_ppd_keywords(in->ppd, &step);
    if (consider("the PPD", &step, d, trail, trail_size))
      return d->language;
  }
  fp_detect_mime(type, &step);
  if (consider(final ? "FINAL_CONTENT_TYPE" : "CONTENT_TYPE", &step, d, trail, trail_size))
    return d->language;
  if (in->ppd && !raw)
  {
    /* The driver's output is not what a raw job sends. */
    fp_detect_ppd_driver(in->ppd, &step);
    if (consider("the PPD", &step, d, trail, trail_size))
      return d->language;
  }
  fp_detect_device_id(in->device_id, &step);
  if (consider("the device ID", &step, d, trail, trail_size))
    return d->language;
  fp_detect_stream(in->data, in->data_len, &step);
  consider("the job data", &step, d, trail, trail_size);
  return d->language;
}

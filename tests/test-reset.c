/*
 * Unit tests for reset specifications: the presets of reset.h and
 * fp_reset_parse() (lib/reset.c).
 */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/language.h"
#include "check-main.h"
#include "flushprinter.h"
#include "reset.h"

/* Parse `spec`, expecting success with exactly the `want_len` bytes `want`. */
static void parse_ok(const char *spec, const void *want, size_t want_len)
{
  uint8_t *bytes = NULL;
  size_t   len = 12345;
  char     message[256] = "x";
  int      status = fp_reset_parse(spec, &bytes, &len, message, sizeof(message));

  ck_assert_msg(status == FP_OK, "'%s' failed: %s", spec, message);
  ck_assert_str_eq(message, "");
  ck_assert_ptr_nonnull(bytes);
  ck_assert_msg(len == want_len, "'%s' gave %zu bytes, expected %zu", spec, len, want_len);
  ck_assert_msg(!memcmp(bytes, want, want_len), "'%s' gave the wrong bytes", spec);
  free(bytes);
}

/* Parse `spec`, expecting a syntax error whose message is exactly `want`. */
static void parse_bad(const char *spec, const char *want)
{
  uint8_t *bytes = (uint8_t *)"untouched";
  size_t   len = 99;
  char     message[256] = "";

  ck_assert_int_eq(fp_reset_parse(spec, &bytes, &len, message, sizeof(message)),
                   FP_ERROR_SYNTAX);
  ck_assert_ptr_null(bytes);
  ck_assert_uint_eq(len, 0);
  ck_assert_msg(!strcmp(message, want), "message for '%s' was \"%s\", expected \"%s\"", spec,
                message, want);
}

/* The bytes every preset must produce. */
static const struct
{
  const char *name;
  const char *bytes;
  size_t      len;
  const char *language;
} expected_presets[] = {
  { "escpos", "\x1b@", 2, "escpos" },
  { "pcl", "\x1b" "E", 2, "pcl" },
  { "pjl", "\x1b%-12345X", 9, NULL },
  { "zpl", "~DN^XZ", 6, "zpl" },
  { "escp", "\x1b@", 2, "escp" },
  { "epl", "\r\nN\r\n", 5, "epl" },
  { "none", "", 0, NULL },
};

START_TEST(preset_bytes)
{
  for (size_t i = 0; i < sizeof(expected_presets) / sizeof(expected_presets[0]); i++)
  {
    const fp_preset_t *p = fp_preset_find(expected_presets[i].name);

    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p->name, expected_presets[i].name);
    ck_assert_uint_eq(p->len, expected_presets[i].len);
    ck_assert(!memcmp(p->bytes, expected_presets[i].bytes, p->len));
    ck_assert_ptr_nonnull(p->description);
    if (expected_presets[i].language)
      ck_assert_str_eq(p->language, expected_presets[i].language);
    else
      ck_assert_ptr_null(p->language);
    parse_ok(expected_presets[i].name, expected_presets[i].bytes, expected_presets[i].len);
  }
}
END_TEST

START_TEST(preset_dymo)
{
  const fp_preset_t *p = fp_preset_find("dymo");
  uint8_t            want[102];

  memset(want, 0x1b, 100);
  want[100] = 0x1b;
  want[101] = '@';
  ck_assert_ptr_nonnull(p);
  ck_assert_uint_eq(p->len, sizeof(want));
  ck_assert(!memcmp(p->bytes, want, sizeof(want)));
  ck_assert_str_eq(p->language, "dymo");
  parse_ok("DYMO", want, sizeof(want));
}
END_TEST

START_TEST(preset_lookup)
{
  const fp_preset_t *list = fp_preset_list();
  size_t             n = 0;

  ck_assert_ptr_eq(fp_preset_find("EscPos"), fp_preset_find("escpos"));
  ck_assert_ptr_null(fp_preset_find("escpos2"));
  ck_assert_ptr_null(fp_preset_find(""));
  ck_assert_ptr_null(fp_preset_find(NULL));
  for (; list[n].name; n++)
  {
    ck_assert_ptr_eq(fp_preset_find(list[n].name), &list[n]);
    /* a preset's language, when named, must be a known tracker */
    if (list[n].language)
      ck_assert_ptr_nonnull(fp_language_find(list[n].language));
  }
  ck_assert_uint_eq(n, 9);
}
END_TEST

START_TEST(preset_case_insensitive)
{
  parse_ok("ESCPOS", "\x1b@", 2);
  parse_ok("Pcl", "\x1b" "E", 2);
}
END_TEST

START_TEST(joined_presets)
{
  parse_ok("pjl+pcl", "\x1b%-12345X\x1b" "E", 11);
  parse_ok("PJL+PCL+pjl", "\x1b%-12345X\x1b" "E\x1b%-12345X", 20);
  parse_ok("zpl + escpos", "~DN^XZ\x1b@", 8);
  parse_ok("none+escpos", "\x1b@", 2);
  parse_ok("none+none", "", 0);
}
END_TEST

START_TEST(hex_bytes)
{
  parse_ok("hex:1b40", "\x1b@", 2);
  parse_ok("HEX:1B 40", "\x1b@", 2);
  parse_ok("hex: 00 ff\t7f  0A ", "\x00\xff\x7f\n", 4);
  parse_ok("hex:1b2d3132333435", "\x1b-12345", 7);
}
END_TEST

START_TEST(text_escapes)
{
  parse_ok("text:\\e@", "\x1b@", 2);
  parse_ok("text:\\x1b@", "\x1b@", 2);
  parse_ok("text:\\x1B@", "\x1b@", 2);
  parse_ok("text:\\033@", "\x1b@", 2);
  parse_ok("text:\\0", "\x00", 1);
  parse_ok("text:\\08", "\x00" "8", 2);
  parse_ok("text:\\1234", "\x53" "4", 2);
  parse_ok("text:\\377", "\xff", 1);
  parse_ok("text:\\x7g", "\x07g", 2);
  parse_ok("text:\\n\\r\\t\\a\\b\\f\\v\\\\", "\n\r\t\a\b\f\v\\", 8);
  parse_ok("text:Hello, world! ~", "Hello, world! ~", 15);
  parse_ok("text:\\e%-12345X@PJL", "\x1b%-12345X@PJL", 13);
  parse_ok("text:a+b", "a+b", 3);
  parse_ok("text:N", "N", 1);
  parse_ok("TEXT:\\e@", "\x1b@", 2);
  parse_ok("text:escpos2", "escpos2", 7);
  parse_ok("text:escpos+", "escpos+", 7);
}
END_TEST

/* "text:" alone gives no bytes, as flushprinter(7) says. */
START_TEST(empty_text)
{
  parse_ok("text:", "", 0);
  parse_ok("TEXT:", "", 0);
}
END_TEST

/* Syntax errors and the exact sentence each gives. */
static const struct
{
  const char *spec;
  const char *message;
} syntax_errors[] = {
  { "", "empty reset specification (use 'none' to send nothing)" },
  { "text:\\e@\\q", "invalid escape '\\q' at offset 8" },
  { "text:\\e\\E", "invalid escape '\\E' at offset 7" },
  { "hex:1bz0", "'z' at offset 6 is not a hex digit" },
  { "hex:g0", "'g' at offset 4 is not a hex digit" },
  { "hex:1b4", "odd number of hex digits: '4' at offset 6 has no second digit" },
  { "hex:1 b", "odd number of hex digits: '1' at offset 4 has no second digit" },
  { "hex:", "no bytes after 'hex:' at offset 4 (use 'none' to send nothing)" },
  { "text:ab\tc", "non-printable byte 0x09 at offset 7 (write it as an escape)" },
  { "text:\x1b@", "non-printable byte 0x1b at offset 5 (write it as an escape)" },
  { "text:ok\x7f", "non-printable byte 0x7f at offset 7 (write it as an escape)" },
  { "text:caf\xc3\xa9", "non-ASCII byte 0xc3 at offset 8 (write it as \\xHH)" },
  { "text:abc\\", "incomplete escape '\\' at offset 8 ends the specification" },
  { "text:\\xg1", "invalid escape '\\x' at offset 5: 'g' is not a hex digit" },
  { "text:@\\x", "invalid escape '\\x' at offset 6: the end is not a hex digit" },
  { "text:\\777", "octal escape '\\777' at offset 5 is larger than 255" },
  { "text:\\\x01", "invalid escape: '\\' followed by 0x01 at offset 5" },
  { "pjl+pcx", "unknown preset 'pcx' at offset 4 (presets: escpos, pcl, pjl, zpl, escp, dymo, epl, escpr, none; write literal text as text:pcx)" },
  { "escpso+pcl", "unknown preset 'escpso' at offset 0 (presets: escpos, pcl, pjl, zpl, escp, dymo, epl, escpr, none; write literal text as text:escpso)" },
  { "escpoz", "unknown preset 'escpoz' at offset 0 (presets: escpos, pcl, pjl, zpl, escp, dymo, epl, escpr, none; write literal text as text:escpoz)" },
  { "a+b", "unknown preset 'a' at offset 0 (presets: escpos, pcl, pjl, zpl, escp, dymo, epl, escpr, none; write literal text as text:a)" },
  { "text:\\q", "invalid escape '\\q' at offset 5" },
  /* the grammar is strict: a typo or a stray separator is never sent as letters */
  { "escpos+", "missing preset name at offset 7 (presets are joined by one '+')" },
  { "+escpos", "missing preset name at offset 0 (presets are joined by one '+')" },
  { "pjl++pcl", "missing preset name at offset 4 (presets are joined by one '+')" },
  { "pjl+ +pcl", "missing preset name at offset 5 (presets are joined by one '+')" },
  { "escpos,pcl", "unknown preset 'escpos,pcl' at offset 0 (presets: escpos, pcl, pjl, zpl, escp, dymo, epl, escpr, none; write literal text as text:escpos,pcl)" },
  { "escpos pcl", "unknown preset 'escpos pcl' at offset 0 (presets: escpos, pcl, pjl, zpl, escp, dymo, epl, escpr, none; write literal text as text:escpos pcl)" },
  { "\\e@", "unknown preset '\\e@' at offset 0 (presets: escpos, pcl, pjl, zpl, escp, dymo, epl, escpr, none; write literal text as text:\\e@)" },
  { "Hello, world!", "unknown preset 'Hello, world!' at offset 0 (presets: escpos, pcl, pjl, zpl, escp, dymo, epl, escpr, none; write literal text as text:Hello, world!)" },
  { "hexx:1b40", "unknown preset 'hexx:1b40' at offset 0 (presets: escpos, pcl, pjl, zpl, escp, dymo, epl, escpr, none; write literal text as text:hexx:1b40)" },
  { "escpos+\x1b@", "0x1b at offset 7 is no preset name (write bytes as text:\\xHH or hex:HH)" },
  { "pcl+caf\xc3\xa9", "0xc3 at offset 7 is no preset name (write bytes as text:\\xHH or hex:HH)" },
};

START_TEST(syntax_error_messages)
{
  for (size_t i = 0; i < sizeof(syntax_errors) / sizeof(syntax_errors[0]); i++)
    parse_bad(syntax_errors[i].spec, syntax_errors[i].message);
}
END_TEST

START_TEST(invalid_arguments)
{
  uint8_t *bytes;
  size_t   len;
  char     message[64];

  ck_assert_int_eq(fp_reset_parse(NULL, &bytes, &len, message, sizeof(message)),
                   FP_ERROR_INVALID_ARGUMENT);
  ck_assert_int_eq(fp_reset_parse("escpos", NULL, &len, NULL, 0), FP_ERROR_INVALID_ARGUMENT);
  ck_assert_int_eq(fp_reset_parse("escpos", &bytes, NULL, NULL, 0), FP_ERROR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(message_optional_and_truncated)
{
  uint8_t *bytes;
  size_t   len;
  char     small[12];

  /* no message buffer: still a syntax error, nothing written */
  ck_assert_int_eq(fp_reset_parse("text:\\q", &bytes, &len, NULL, 0), FP_ERROR_SYNTAX);
  /* a small buffer is filled and terminated, never overrun */
  memset(small, 'x', sizeof(small));
  ck_assert_int_eq(fp_reset_parse("text:\\q", &bytes, &len, small, sizeof(small)), FP_ERROR_SYNTAX);
  ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
  ck_assert(!strncmp(small, "invalid esc", sizeof(small) - 1));
  /* success without a message buffer */
  ck_assert_int_eq(fp_reset_parse("escpos", &bytes, &len, NULL, 0), FP_OK);
  free(bytes);
}
END_TEST

START_TEST(empty_result_is_allocated)
{
  uint8_t *bytes = NULL;
  size_t   len = 1;

  ck_assert_int_eq(fp_reset_parse("none", &bytes, &len, NULL, 0), FP_OK);
  ck_assert_ptr_nonnull(bytes);
  ck_assert_uint_eq(len, 0);
  free(bytes);
}
END_TEST

/* The suite. */
static Suite *reset_suite(void)
{
  Suite *s = suite_create("reset");
  TCase *presets = tcase_create("presets");
  TCase *parse = tcase_create("parse");

  tcase_add_test(presets, preset_bytes);
  tcase_add_test(presets, preset_dymo);
  tcase_add_test(presets, preset_lookup);
  tcase_add_test(presets, preset_case_insensitive);
  tcase_add_test(presets, joined_presets);
  suite_add_tcase(s, presets);

  tcase_add_test(parse, hex_bytes);
  tcase_add_test(parse, text_escapes);
  tcase_add_test(parse, empty_text);
  tcase_add_test(parse, syntax_error_messages);
  tcase_add_test(parse, invalid_arguments);
  tcase_add_test(parse, message_optional_and_truncated);
  tcase_add_test(parse, empty_result_is_allocated);
  suite_add_tcase(s, parse);
  return s;
}

/* Run the suite; exit status 0 only when every test passed. */
int main(void)
{
  return fp_run_suite(reset_suite());
}

/*
 * Unit tests for the shared text helpers (lib/text.c): hex digits,
 * percent-encoding and percent-decoding.
 */

#include <check.h>
#include <string.h>

#include "check-main.h"
#include "flushprinter.h"
#include "text.h"

/* Every hex digit in both cases has its value; every other byte gives -1. */
START_TEST(hex_digits_in_either_case)
{
  const char *digits = "0123456789abcdef";

  for (int i = 0; i < 16; i++)
  {
    ck_assert_int_eq(fp_hex_value(digits[i]), i);
    ck_assert_int_eq(fp_hex_value(i < 10 ? digits[i] : digits[i] - 'a' + 'A'), i);
  }
  for (int c = -128; c < 256; c++)
    if (!strchr("0123456789abcdefABCDEF", c) || c == 0)
      ck_assert_int_eq(fp_hex_value(c), -1);
}
END_TEST

/* Strings and their percent-encoding, which each direction must give. */
static const struct
{
  const char *plain;
  const char *encoded;
} pairs[] = {
  { "", "" },
  { "AZaz09-._~", "AZaz09-._~" },
  { "socket://h:9100/a b", "socket%3A%2F%2Fh%3A9100%2Fa%20b" },
  { "\xe2\x82\xac%", "%E2%82%AC%25" },
};

/* Each pair encodes one way and decodes back the other. */
START_TEST(encode_and_decode_pairs)
{
  char out[64];

  for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
  {
    const char *encoded = pairs[i].encoded;

    ck_assert_int_eq(fp_percent_encode(pairs[i].plain, out, sizeof(out)), FP_OK);
    ck_assert_str_eq(out, encoded);
    ck_assert_int_eq(fp_percent_decode(encoded, strlen(encoded), out, sizeof(out)), FP_OK);
    ck_assert_str_eq(out, pairs[i].plain);
  }
}
END_TEST

/* Lower-case escapes decode, only `in_len` bytes count, and an exact fit is fine. */
START_TEST(decode_takes_either_case_and_only_in_len)
{
  char out[8];

  ck_assert_int_eq(fp_percent_decode("%e2%82%Ac", 9, out, sizeof(out)), FP_OK);
  ck_assert_str_eq(out, "\xe2\x82\xac");
  ck_assert_int_eq(fp_percent_decode("a%41tail", 4, out, sizeof(out)), FP_OK);
  ck_assert_str_eq(out, "aA");
  ck_assert_int_eq(fp_percent_decode("abcdefg", 7, out, sizeof(out)), FP_OK);
  ck_assert_str_eq(out, "abcdefg");
}
END_TEST

/* Malformed escapes, an encoded NUL and output too long are syntax errors. */
START_TEST(decode_rejects)
{
  static const char *const bad[] = { "%", "%4", "%zz", "%4g", "%00", "abcdefgh", "abcdefg%41" };
  char                     out[8];

  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    ck_assert_msg(fp_percent_decode(bad[i], strlen(bad[i]), out, sizeof(out)) == FP_ERROR_SYNTAX,
                  "'%s' was accepted", bad[i]);
  /* An escape cut short by `in_len`. */
  ck_assert_int_eq(fp_percent_decode("%41", 2, out, sizeof(out)), FP_ERROR_SYNTAX);
}
END_TEST

/* Encoding fails when the result and its NUL do not fit. */
START_TEST(encode_needs_room)
{
  char out[4];

  ck_assert_int_eq(fp_percent_encode("abc", out, sizeof(out)), FP_OK);
  ck_assert_int_eq(fp_percent_encode("abcd", out, sizeof(out)), FP_ERROR_INVALID_ARGUMENT);
  ck_assert_int_eq(fp_percent_encode("a ", out, sizeof(out)), FP_ERROR_INVALID_ARGUMENT);
  ck_assert_int_eq(fp_percent_encode(" ", out, 3), FP_ERROR_INVALID_ARGUMENT);
  ck_assert_int_eq(fp_percent_encode(" ", out, sizeof(out)), FP_OK);
  ck_assert_str_eq(out, "%20");
}
END_TEST

/* Every non-NUL byte survives an encode and decode round trip. */
START_TEST(round_trip_of_every_byte)
{
  char in[256], encoded[3 * 255 + 1], decoded[256];

  for (int i = 0; i < 255; i++)
    in[i] = (char)(i + 1);
  in[255] = '\0';
  ck_assert_int_eq(fp_percent_encode(in, encoded, sizeof(encoded)), FP_OK);
  ck_assert_int_eq(fp_percent_decode(encoded, strlen(encoded), decoded, sizeof(decoded)), FP_OK);
  ck_assert_mem_eq(decoded, in, sizeof(in));
}
END_TEST

/* The suite. */
static Suite *text_suite(void)
{
  Suite *s = suite_create("text");
  TCase *tc = tcase_create("text");

  tcase_add_test(tc, hex_digits_in_either_case);
  tcase_add_test(tc, encode_and_decode_pairs);
  tcase_add_test(tc, decode_takes_either_case_and_only_in_len);
  tcase_add_test(tc, decode_rejects);
  tcase_add_test(tc, encode_needs_room);
  tcase_add_test(tc, round_trip_of_every_byte);
  suite_add_tcase(s, tc);
  return s;
}

/* Run the suite; exit status 0 only when every test passed. */
int main(void)
{
  return fp_run_suite(text_suite());
}

/*
 * Small text helpers shared by lib/, engine/ and backend/: hex digits and
 * percent-encoding.  The state store percent-encodes keys and languages
 * into its records; the backend decodes device URIs.
 */

#include "text.h"

#include <stdbool.h>

#include "flushprinter.h"

/* Value of hex digit `c` (either case), or -1. */
int fp_hex_value(int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Percent-encode `in` (RFC 3986 unreserved characters stay); an error if it does not fit. */
int fp_percent_encode(const char *in, char *out, size_t size)
{
  static const char digits[] = "0123456789ABCDEF";
  size_t            n = 0;

  for (; *in; in++)
  {
    unsigned char c = (unsigned char)*in;
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                 || c == '-' || c == '.' || c == '_' || c == '~';

    if (n + (plain ? 1 : 3) >= size)
      return FP_ERROR_INVALID_ARGUMENT;
    if (plain)
      out[n++] = (char)c;
    else
    {
      out[n++] = '%';
      out[n++] = digits[c >> 4];
      out[n++] = digits[c & 15];
    }
  }
  out[n] = '\0';
  return FP_OK;
}

/* Decode %XX escapes of `in` into `out`; FP_ERROR_SYNTAX if malformed, NUL, or too long. */
int fp_percent_decode(const char *in, size_t in_len, char *out, size_t size)
{
  size_t o = 0;

  for (size_t i = 0; i < in_len; i++)
  {
    int c = (unsigned char)in[i];

    if (c == '%')
    {
      if (i + 2 >= in_len || fp_hex_value(in[i + 1]) < 0 || fp_hex_value(in[i + 2]) < 0)
        return FP_ERROR_SYNTAX;
      c = fp_hex_value(in[i + 1]) * 16 + fp_hex_value(in[i + 2]);
      if (c == 0)
        return FP_ERROR_SYNTAX;
      i += 2;
    }
    if (o + 1 >= size)
      return FP_ERROR_SYNTAX;
    out[o++] = (char)c;
  }
  out[o] = '\0';
  return FP_OK;
}

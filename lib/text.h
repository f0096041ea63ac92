/*
 * Small text helpers shared by lib/, engine/ and backend/: hex digits and
 * percent-encoding (RFC 3986).
 */

#ifndef FP_TEXT_H
#define FP_TEXT_H

#include <stddef.h>

/* Value of hex digit `c` (either case), or -1. */
int fp_hex_value(int c);

/*
 * Percent-encode the string `in` into `out` (`size` bytes, NUL-terminated):
 * RFC 3986 unreserved characters stay, every other byte becomes %XX with
 * upper-case digits.  FP_OK, or FP_ERROR_INVALID_ARGUMENT if it does not fit.
 */
int fp_percent_encode(const char *in, char *out, size_t size);

/*
 * Decode the %XX escapes of the `in_len` bytes at `in` into `out` (`size`
 * bytes, NUL-terminated).  FP_OK, or FP_ERROR_SYNTAX for a malformed escape,
 * an encoded NUL, or a result that does not fit.
 */
int fp_percent_decode(const char *in, size_t in_len, char *out, size_t size);

#endif /* FP_TEXT_H */

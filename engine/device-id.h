/*
 * IEEE 1284 device IDs ("MFG:EPSON;MDL:TM-T20;CMD:ESC/POS;"): decoding the
 * length-prefixed form printers send, and looking up one field.
 */

#ifndef FP_DEVICE_ID_H
#define FP_DEVICE_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest device ID read from a printer, its two length bytes included. */
#define FP_DEVICE_ID_MAX 1024

/*
 * The text of the `n` bytes `raw` a printer answered to GET_DEVICE_ID: a
 * length counting its own two bytes (big-endian; little-endian from some
 * devices; everything received when neither fits), then the ID.  Into
 * `out`, cut to `size` - 1 bytes and NUL-terminated.  FP_ERROR_IO when `n`
 * is shorter than the length prefix.
 */
int fp_device_id_decode(const uint8_t *raw, size_t n, char *out, size_t size);

/*
 * Device ID field `key` or `alias` (case-insensitive, e.g. "MFG" or
 * "MANUFACTURER"): its value with spaces trimmed, `*len` bytes at `*value`
 * (not NUL-terminated); false when absent.
 */
bool fp_device_id_find(const char *device_id, const char *key, const char *alias,
                       const char **value, size_t *len);

/* The value of device ID field `key` or `alias` into `out`, "" when absent. */
void fp_device_id_field(const char *device_id, const char *key, const char *alias, char *out,
                        size_t size);

#endif /* FP_DEVICE_ID_H */

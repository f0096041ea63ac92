/*
 * IEEE 1284 device IDs (device-id.h).
 */

#include "device-id.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "flushprinter.h"

/* Decode the length-prefixed device ID a printer answered; see device-id.h. */
int fp_device_id_decode(const uint8_t *raw, size_t n, char *out, size_t size)
{
  size_t len;

  if (n < 2 || size == 0)
    return FP_ERROR_IO;
  len = (size_t)raw[0] << 8 | raw[1]; /* big-endian, counting itself */
  if (len < 2 || len > n)
    len = (size_t)raw[1] << 8 | raw[0]; /* some devices send it little-endian */
  if (len < 2 || len > n)
    len = n;
  len -= 2;
  if (len >= size)
    len = size - 1;
  memcpy(out, raw + 2, len);
  out[len] = '\0';
  return FP_OK;
}

/* Trim spaces around `len` bytes at `*s`. */
static void trim(const char **s, size_t *len)
{
  while (*len && isspace((unsigned char)**s))
    (*s)++, (*len)--;
  while (*len && isspace((unsigned char)(*s)[*len - 1]))
    (*len)--;
}

/* true when the `len` bytes at `s` spell `name` (case-insensitive). */
static bool is_key(const char *s, size_t len, const char *name)
{
  return len == strlen(name) && !strncasecmp(s, name, len);
}

/* Find device ID field `key` or `alias`; see device-id.h. */
bool fp_device_id_find(const char *id, const char *key, const char *alias, const char **value,
                       size_t *len)
{
  for (const char *p = id; *p;)
  {
    size_t      n = strcspn(p, ";");
    const char *colon = memchr(p, ':', n);

    if (colon)
    {
      const char *k = p;
      size_t      k_len = (size_t)(colon - p);

      trim(&k, &k_len);
      if (is_key(k, k_len, key) || is_key(k, k_len, alias))
      {
        *value = colon + 1;
        *len = (size_t)(p + n - colon - 1);
        trim(value, len);
        return true;
      }
    }
    p += n;
    if (*p)
      p++;
  }
  return false;
}

/* The value of device ID field `key` or `alias` into `out` ("" when absent). */
void fp_device_id_field(const char *id, const char *key, const char *alias, char *out,
                        size_t size)
{
  const char *value;
  size_t      len;

  if (fp_device_id_find(id, key, alias, &value, &len))
    snprintf(out, size, "%.*s", (int)len, value);
  else if (size)
    out[0] = '\0';
}

/*
 * Reset presets: the byte sequences that bring each printer language back to
 * its idle state (the table in reset.c names the command each one sends).
 * fp_reset_parse() in flushprinter.h turns a preset name or raw bytes into a
 * buffer.
 */

#ifndef FP_RESET_H
#define FP_RESET_H

#include <stddef.h>
#include <stdint.h>

typedef struct fp_preset_s
{
  const char    *name;        /* "escpos", "pcl", ... */
  const char    *language;    /* tracker that knows this language, or NULL */
  const char    *description; /* one line, for man pages and --help */
  const uint8_t *bytes;
  size_t         len;
} fp_preset_t;

/* The preset called `name` (case-insensitive), or NULL. */
const fp_preset_t *fp_preset_find(const char *name);

/* All presets, terminated by an entry whose name is NULL. */
const fp_preset_t *fp_preset_list(void);

/* The tracker language of the first preset in `spec` that has one, or NULL. */
const char *fp_reset_language(const char *spec);

#endif /* FP_RESET_H */

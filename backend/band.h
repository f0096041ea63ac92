/*
 * The ESC/POS bander (band.c): job bytes in, wire bytes out.  A GS v 0
 * raster image taller than the band height is sent as a run of GS v 0
 * images of at most that many rows, so that a cancel owes the printer at
 * most one band of white rows instead of the rest of the image.  Every
 * other byte passes through unchanged.  Memory is fixed: a header is held
 * (8 bytes at most) until it is known whether it is a raster header; rows
 * are never buffered.
 */

#ifndef FP_BAND_H
#define FP_BAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/language.h"

#define FP_BAND_DEFAULT_ROWS 24 /* band= default */
#define FP_BAND_MAX_ROWS 65535  /* band= largest value (a GS v 0 height) */
#define FP_BAND_HEADER 8        /* GS v 0 m xL xH yL yH */
#define FP_BAND_OUT_MIN 16      /* smallest output room fp_band_run() always progresses with */

typedef struct fp_band_s
{
  unsigned     rows;                   /* band height; 0: every byte passes unchanged */
  fp_tracker_t tracker;                /* ESC/POS, over the bytes given out */
  uint8_t      held[FP_BAND_HEADER];   /* a header taken in, not given out yet */
  size_t       held_len;
  uint8_t      mode;                   /* the banded image's m */
  unsigned     width;                  /* its bytes per row */
  uint64_t     rows_left;              /* its rows not announced by a band header yet */
  uint64_t     band_left;              /* data bytes of the current band still to pass */
  uint64_t     images;                 /* images banded */
  uint64_t     bands;                  /* band headers given out */
} fp_band_t;

/* Start with band height `rows` (0: off). */
void fp_band_init(fp_band_t *band, unsigned rows);

/*
 * Take job bytes from `in` (`len`), give wire bytes into `out` (`size`,
 * at least FP_BAND_OUT_MIN for progress); returns the bytes taken,
 * `*given` the bytes given.  Bytes taken but not given are held (a header).
 */
size_t fp_band_run(fp_band_t *band, const uint8_t *in, size_t len, uint8_t *out, size_t size,
                   size_t *given);

/*
 * No more job bytes for now (end of the job, or a drain): give out the
 * header held, unchanged (its image then passes unbanded).  Returns the
 * bytes given; `size` must be at least FP_BAND_HEADER.
 */
size_t fp_band_release(fp_band_t *band, uint8_t *out, size_t size);

/* Rows of the image in progress that the job announced but never sent (0: none). */
uint64_t fp_band_rows_short(const fp_band_t *band);

/* Forget everything in progress (job data discarded). */
void fp_band_reset(fp_band_t *band);

#endif /* FP_BAND_H */

/*
 * Unit tests for the ESC/POS bander (backend/band.c): a tall GS v 0 image
 * goes out as bands, byte for byte what the same rows announced band by
 * band would be, in every ordinary mode; the output does not depend on how
 * the input is cut or how little room the output has; a band header goes
 * out only with data behind it; everything else (short images, other
 * modes, GS bytes inside data, macros, hostile headers) passes unchanged
 * and never makes the bander hold more than a header; random bytes only
 * ever gain whole band headers, however they are cut.
 */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../backend/band.h"
#include "check-main.h"
#include "fuzz-split.h"

#define BIG (1 << 20)

/* A growable byte string. */
typedef struct bytes_s
{
  uint8_t *p;
  size_t   len;
} bytes_t;

/* Append `n` bytes. */
static void put(bytes_t *b, const void *data, size_t n)
{
  b->p = realloc(b->p, b->len + n + 1);
  ck_assert_ptr_nonnull(b->p);
  memcpy(b->p + b->len, data, n);
  b->len += n;
}

/* Append a GS v 0 header. */
static void put_header(bytes_t *b, uint8_t m, unsigned x, unsigned y)
{
  uint8_t h[8] = { 0x1d, 'v', '0', m, (uint8_t)x, (uint8_t)(x >> 8), (uint8_t)y,
                   (uint8_t)(y >> 8) };

  put(b, h, sizeof(h));
}

/* Rows of `x` bytes, `y` of them, full of GS and other prefix bytes among the pixels. */
static uint8_t *rows_of(unsigned x, unsigned y, uint64_t seed)
{
  uint8_t *d = malloc((size_t)x * y + 1);

  ck_assert_ptr_nonnull(d);
  for (size_t i = 0; i < (size_t)x * y; i++)
  {
    uint64_t r = next_random(&seed);

    d[i] = r % 7 == 0 ? 0x1d : r % 11 == 0 ? 0x1b : (uint8_t)(r >> 24);
  }
  return d;
}

/* Band the whole of `in` in pieces that `seed` chooses (0: one piece), output room `room`. */
static bytes_t run_pieces(unsigned rows, const bytes_t *in, uint64_t seed, size_t room)
{
  fp_band_t *b = malloc(sizeof(*b));
  uint8_t   *out = malloc(room);
  bytes_t    wire = { 0 };
  size_t     at = 0, given;

  ck_assert_ptr_nonnull(b);
  ck_assert_ptr_nonnull(out);
  fp_band_init(b, rows);
  while (at < in->len)
  {
    size_t piece = seed ? 1 + next_random(&seed) % 300 : in->len - at, taken;

    if (piece > in->len - at)
      piece = in->len - at;
    for (size_t done = 0; done < piece; done += taken)
    {
      taken = fp_band_run(b, in->p + at + done, piece - done, out, room, &given);
      ck_assert_uint_le(given, room);
      ck_assert(taken > 0 || given > 0);
      put(&wire, out, given);
    }
    at += piece;
    ck_assert_uint_le(b->held_len, FP_BAND_HEADER);
  }
  put(&wire, out, fp_band_release(b, out, room));
  free(out);
  free(b);
  return wire;
}

/* `got` is `want`, byte for byte; frees `got`. */
static void expect_bytes(bytes_t got, const bytes_t *want)
{
  ck_assert_uint_eq(got.len, want->len);
  ck_assert_mem_eq(got.p, want->p, want->len);
  free(got.p);
}

/* The image `x` x `y` of `data` in mode `m`, as bands of `rows` rows. */
static void put_banded(bytes_t *b, uint8_t m, unsigned x, unsigned y, const uint8_t *data,
                       unsigned rows)
{
  for (unsigned done = 0; done < y; done += rows)
  {
    unsigned h = y - done < rows ? y - done : rows;

    put_header(b, m, x, h);
    put(b, data + (size_t)done * x, (size_t)h * x);
  }
}

/* A receipt around one image: text, the image, text. */
static void receipt(bytes_t *b, uint8_t m, unsigned x, unsigned y, const uint8_t *data,
                    unsigned rows)
{
  put(b, "\x1b@HEAD\n", 7);
  if (rows)
    put_banded(b, m, x, y, data, rows);
  else
  {
    put_header(b, m, x, y);
    put(b, data, (size_t)x * y);
  }
  put(b, "TAIL\n\x1dV\x42\x00", 9);
}

/* A receipt around one image of random rows, as the job sends it and as bands should be. */
typedef struct pair_s
{
  uint8_t *data;
  bytes_t  in, want;
} pair_t;

/* The pair for an image of `x` x `y` in mode `m` and bands of `rows`. */
static pair_t pair_of(uint8_t m, unsigned x, unsigned y, uint64_t seed, unsigned rows)
{
  pair_t p = { rows_of(x, y, seed), { 0 }, { 0 } };

  receipt(&p.in, m, x, y, p.data, 0);
  receipt(&p.want, m, x, y, p.data, rows);
  return p;
}

/* Free a pair. */
static void pair_free(pair_t *p)
{
  free(p->data);
  free(p->in.p);
  free(p->want.p);
}

START_TEST(tall_image_goes_out_as_bands_in_every_mode)
{
  static const uint8_t modes[] = { 0, 1, 2, 3, 48, 49, 50, 51 };

  for (size_t i = 0; i < sizeof(modes); i++)
  {
    pair_t  p = pair_of(modes[i], 72, 1000, i + 1, 24);
    bytes_t got = run_pieces(24, &p.in, 0, BIG);

    ck_assert_uint_eq(got.len, p.in.len + 41 * 8); /* 42 bands: 41 more headers */
    expect_bytes(got, &p.want);
    pair_free(&p);
  }
}
END_TEST

START_TEST(output_does_not_depend_on_the_cuts_or_the_room)
{
  pair_t p = pair_of(0, 48, 301, 99, 17);

  put(&p.in, "\x1d(L\x05\x00\x1dv0\x00\x01", 10); /* a GS v 0 inside a form's data */
  receipt(&p.in, 51, 48, 301, p.data, 0);
  put(&p.want, "\x1d(L\x05\x00\x1dv0\x00\x01", 10);
  receipt(&p.want, 51, 48, 301, p.data, 17);
  for (uint64_t seed = 0; seed < 40; seed++)
  {
    size_t room = seed % 3 == 0 ? FP_BAND_OUT_MIN : seed % 3 == 1 ? 100 : BIG;

    expect_bytes(run_pieces(17, &p.in, seed * 7919, room), &p.want);
  }
  pair_free(&p);
}
END_TEST

START_TEST(every_cut_of_a_small_image)
{
  pair_t  p = pair_of(2, 3, 10, 5, 4);
  bytes_t in = p.in;

  for (size_t cut = 0; cut <= in.len; cut++)
  {
    fp_band_t b;
    uint8_t   out[256];
    bytes_t   got = { 0 };
    size_t    given, taken;

    fp_band_init(&b, 4);
    taken = fp_band_run(&b, in.p, cut, out, sizeof(out), &given);
    ck_assert_uint_eq(taken, cut);
    put(&got, out, given);
    taken = fp_band_run(&b, in.p + cut, in.len - cut, out, sizeof(out), &given);
    ck_assert_uint_eq(taken, in.len - cut);
    put(&got, out, given);
    ck_assert_uint_eq(b.held_len, 0);
    expect_bytes(got, &p.want);
  }
  pair_free(&p);
}
END_TEST

START_TEST(a_band_header_goes_out_only_with_data_behind_it)
{
  unsigned  x = 10, y = 100;
  uint8_t  *data = rows_of(x, y, 3);
  bytes_t   in = { 0 };
  fp_band_t b;
  uint8_t   out[4096];
  size_t    given;

  put_header(&in, 0, x, y);
  put(&in, data, (size_t)x * y);
  fp_band_init(&b, 24);
  /* the header and exactly two bands of rows: two band headers, no third */
  ck_assert_uint_eq(fp_band_run(&b, in.p, 8 + 2 * 24 * x, out, sizeof(out), &given), 8 + 480);
  ck_assert_uint_eq(given, 2 * 8 + 480);
  ck_assert_uint_eq(b.bands, 2);
  ck_assert_uint_eq(fp_band_rows_short(&b), 100 - 48);
  /* a job canceled here owes the printer nothing */
  {
    fp_completion_t c;

    ck_assert(!fp_tracker_completion(&b.tracker, &c));
  }
  /* one more byte: the third header, then the byte */
  ck_assert_uint_eq(fp_band_run(&b, in.p + 488, 1, out, sizeof(out), &given), 1);
  ck_assert_uint_eq(given, 9);
  ck_assert_mem_eq(out, "\x1dv0\x00\x0a\x00\x18\x00", 8);
  free(data);
  free(in.p);
}
END_TEST

START_TEST(ordinary_bytes_pass_unchanged)
{
  static const struct
  {
    const char *what;
    uint8_t     m;
    unsigned    x, y;
  } cases[] = {
    { "no taller than a band", 0, 72, 24 },
    { "another mode", 4, 72, 100 },
    { "a mode number of the other range", 52, 72, 100 },
    { "zero width", 0, 0, 300 },
    { "zero height", 0, 72, 0 },
    { "wider than ESC/POS", 0, 1025, 100 },
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
  {
    uint8_t *data = rows_of(cases[i].x ? cases[i].x : 1, cases[i].y ? cases[i].y : 1, i);
    bytes_t  in = { 0 }, got;

    receipt(&in, cases[i].m, cases[i].x, cases[i].y, data, 0);
    got = run_pieces(24, &in, i + 1, 64);
    ck_assert_msg(got.len == in.len && !memcmp(got.p, in.p, in.len), "%s", cases[i].what);
    free(got.p);
    free(in.p);
    free(data);
  }
}
END_TEST

START_TEST(no_banding_inside_data_or_macros)
{
  unsigned x = 8, y = 60;
  uint8_t *data = rows_of(x, y, 11);
  bytes_t  in = { 0 };

  /* an image inside a macro definition stays whole */
  put(&in, "\x1d:", 2);
  put_header(&in, 0, x, y);
  put(&in, data, (size_t)x * y);
  put(&in, "\x1d:", 2);
  /* a GS v 0 header inside a barcode's data and inside a bit image's data */
  put(&in, "\x1dk\x49\x08\x1dv0\x00\x08\x00\x3c\x00", 12);
  put(&in, "\x1b*\x00\x08\x00\x1dv0\x00\x08\x00\x3c\x00", 13);
  put(&in, "TEXT\n", 5);
  expect_bytes(run_pieces(24, &in, 0, BIG), &in);
  free(in.p);
  free(data);
}
END_TEST

START_TEST(hostile_headers_never_make_it_wait_or_hold)
{
  /* 65535 x 65535: passed at once, the tracker gives up on it, nothing waits */
  static const uint8_t huge[] = { 0x1d, 'v', '0', 0, 0xff, 0xff, 0xff, 0xff, 1, 2, 3 };
  /* 1024 x 65535 (64 MiB announced): banded, each band given as its bytes come */
  static const uint8_t tall[] = { 0x1d, 'v', '0', 0, 0x00, 0x04, 0xff, 0xff, 9 };
  fp_band_t b;
  uint8_t   out[64];
  size_t    given;

  fp_band_init(&b, 24);
  ck_assert_uint_eq(fp_band_run(&b, huge, sizeof(huge), out, sizeof(out), &given), sizeof(huge));
  ck_assert_uint_eq(given, sizeof(huge));
  ck_assert_mem_eq(out, huge, sizeof(huge));
  ck_assert_uint_eq(b.held_len, 0);

  fp_band_init(&b, 24);
  ck_assert_uint_eq(fp_band_run(&b, tall, sizeof(tall), out, sizeof(out), &given), sizeof(tall));
  ck_assert_uint_eq(given, sizeof(tall));
  ck_assert_mem_eq(out, "\x1dv0\x00\x00\x04\x18\x00\x09", 9);
  ck_assert_uint_eq(b.band_left, 24 * 1024 - 1);
  ck_assert_uint_eq(fp_band_rows_short(&b), 65535 - 24);
}
END_TEST

START_TEST(a_header_held_at_a_pause_is_released_unchanged)
{
  static const uint8_t part[] = { 'A', 0x1d, 'v', '0', 0, 0x48 };
  fp_band_t b;
  uint8_t   out[64];
  size_t    given;

  fp_band_init(&b, 24);
  ck_assert_uint_eq(fp_band_run(&b, part, sizeof(part), out, sizeof(out), &given), sizeof(part));
  ck_assert_uint_eq(given, 1);
  ck_assert_uint_eq(b.held_len, 5);
  ck_assert_uint_eq(fp_band_release(&b, out, sizeof(out)), 5);
  ck_assert_mem_eq(out, part + 1, 5);
  /* the rest of that image then passes as the job sent it */
  ck_assert_uint_eq(fp_band_run(&b, (const uint8_t *)"\x00\x64\x00", 3, out, sizeof(out), &given),
                    3);
  ck_assert_uint_eq(given, 3);
  ck_assert_uint_eq(b.images, 0);
}
END_TEST

START_TEST(garbage_is_cut_invariant_and_only_gains_headers)
{
  for (uint64_t seed = 1; seed <= 30; seed++)
  {
    uint64_t r = seed * 0x9e3779b97f4a7c15u;
    bytes_t  in = { 0 }, whole;

    /* random bytes, dense in GS v 0 headers of every size and mode */
    for (int i = 0; i < 400; i++)
    {
      uint8_t chunk[16];
      size_t  n = 1 + next_random(&r) % sizeof(chunk);

      for (size_t k = 0; k < n; k++)
        chunk[k] = (uint8_t)next_random(&r);
      if (next_random(&r) % 4 == 0)
        memcpy(chunk, "\x1dv0", n < 3 ? n : 3);
      put(&in, chunk, n);
    }
    whole = run_pieces(3, &in, 0, BIG);
    ck_assert_uint_ge(whole.len, in.len);
    ck_assert_uint_eq((whole.len - in.len) % FP_BAND_HEADER, 0);
    expect_bytes(run_pieces(3, &in, seed, FP_BAND_OUT_MIN), &whole);
    free(in.p);
    free(whole.p);
  }
}
END_TEST

START_TEST(band_zero_is_a_plain_copy)
{
  unsigned x = 72, y = 500;
  uint8_t *data = rows_of(x, y, 8);
  bytes_t  in = { 0 };

  receipt(&in, 0, x, y, data, 0);
  expect_bytes(run_pieces(0, &in, 42, 1000), &in);
  free(in.p);
  free(data);
}
END_TEST

/* The suite. */
static Suite *band_suite(void)
{
  Suite *s = suite_create("band");
  TCase *tc = tcase_create("band");

  tcase_add_test(tc, tall_image_goes_out_as_bands_in_every_mode);
  tcase_add_test(tc, output_does_not_depend_on_the_cuts_or_the_room);
  tcase_add_test(tc, every_cut_of_a_small_image);
  tcase_add_test(tc, a_band_header_goes_out_only_with_data_behind_it);
  tcase_add_test(tc, ordinary_bytes_pass_unchanged);
  tcase_add_test(tc, no_banding_inside_data_or_macros);
  tcase_add_test(tc, hostile_headers_never_make_it_wait_or_hold);
  tcase_add_test(tc, a_header_held_at_a_pause_is_released_unchanged);
  tcase_add_test(tc, garbage_is_cut_invariant_and_only_gains_headers);
  tcase_add_test(tc, band_zero_is_a_plain_copy);
  suite_add_tcase(s, tc);
  return s;
}

/* Run the suite; exit status 0 only when every test passed. */
int main(void)
{
  return fp_run_suite(band_suite());
}

/*
 * Unit tests for the language registry, the tracker wrappers and the ESC/POS
 * tracker (engine/language.c, engine/language-escpos.c): commands cut at every
 * offset, completions that leave the printer idle, split feeds, parameters
 * that look like command prefixes.
 */

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check-main.h"
#include "flushprinter.h"
#include "tracker-test.h"

#define ESC 0x1b
#define GS 0x1d
#define FS 0x1c
#define DLE 0x10

/* A tracker for ESC/POS that has seen `len` bytes of `data`. */
static fp_tracker_t escpos_fed(const void *data, size_t len)
{
  tt_language = &fp_language_escpos;
  return tt_fed(data, len);
}

/* Feed the tracker its own completion; it must be idle afterwards. */
static void complete(fp_tracker_t *t)
{
  fp_completion_t c;

  if (!fp_tracker_completion(t, &c))
    return;
  ck_assert_uint_le(c.prefix_len, FP_COMPLETION_PREFIX_MAX);
  ck_assert_uint_eq(c.fill_byte, 0);
  fp_tracker_feed(t, c.prefix, c.prefix_len);
  tt_feed_fill(t, c.fill_byte, c.fill_count);
  fp_tracker_feed(t, c.suffix, c.suffix_len);
  ck_assert_msg(!tt_mid(t), "still mid-command after its completion");
}

/* An idle tracker must take ESC @ and a raster header as commands. */
static void check_sees_commands(const fp_tracker_t *idle)
{
  static const uint8_t raster[] = { GS, 'v', '0', 0, 3, 0, 2, 0 };
  fp_tracker_t         t = *idle;
  fp_completion_t      c;

  fp_tracker_feed(&t, "\x1b", 1);
  ck_assert(fp_tracker_completion(&t, &c));
  ck_assert_uint_eq(c.prefix_len, 1);
  ck_assert_uint_eq(c.prefix[0], '@');
  ck_assert_uint_eq(c.fill_count, 0);
  fp_tracker_feed(&t, "@", 1);
  ck_assert(!tt_mid(&t));

  fp_tracker_feed(&t, raster, sizeof(raster));
  ck_assert(fp_tracker_completion(&t, &c));
  ck_assert_uint_eq(c.prefix_len, 0);
  ck_assert_uint_eq(c.fill_count, 6);
  tt_feed_fill(&t, 0, 6);
  ck_assert(!tt_mid(&t));
}

/* Expect the completion after `cut` bytes of `job` to be `prefix` then `fill` zeros. */
static void expect_completion(const bytes_t *job, size_t cut, bytes_t prefix, uint64_t fill)
{
  fp_tracker_t    t = escpos_fed(job->data, cut);
  fp_completion_t c;

  ck_assert_msg(fp_tracker_completion(&t, &c), "not mid-command after %zu bytes", cut);
  ck_assert_msg(c.prefix_len == prefix.len, "after %zu bytes: prefix of %zu bytes, expected %zu",
                cut, c.prefix_len, prefix.len);
  ck_assert_msg(!memcmp(c.prefix, prefix.data, prefix.len), "after %zu bytes: wrong prefix", cut);
  ck_assert_msg(c.fill_count == fill, "after %zu bytes: fill %llu, expected %llu", cut,
                (unsigned long long)c.fill_count, (unsigned long long)fill);
  ck_assert_uint_eq(fp_completion_size(&c), prefix.len + fill);
}

/*
 * Cut `job` after every offset: mid-command exactly inside [start, end)
 * (after the first byte of the command, before its last), and the completion
 * always returns the printer to text, where commands are seen again.
 */
static void check_every_cut(const bytes_t *job, size_t start, size_t end)
{
  for (size_t cut = 0; cut <= job->len; cut++)
  {
    fp_tracker_t t = escpos_fed(job->data, cut);
    bool         inside = cut > start && cut < end;
    bool         lone_dle = cut == start + 1 && (uint8_t)job->data[start] == DLE;

    ck_assert_msg(tt_mid(&t) == (inside && !lone_dle), "cut at %zu of [%zu, %zu): %s", cut,
                  start, end, inside ? "should be mid-command" : "should be idle");
    complete(&t);
    check_sees_commands(&t);
  }
}

/* A raster job: text, GS v 0 with 3 x 4 bytes of data that look like prefixes, text. */
static const char raster_job[] = "Hi\n\x1dv0\x00\x03\x00\x04\x00"
                                 "\x1b\x1d\x1c\x10\x1b@\x1d" "V\x00\x10\x04\x01"
                                 "Bye\n";
#define RASTER_START 3
#define RASTER_DATA 11
#define RASTER_END 23

START_TEST(raster_cut_everywhere)
{
  bytes_t job = B(raster_job);

  check_every_cut(&job, RASTER_START, RASTER_END);
  /* header cuts: the missing header bytes, sized so that no data is owed unless known */
  expect_completion(&job, RASTER_START + 1, (bytes_t)B("B\0"), 0);
  expect_completion(&job, RASTER_START + 2, (bytes_t)B("0\0\0\0\0\0"), 0);
  expect_completion(&job, RASTER_START + 3, (bytes_t)B("\0\0\0\0\0"), 0);
  expect_completion(&job, RASTER_START + 4, (bytes_t)B("\0\0\0\0"), 0);
  expect_completion(&job, RASTER_START + 5, (bytes_t)B("\0\0\0"), 0);
  expect_completion(&job, RASTER_START + 6, (bytes_t)B("\0\0"), 0);
  expect_completion(&job, RASTER_START + 7, (bytes_t)B("\0"), 12);
  /* data cuts: white pixels for the rest */
  for (size_t cut = RASTER_DATA; cut < RASTER_END; cut++)
    expect_completion(&job, cut, (bytes_t)B(""), RASTER_END - cut);
}
END_TEST

/* A bit-image job: ESC * 33 (24-dot) with 2 columns = 6 bytes, then ESC * 0 with 3 bytes. */
static const char bit_image_job[] = "A\x1b*\x21\x02\x00\x1b\x1d\x10\x04\x1c\x1b"
                                    "\x1b*\x00\x03\x00\x1d\x1b\x1d" "B";
#define BITS_START 1
#define BITS_DATA 6
#define BITS_END 12
#define BITS2_END 20

START_TEST(bit_image_cut_everywhere)
{
  bytes_t job = B(bit_image_job);

  bytes_t first = { bit_image_job, BITS_END };
  bytes_t second = { bit_image_job + BITS_END, BITS2_END + 1 - BITS_END };

  check_every_cut(&first, BITS_START, BITS_END);
  check_every_cut(&second, 0, BITS2_END - BITS_END);
  expect_completion(&job, BITS_START + 1, (bytes_t)B("@"), 0);
  expect_completion(&job, BITS_START + 2, (bytes_t)B("\0\0\0"), 0);
  expect_completion(&job, BITS_START + 3, (bytes_t)B("\0\0"), 0);
  expect_completion(&job, BITS_START + 4, (bytes_t)B("\0"), 6);
  for (size_t cut = BITS_DATA; cut < BITS_END; cut++)
    expect_completion(&job, cut, (bytes_t)B(""), BITS_END - cut);
  for (size_t cut = BITS_END + 5; cut < BITS2_END; cut++)
    expect_completion(&job, cut, (bytes_t)B(""), BITS2_END - cut);
  /* an m outside 0, 1, 32, 33 ends the command: nL is normal data */
  {
    fp_tracker_t t = escpos_fed("\x1b*\x05", 3);

    ck_assert(!tt_mid(&t));
  }
}
END_TEST

/*
 * One complete command of each kind the tracker knows; parameters that can
 * be anything are 0x1B/0x1D/0x1C/0x10 where possible, last where possible,
 * so that taking one for a command prefix would leave the tracker busy.
 */
static const bytes_t catalogue[] = {
  B("\x1b@"), B("\x1b!\x1b"), B("\x1b-\x1d"), B("\x1b" "2"), B("\x1b" "3\x1b"),
  B("\x1b" "a\x1c"), B("\x1b" "d\x1b"), B("\x1b" "E\x10"), B("\x1bG\x1b"), B("\x1bJ\x1d"),
  B("\x1bM\x1b"), B("\x1bR\x1b"), B("\x1bt\x1d"), B("\x1b{\x1b"), B("\x1bV\x1b"),
  B("\x1b$\x1b\x1d"), B("\x1b\\\x1d\x1b"), B("\x1bp\x00\x1b\x1d"), B("\x1b \x1b"),
  B("\x1b%\x1b"), B("\x1b?\x1b"), B("\x1b" "D\x08\x10\x1b\x1d\x00"), B("\x1b" "B\x1b\x1d"),
  B("\x1bT\x1b"), B("\x1br\x1b"), B("\x1bU\x1b"), B("\x1b" "c3\x1b"), B("\x1b" "c5\x1d"),
  B("\x1b=\x1b"), B("\x1bW\x1b\x1d\x1b\x1d\x1b\x1d\x1b\x1d"), B("\x1b" "e\x1b"),
  B("\x1b*\x00\x02\x00\x1b\x1d"), B("\x1b*\x21\x01\x00\x1b\x1d\x1c"),
  B("\x1b&\x03" "AB\x02\x1b\x1d\x1c\x10\x1b\x1d\x01\x1b\x1d\x1b"),
  B("\x1b(A\x04\x00\x30\x1b\x1d\x1b"),
  B("\x1d!\x1b"), B("\x1d" "B\x1d"), B("\x1dH\x1b"), B("\x1dh\x1d"), B("\x1dw\x1b"),
  B("\x1d" "f\x1b"), B("\x1dI\x1b"), B("\x1dr\x1b"), B("\x1d" "a\x1b"), B("\x1d" "b\x1b"),
  B("\x1dL\x1b\x1d"), B("\x1dW\x1d\x1b"), B("\x1dP\x1b\x1d"), B("\x1d$\x1b\x1d"),
  B("\x1d\\\x1b\x1d"), B("\x1d^\x1b\x1d\x1b"), B("\x1d/\x1b"), B("\x1dT\x1b"),
  B("\x1dg2\x00\x1b\x1d"), B("\x1dz0\x1b\x1d"), B("\x1dV\x00"), B("\x1dV\x31"),
  B("\x1dV\x42\x1b"), B("\x1dk\x04" "A\x1b\x1d" "B\x00"), B("\x1dk\x45\x03\x1b\x1d\x1c"),
  B("\x1dv0\x00\x02\x00\x02\x00\x1b\x1d\x10\x1b"), B("\x1d(k\x04\x00\x1b\x1d\x1c\x10"),
  B("\x1d" "8L\x03\x00\x00\x00\x1b\x1d\x10"),
  B("\x1d*\x01\x01\x1b\x1d\x1c\x10\x1b\x1d\x1c\x1b"), B("\x1d:\x1d:"), B("\x1d" "c"),
  B("\x1cp\x01\x1b"), B("\x1c!\x1b"), B("\x1c&"), B("\x1c."), B("\x1c-\x1b"),
  B("\x1c?\x1b\x1d"), B("\x1c" "C\x1b"), B("\x1cS\x1b\x1d"), B("\x1cW\x1b"),
  B("\x1c(A\x02\x00\x1b\x1d"),
  B("\x1cq\x02\x01\x00\x01\x00\x1b\x1d\x1c\x10\x1b\x1d\x1c\x1b\x01\x00\x01\x00\x1b\x1d\x1c"
    "\x10\x1b\x1d\x1c\x1d"),
  B("\x10\x04\x01"), B("\x10\x04\x07\x1b"), B("\x10\x04\x08\x1d"), B("\x10\x05\x1b"),
  B("\x10\x14\x01\x00\x1b"), B("\x10\x14\x02\x01\x08"), B("\x10\x14\x03\x1b\x1d\x1b\x1d\x1b"),
  B("\x10\x14\x07\x1b"), B("\x10\x14\x08\x01\x03\x14\x01\x06\x02\x08"),
  B("\x1bx"), B("\x1d\x7f"), B("\x1c\xff"),
};

#define CATALOGUE_SIZE (sizeof(catalogue) / sizeof(catalogue[0]))

/* The catalogue entry `i` between two lines of text. */
static size_t framed_command(size_t i, char *buf, size_t size)
{
  size_t len = 0;

  ck_assert_uint_lt(catalogue[i].len + 8, size);
  memcpy(buf, "ab\n", 3);
  len = 3;
  memcpy(buf + len, catalogue[i].data, catalogue[i].len);
  len += catalogue[i].len;
  memcpy(buf + len, "cd\n", 3);
  return len + 3;
}

START_TEST(catalogue_cut_everywhere)
{
  char buf[64];

  for (size_t i = 0; i < CATALOGUE_SIZE; i++)
  {
    bytes_t job = { buf, framed_command(i, buf, sizeof(buf)) };

    check_every_cut(&job, 3, 3 + catalogue[i].len);
  }
}
END_TEST

START_TEST(prefix_valued_parameters)
{
  /* every catalogue command ends idle, even with 0x1B/0x1D as its last parameter */
  for (size_t i = 0; i < CATALOGUE_SIZE; i++)
  {
    fp_tracker_t t = escpos_fed(catalogue[i].data, catalogue[i].len);

    ck_assert_msg(!tt_mid(&t), "catalogue entry %zu left the tracker mid-command", i);
    check_sees_commands(&t);
  }
}
END_TEST

START_TEST(fixed_parameter_completions)
{
  /* a fixed-size header is completed by exactly its missing bytes */
  static const struct
  {
    bytes_t  sent;
    bytes_t  prefix;
    uint64_t fill;
  } cases[] = {
    { B("\x1b!"), B("\0"), 0 },
    { B("\x1b$"), B("\0\0"), 0 },
    { B("\x1b$\x05"), B("\0"), 0 },
    { B("\x1bp"), B("\0\0\0"), 0 },
    { B("\x1b="), B("\x01"), 0 },
    { B("\x1b" "c"), B("5\0"), 0 },
    { B("\x1b" "c3"), B("\0"), 0 },
    { B("\x1bW\x01\x02"), B("\0\0\0\0\0\0"), 0 },
    { B("\x1d"), B("B\0"), 0 },
    { B("\x1c"), B("."), 0 },
    { B("\x1dV"), B("1"), 0 },
    { B("\x1dV\x41"), B("\0"), 0 },
    { B("\x1dg"), B("2\0\0\0"), 0 },
    { B("\x1dz"), B("0\0\0"), 0 },
    { B("\x10\x04"), B("\0"), 0 },
    { B("\x10\x04\x07"), B("\0"), 0 },
    { B("\x10\x05"), B("\0"), 0 },
    { B("\x10\x14"), B("\0"), 0 },
    { B("\x10\x14\x08\x01"), B("\0\0\0\0\0\0"), 0 },
    { B("\x1dk\x41"), B("\0"), 0 },
    { B("\x1d(k"), B("\0\0"), 0 },
    { B("\x1b("), B("A\0\0"), 0 },
    { B("\x1d" "8"), B("L\0\0\0\0"), 0 },
    { B("\x1d*"), B("\0\0"), 0 },
    { B("\x1cq"), B("\0"), 0 },
    { B("\x1b&"), B("\x03\x20\x20"), 1 }, /* then x = 0 for the one character */
    { B("\x1b*\x21\x05"), B("\0"), 15 },   /* nH = 0: 5 columns of 3 bytes */
    { B("\x1dk"), B("\0"), 1 },              /* m = 0, then an empty barcode */
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    expect_completion(&cases[i].sent, cases[i].sent.len, cases[i].prefix, cases[i].fill);
}
END_TEST

START_TEST(records_complete_with_zeros)
{
  /* ESC & y c1 c2 then for each character x and y*x bytes */
  bytes_t chars = B("\x1b&\x03" "AC\x02\x01\x02\x03\x04\x05\x06\x00\x01\x01\x02\x03");

  expect_completion(&chars, 3, (bytes_t)B("  "), 1);      /* after y: c1 = c2 = ' ' */
  expect_completion(&chars, 4, (bytes_t)B("A"), 1);       /* c2 = c1: one character, x = 0 */
  expect_completion(&chars, 5, (bytes_t)B(""), 3);        /* three x bytes */
  expect_completion(&chars, 6, (bytes_t)B(""), 6 + 2);    /* data, then two x = 0 */
  expect_completion(&chars, 9, (bytes_t)B(""), 3 + 2);
  expect_completion(&chars, 12, (bytes_t)B(""), 2);       /* the second x is next */
  expect_completion(&chars, 13, (bytes_t)B(""), 1);       /* x = 0 sent: the third x */
  expect_completion(&chars, 15, (bytes_t)B(""), 2);
  check_every_cut(&chars, 0, chars.len);

  /* FS q n then for each image xL xH yL yH and x*y*8 bytes */
  {
    char    buf[64] = "\x1cq\x02\x01\x00\x01\x00";
    bytes_t images;

    memset(buf + 7, 0x1b, 8);
    memcpy(buf + 15, "\x01\x00\x01\x00", 4);
    memset(buf + 19, 0x1d, 8);
    images = (bytes_t){ buf, 27 };
    expect_completion(&images, 2, (bytes_t)B("\0"), 0);   /* n = 0: no image */
    expect_completion(&images, 3, (bytes_t)B(""), 8);     /* two zero-sized images */
    expect_completion(&images, 4, (bytes_t)B("\0\0\0"), 4); /* x = 1, y = 0, then one more */
    expect_completion(&images, 7, (bytes_t)B(""), 8 + 4);
    expect_completion(&images, 15, (bytes_t)B(""), 4);
    expect_completion(&images, 18, (bytes_t)B("\0"), 8);  /* x = 1, yL = 1, yH = 0: 8 bytes */
    check_every_cut(&images, 0, images.len);
  }
}
END_TEST

START_TEST(nul_terminated_data)
{
  bytes_t barcode = B("\x1dk\x04" "AB\x1b\x1d\x00" "x");
  bytes_t tabs = B("\x1b" "D\x08\x10\x00" "x");
  char    many[40];

  expect_completion(&barcode, 2, (bytes_t)B("\0"), 1); /* m = 0, then an empty barcode */
  for (size_t cut = 3; cut < 8; cut++)
    expect_completion(&barcode, cut, (bytes_t)B(""), 1);
  check_every_cut(&barcode, 0, 8);
  for (size_t cut = 2; cut < 5; cut++)
    expect_completion(&tabs, cut, (bytes_t)B(""), 1);
  check_every_cut(&tabs, 0, 5);

  /* a tab list ends after 32 values even without NUL */
  many[0] = ESC;
  many[1] = 'D';
  for (int i = 0; i < 32; i++)
    many[2 + i] = (char)(i + 1);
  {
    fp_tracker_t t = escpos_fed(many, 33);

    ck_assert(tt_mid(&t));
    fp_tracker_feed(&t, many + 33, 1);
    ck_assert(!tt_mid(&t));
  }
}
END_TEST

START_TEST(long_lengths)
{
  /* the largest plausible raster (1024 x 65535) and GS 8 L length (16 MiB) */
  bytes_t      raster = B("\x1dv0\x00\x00\x04\xff\xff");
  bytes_t      form = B("\x1d" "8L\x00\x00\x00\x01");
  fp_tracker_t t = escpos_fed(raster.data, raster.len);

  expect_completion(&raster, raster.len, (bytes_t)B(""), 1024ull * 65535ull);
  expect_completion(&form, form.len, (bytes_t)B(""), 1ull << 24);
  /* skipping the data is one step per feed, whatever its size */
  tt_feed_fill(&t, 0x1b, 1024ull * 65535ull - 1);
  ck_assert(tt_mid(&t));
  fp_tracker_feed(&t, "\x1b", 1);
  ck_assert(!tt_mid(&t));
  ck_assert_uint_eq(t.accepted, raster.len + 1024ull * 65535ull);
}
END_TEST

/* Implausible completion after `len` bytes of `job` (the tracker may not be lost yet). */
static void expect_implausible_cut(const char *job, size_t len)
{
  fp_tracker_t    t = escpos_fed(job, len);
  fp_completion_t c;

  ck_assert(fp_tracker_completion(&t, &c));
  ck_assert_msg(c.implausible, "a plausible completion after %zu bytes", len);
  ck_assert_uint_eq(c.prefix_len + c.suffix_len, 0);
}

START_TEST(bounds)
{
  tt_language = &fp_language_escpos;
  /* GS v 0: rows of at most 1024 bytes (8192 dots), any 16-bit height */
  tt_expect(&(bytes_t)B("\x1dv0\x00\x00\x04\x01\x00"), 8, (bytes_t)B(""), 1024, 0);
  tt_expect(&(bytes_t)B("\x1dv0\x00\x00\x04\xff\xff"), 8, (bytes_t)B(""), 1024ull * 65535, 0);
  tt_expect_implausible(&(bytes_t)B("\x1dv0\x00\x01\x04\x01\x00"), 1025);
  /* the crafted job of issue 10: 65535 x 65535 */
  tt_expect_implausible(&(bytes_t)B("\x1b@\x1dv0\x00\xff\xff\xff\xff"), 65535ull * 65535ull);
  /* cut after too wide a width: implausible whatever height would follow */
  expect_implausible_cut("\x1dv0\x00\x01\x04", 6);
  expect_implausible_cut("\x1dv0\x00\x01\x04\x07", 7);
  /* ESC *: at most 8192 columns (of 3 bytes in the 24-dot modes) */
  tt_expect(&(bytes_t)B("\x1b*\x21\x00\x20"), 5, (bytes_t)B(""), 8192 * 3, 0);
  tt_expect(&(bytes_t)B("\x1b*\x00\x00\x20"), 5, (bytes_t)B(""), 8192, 0);
  tt_expect_implausible(&(bytes_t)B("\x1b*\x21\x01\x20"), 8193 * 3);
  tt_expect_implausible(&(bytes_t)B("\x1b*\x01\xff\xff"), 65535);
  /* GS 8 L: at most 16 MiB */
  tt_expect(&(bytes_t)B("\x1d" "8L\x00\x00\x00\x01"), 7, (bytes_t)B(""), 1ull << 24, 0);
  tt_expect_implausible(&(bytes_t)B("\x1d" "8L\x01\x00\x00\x01"), (1ull << 24) + 1);
  tt_expect_implausible(&(bytes_t)B("\x1d" "8L\xff\xff\xff\xff"), 0xffffffffull);
  /* FS q: images of at most 1024 x 1024 bytes of 8 dots; the second image counts too */
  tt_expect(&(bytes_t)B("\x1cq\x01\x00\x04\x00\x04"), 7, (bytes_t)B(""), 1024ull * 1024 * 8, 0);
  tt_expect_implausible(&(bytes_t)B("\x1cq\x01\x01\x04\x01\x00"), 1025 * 8);
  tt_expect_implausible(&(bytes_t)B("\x1cq\x01\x01\x00\x01\x04"), 1025 * 8);
  tt_expect_implausible(&(bytes_t)B("\x1cq\x02\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00"
                                    "\x00\x01\x00\x01\x04"),
                        1025 * 8);
  /* lost until init: a real command afterwards is not followed, init clears it */
  {
    fp_tracker_t    t = escpos_fed("\x1dv0\x00\xff\xff\xff\xff", 8);
    fp_completion_t c;

    fp_tracker_feed(&t, "\x1b@\x1dv0\x00\x01\x00\x01\x00", 10);
    ck_assert(fp_tracker_completion(&t, &c));
    ck_assert(c.implausible);
    ck_assert_uint_eq(c.fill_count, 65535ull * 65535ull);
    fp_tracker_init(&t, &fp_language_escpos);
    ck_assert(!tt_mid(&t));
  }
  /* ESC/POS has no resynchronisation: a printer in raster data takes its count */
  ck_assert_ptr_null(fp_language_escpos.resync);
  ck_assert_uint_eq(fp_language_escpos.resync_len, 0);
}
END_TEST

/* The CUPS test page, and a PostScript file made from it. */
#define TESTPAGE_PDF "/usr/share/cups/data/default-testpage.pdf"

/*
 * The largest plausible completion of each tracker, from the bounds in its
 * file's header: the largest data a plausible command owes, and the most
 * prefix and suffix bytes around it.
 */
static const struct
{
  const char *name;
  uint64_t    max;
} plausible_max[] = {
  { "escpos", 1024ull * 65535 + FP_COMPLETION_PREFIX_MAX },          /* GS v 0 */
  { "pcl", (1ull << 20) + FP_COMPLETION_PREFIX_MAX },                /* ESC*b#W */
  { "escp", (128ull << 20) + FP_COMPLETION_PREFIX_MAX + FP_COMPLETION_SUFFIX_MAX }, /* ESC i, RLE */
  { "zpl", (128ull << 20) + FP_COMPLETION_PREFIX_MAX + FP_COMPLETION_SUFFIX_MAX },  /* ~DG, w = 0 */
  { "epl", (64ull << 20) + FP_COMPLETION_PREFIX_MAX },               /* GM */
  { "dymo", 256 },                                                   /* ESC D 255, SYN */
  { "escpr", 65535 + FP_COMPLETION_PREFIX_MAX + FP_COMPLETION_SUFFIX_MAX },         /* dsnd */
};

/* Read all of `path` into a new buffer; NULL when it cannot be read. */
static uint8_t *read_all(const char *path, size_t *len)
{
  FILE    *f = fopen(path, "rb");
  uint8_t *data = NULL;
  long     size;

  if (!f)
    return NULL;
  if (!fseek(f, 0, SEEK_END) && (size = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET)
      && (data = malloc((size_t)size)) && fread(data, 1, (size_t)size, f) == (size_t)size)
    *len = (size_t)size;
  else
  {
    free(data);
    data = NULL;
  }
  fclose(f);
  return data;
}

/*
 * Feed `data` to every tracker and take its completion at every cut: no
 * plausible completion may exceed the tracker's bound.  Prints the largest
 * plausible completion per tracker, and how many cuts were implausible.
 */
static void check_document(const char *what, const uint8_t *data, size_t len)
{
  for (size_t i = 0; i < sizeof(plausible_max) / sizeof(plausible_max[0]); i++)
  {
    const fp_language_t *language = fp_language_find(plausible_max[i].name);
    fp_tracker_t         t;
    fp_completion_t      c;
    uint64_t             largest = 0, largest_at = 0, implausible = 0, first_implausible = 0;

    ck_assert_ptr_nonnull(language);
    fp_tracker_init(&t, language);
    for (size_t cut = 0; cut <= len; cut++)
    {
      if (fp_tracker_completion(&t, &c))
      {
        if (c.implausible && !implausible++)
          first_implausible = cut;
        else if (!c.implausible && fp_completion_size(&c) > largest)
        {
          largest = fp_completion_size(&c);
          largest_at = cut;
        }
      }
      if (cut < len)
        fp_tracker_feed(&t, data + cut, 1);
    }
    printf("%s, %-6s: largest plausible completion %" PRIu64 " bytes (cut %" PRIu64
           "), bound %" PRIu64 "; %" PRIu64 " of %zu cuts implausible",
           what, language->name, largest, largest_at, plausible_max[i].max, implausible, len + 1);
    if (implausible)
      printf(" (from cut %" PRIu64 ")", first_implausible);
    putchar('\n');
    ck_assert_msg(largest <= plausible_max[i].max, "%s: %s completion of %" PRIu64 " bytes",
                  what, language->name, largest);
  }
}

START_TEST(documents_stay_within_bounds)
{
  char     ps[] = "/tmp/fp-testpage-XXXXXX";
  char     command[256];
  int      fd;
  size_t   len = 0;
  uint8_t *data = read_all(TESTPAGE_PDF, &len);

  if (!data)
  {
    printf("no %s: document bounds not checked\n", TESTPAGE_PDF);
    return;
  }
  check_document("test page PDF", data, len);
  free(data);

  /* PostScript as cups-filters makes it from the same page (pdftops, poppler-utils) */
  ck_assert_int_ge(fd = mkstemp(ps), 0);
  close(fd);
  snprintf(command, sizeof(command), "pdftops %s %s 2>/dev/null", TESTPAGE_PDF, ps);
  if (system(command) == 0 && (data = read_all(ps, &len)))
  {
    check_document("test page PostScript", data, len);
    free(data);
  }
  else
    printf("pdftops failed: PostScript bounds not checked\n");
  unlink(ps);
}
END_TEST

START_TEST(text_is_not_mid_command)
{
  static const uint8_t prefixes[] = { ESC, GS, FS, DLE };
  fp_tracker_t         t;

  /* every byte value except the four prefixes is text */
  tt_language = &fp_language_escpos;
  tt_only_text(prefixes, sizeof(prefixes));
  /* unknown commands take no parameters */
  t = escpos_fed("\x1bx\x1d\x01\x1c\x80", 6);
  ck_assert(!tt_mid(&t));
  /* DLE before a non-real-time byte is not a command: the byte is processed normally */
  t = escpos_fed("\x10" "A", 2);
  ck_assert(!tt_mid(&t));
  t = escpos_fed("\x10\x1b", 2);
  ck_assert(tt_mid(&t));
  t = escpos_fed("\x10\x10\x04", 3);
  ck_assert(tt_mid(&t));
  /* a lone DLE needs no completion */
  t = escpos_fed("\x10", 1);
  ck_assert(!tt_mid(&t));
  check_sees_commands(&t);
}
END_TEST

/* A macro definition (GS : ... GS :) is ended by the completion, whatever was cut in it. */
START_TEST(macro_definition)
{
  static const piece_t job[] = {
    TXT("a"),
    CMD("\x1d:" "AB\x1b" "E\x01\x1dv0\x00\x02\x00\x01\x00\xff\x1d\x3a\xff\n\x1b@\x1d:"),
    TXT("b"),
    CMD("\x1d:\x1d^\x01\x00\x00"), /* GS ^ in a definition aborts it */
    TXT("c\n"),
  };
  bytes_t      open_text = B("\x1d:RECEIPT\n");
  bytes_t      open_raster = B("\x1d:\x1dv0\x00\x02\x00\x01\x00\xff");
  bytes_t      open_dle = B("\x1d:\x10");
  fp_tracker_t t;

  tt_language = &fp_language_escpos;
  tt_probe = check_sees_commands;
  tt_expect_suffix(&open_text, open_text.len, (bytes_t)B(""), 0, 0, (bytes_t)B("\x1d:"));
  tt_expect_suffix(&open_text, 2, (bytes_t)B(""), 0, 0, (bytes_t)B("\x1d:"));
  tt_expect_suffix(&open_raster, open_raster.len, (bytes_t)B(""), 1, 0, (bytes_t)B("\x1d:"));
  tt_expect_suffix(&open_raster, 3, (bytes_t)B("B\x00"), 0, 0, (bytes_t)B("\x1d:"));
  tt_expect_suffix(&open_dle, open_dle.len, (bytes_t)B(""), 0, 0, (bytes_t)B("\x1d:"));
  tt_expect_idle(&(bytes_t)B("\x1d:\x1d:"), 4);
  /* ESC @ does not end a definition */
  t = escpos_fed("\x1d:\x1b@", 4);
  ck_assert(tt_mid(&t));
  tt_flush(&t);
  tt_driver_job(PIECES(job));
}
END_TEST

/* A long job: every catalogue command, the raster and bit-image jobs, text between. */
static size_t build_mixed_job(uint8_t *buf, size_t size)
{
  size_t len = 0;

  for (int round = 0; round < 3; round++)
  {
    for (size_t i = 0; i < CATALOGUE_SIZE; i++)
    {
      ck_assert_uint_lt(len + catalogue[i].len + 4, size);
      memcpy(buf + len, catalogue[i].data, catalogue[i].len);
      len += catalogue[i].len;
      memcpy(buf + len, "txt\n", 4);
      len += 4;
    }
    memcpy(buf + len, raster_job, sizeof(raster_job) - 1);
    len += sizeof(raster_job) - 1;
    memcpy(buf + len, bit_image_job, sizeof(bit_image_job) - 1);
    len += sizeof(bit_image_job) - 1;
  }
  return len;
}

START_TEST(split_feeds_are_equivalent)
{
  static uint8_t job[8192];
  size_t         len = build_mixed_job(job, sizeof(job));
  fp_tracker_t   whole = escpos_fed(job, len);

  tt_language = &fp_language_escpos;
  tt_split_feeds(job, len);
  ck_assert(!tt_mid(&whole));
}
END_TEST

START_TEST(registry)
{
  const fp_language_t *const *list = fp_language_list();
  size_t                      n = 0;

  ck_assert_ptr_eq(fp_language_find("escpos"), &fp_language_escpos);
  ck_assert_ptr_eq(fp_language_find("ESCPOS"), &fp_language_escpos);
  ck_assert_ptr_eq(fp_language_find("None"), &fp_language_none);
  ck_assert_ptr_null(fp_language_find("pcl6"));
  ck_assert_ptr_null(fp_language_find(NULL));
  for (; list[n]; n++)
  {
    uint8_t *reset = NULL;
    size_t   reset_len;

    ck_assert_ptr_eq(fp_language_find(list[n]->name), list[n]);
    ck_assert_uint_le(list[n]->state_size, FP_TRACKER_STATE_MAX);
    ck_assert_int_eq(fp_reset_parse(list[n]->reset_preset, &reset, &reset_len, NULL, 0), FP_OK);
    free(reset);
  }
  ck_assert_uint_eq(n, 8);
  ck_assert_str_eq(fp_preset_find(fp_language_escpos.reset_preset)->language, "escpos");
}
END_TEST

START_TEST(none_language)
{
  fp_tracker_t    t;
  fp_completion_t c;

  fp_tracker_init(&t, NULL);
  ck_assert_ptr_eq(t.language, &fp_language_none);
  fp_tracker_feed(&t, "\x1dv0\x00\x01\x00\x01\x00", 8);
  ck_assert_uint_eq(t.accepted, 8);
  memset(&c, 0xff, sizeof(c));
  ck_assert(!fp_tracker_completion(&t, &c));
  ck_assert_uint_eq(fp_completion_size(&c), 0);
  ck_assert_uint_eq(c.prefix_len, 0);

  /* a zeroed tracker behaves as "none" */
  memset(&t, 0, sizeof(t));
  fp_tracker_feed(&t, "abc", 3);
  ck_assert(!fp_tracker_completion(&t, NULL));
}
END_TEST

START_TEST(tracker_counts_and_clears)
{
  fp_tracker_t    t = escpos_fed("\x1dv0\x00\x02\x00\x02\x00", 8);
  fp_completion_t c;

  ck_assert_uint_eq(t.accepted, 8);
  fp_tracker_feed(&t, "\x00\x00", 2);
  fp_tracker_feed(&t, NULL, 0);
  ck_assert_uint_eq(t.accepted, 10);
  ck_assert(fp_tracker_completion(&t, &c));
  ck_assert_uint_eq(fp_completion_size(&c), 2);
  fp_tracker_feed(&t, "\x00\x00", 2);
  memset(&c, 0xff, sizeof(c));
  ck_assert(!fp_tracker_completion(&t, &c));
  ck_assert_uint_eq(c.prefix_len, 0);
  ck_assert_uint_eq(c.fill_count, 0);
  /* re-initializing starts over */
  fp_tracker_feed(&t, "\x1b", 1);
  fp_tracker_init(&t, &fp_language_escpos);
  ck_assert_uint_eq(t.accepted, 0);
  ck_assert(!tt_mid(&t));
}
END_TEST

/* The suite. */
static Suite *language_suite(void)
{
  Suite *s = suite_create("language");
  TCase *wrappers = tcase_create("registry");
  TCase *escpos = tcase_create("escpos");

  tcase_add_test(wrappers, registry);
  tcase_add_test(wrappers, none_language);
  tcase_add_test(wrappers, tracker_counts_and_clears);
  suite_add_tcase(s, wrappers);

  tcase_set_timeout(escpos, 60);
  tcase_add_test(escpos, raster_cut_everywhere);
  tcase_add_test(escpos, bit_image_cut_everywhere);
  tcase_add_test(escpos, catalogue_cut_everywhere);
  tcase_add_test(escpos, prefix_valued_parameters);
  tcase_add_test(escpos, fixed_parameter_completions);
  tcase_add_test(escpos, records_complete_with_zeros);
  tcase_add_test(escpos, nul_terminated_data);
  tcase_add_test(escpos, long_lengths);
  tcase_add_test(escpos, bounds);
  tcase_add_test(escpos, documents_stay_within_bounds);
  tcase_add_test(escpos, text_is_not_mid_command);
  tcase_add_test(escpos, macro_definition);
  tcase_add_test(escpos, split_feeds_are_equivalent);
  suite_add_tcase(s, escpos);
  return s;
}

/* Run the suite; exit status 0 only when every test passed. */
int main(void)
{
  return fp_run_suite(language_suite());
}

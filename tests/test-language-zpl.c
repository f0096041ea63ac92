/*
 * Unit tests for the ZPL II tracker (engine/language-zpl.c): CUPS rastertolabel's
 * output, every command kind cut at every offset, Zebra's hex compression,
 * ZB64 envelopes, binary downloads, changed prefixes, split feeds.
 */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check-main.h"
#include "tracker-test.h"

#define L(literal) (sizeof(literal) - 1)

/* An idle tracker must take a format and a graphics download as commands. */
static void zpl_probe(const fp_tracker_t *idle)
{
  static const char download[] = "~DGR:P.GRF,2,1,\n";
  fp_tracker_t      t = *idle;
  fp_completion_t   c;

  fp_tracker_feed(&t, "^XA", 3);
  ck_assert(fp_tracker_completion(&t, &c));
  ck_assert_uint_eq(c.prefix_len, 3);
  ck_assert(!memcmp(c.prefix, "~JX", 3));
  ck_assert_uint_eq(c.fill_count, 0);
  fp_tracker_feed(&t, "~JX", 3);
  ck_assert(!tt_mid(&t));

  fp_tracker_feed(&t, download, L(download));
  ck_assert(fp_tracker_completion(&t, &c));
  ck_assert_uint_eq(c.prefix_len, 0);
  ck_assert_uint_eq(c.fill_count, 2);
  ck_assert_uint_eq(c.fill_byte, ',');
  fp_tracker_feed(&t, ",,", 2);
  ck_assert(!tt_mid(&t));
}

/* A tracker for ZPL; the test programs share tracker-test.h. */
static void setup(void)
{
  tt_language = &fp_language_zpl;
  tt_probe = zpl_probe;
}

/*
 * A page in the shape CUPS rastertolabel sends to zebra.ppd: darkness, a
 * ~DG of 5 rows of 3 bytes compressed as it compresses them (a blank row,
 * 03 FF 00, the same again, 00 00 0F, 30 00 00), the format that prints
 * it, and the format that deletes it.
 */
#define SD "~SD15\n"
#define DG "~DGR:CUPS.GRF,15,3,\n"
#define ROWS ",03HF,:K0F30,"
#define PRINT "^XA\n^POI\n^PW24\n^LH0,0\n^MNY\n^FO0,0^XGR:CUPS.GRF,1,1^FS\n^XZ\n"
#define DELETE "^XA\n^IDR:CUPS.GRF^FS\n^XZ\n"
static const char label_job[] = SD DG ROWS PRINT DELETE;
#define DATA_AT (L(SD) + L(DG))
#define PRINT_AT (DATA_AT + L(ROWS))
#define DELETE_AT (PRINT_AT + L(PRINT))

START_TEST(rastertolabel_page)
{
  bytes_t      job = B(label_job);
  const span_t spans[] = {
    { 0, 3 },                              /* ~SD */
    { L(SD), L(SD) + 3 },                  /* ~DG: its parameters end at any prefix */
    { DATA_AT - 2, PRINT_AT },             /* from the last delimiter to the last row */
    { PRINT_AT, DELETE_AT - 1 },           /* a format, up to its ^XZ */
    { DELETE_AT, DELETE_AT + L(DELETE) - 1 },
  };
  static const struct
  {
    size_t   rows_sent; /* bytes of ROWS */
    bytes_t  prefix;
    uint64_t rows;
  } data_cuts[] = {
    { 0, B(""), 5 },   { 1, B(""), 4 },    { 2, B("0"), 4 },  { 3, B(""), 4 },
    { 4, B("0"), 4 },  { 5, B(""), 4 },    { 6, B(""), 3 },   { 7, B(""), 2 },
    { 8, B("00"), 1 }, { 9, B("0"), 1 },   { 10, B(""), 1 },  { 11, B("0"), 1 },
    { 12, B(""), 1 },
  };

  tt_every_cut(&job, spans, sizeof(spans) / sizeof(spans[0]));
  /* blank rows: '0' while half a byte or a repeat count is pending, then a ',' per row */
  tt_expect(&job, DATA_AT - 1, (bytes_t)B(""), 5, ',');
  for (size_t i = 0; i < sizeof(data_cuts) / sizeof(data_cuts[0]); i++)
    tt_expect(&job, DATA_AT + data_cuts[i].rows_sent, data_cuts[i].prefix, data_cuts[i].rows, ',');
  /* a name cut outside a format; inside one, cancel the format */
  tt_expect(&job, PRINT_AT + 1, (bytes_t)B("FX"), 0, 0);
  tt_expect(&job, PRINT_AT + 2, (bytes_t)B("X"), 0, 0);
  tt_expect(&job, PRINT_AT + 3, (bytes_t)B("~JX"), 0, 0);
  tt_expect(&job, PRINT_AT + 5, (bytes_t)B("FX~JX"), 0, 0);
  tt_expect(&job, DELETE_AT - 2, (bytes_t)B("X~JX"), 0, 0);
}
END_TEST

/* One command of each kind, with the spans (relative to it) where it is mid-command. */
typedef struct entry_s
{
  bytes_t bytes;
  span_t  spans[2];
} entry_t;

static const entry_t catalogue[] = {
  { B("^XA^FO10,10^A0N,20,20^FDHello, world^FS^XZ"), { { 0, 42 } } },
  { B("\x02^FD~JA^FS\x03"), { { 0, 11 } } }, /* STX and ETX bracket a format */
  { B("~DGR:A.GRF,4,2,FFFF0000"), { { 0, 3 }, { 14, 23 } } },
  { B("~DGR:A.GRF,4,2,\r\nF\r\nF,\r\n3M0"), { { 0, 3 }, { 14, 27 } } },
  { B("~DGR:A.GRF,2,1,\r\n:B64:/w==:1a2b"), { { 0, 3 }, { 14, 31 } } },
  { B("~DYR:LOGO,A,G,2,1,FF,"), { { 0, 3 }, { 17, 21 } } },
  { B("~DYR:LOGO,B,G,4,2,^~\x00^"), { { 0, 3 }, { 14, 22 } } },
  { B("~DYE:FONT,B,T,3,,~^~"), { { 0, 3 }, { 14, 20 } } },
  { B("~DYE:FONT,A,T,2,,FFFF"), { { 0, 3 } } }, /* a hex font: data up to the next prefix */
  { B("^XA^GFB,4,4,2,^~\x00^^FS^XZ"), { { 0, 24 } } },
  { B("^XA^FO0,0^GFA,4,4,2,FF,FFFF^FS^XZ"), { { 0, 33 } } },
  { B("^XA^DFR:F.ZPL^FS^FO0,0^GFA,2,2,1,FF00^FS^XZ"), { { 0, 43 } } }, /* a stored format */
  { B("^XA~DGR:A.GRF,2,1,FF00^XZ"), { { 0, 25 } } }, /* ~DG inside a format */
  { B("^GFA,2,2,1,FF00"), { { 0, 3 }, { 10, 15 } } },
  { B("^GFB,3,3,1,~^,"), { { 0, 3 }, { 9, 14 } } },
  { B("^GFC,2,9,1,\x5e\x7e"), { { 0, 3 }, { 9, 13 } } },
  { B("~DN"), { { 0, 3 } } },
  { B("^CD,"), { { 0, 4 } } }, /* the delimiter set to what it is */
  { B("~CT~"), { { 0, 4 } } },
  { B("~HS"), { { 0, 3 } } },
  { B("^FX a comment"), { { 0, 3 } } },
};

#define CATALOGUE_SIZE (sizeof(catalogue) / sizeof(catalogue[0]))
#define FRAME "ab\n"

/* The catalogue entry `i` between two lines of text, its spans moved along. */
static bytes_t framed_entry(size_t i, char *buf, size_t size, span_t spans[2])
{
  const bytes_t *e = &catalogue[i].bytes;

  ck_assert_uint_lt(e->len + 2 * L(FRAME), size);
  memcpy(buf, FRAME, L(FRAME));
  memcpy(buf + L(FRAME), e->data, e->len);
  memcpy(buf + L(FRAME) + e->len, FRAME, L(FRAME));
  for (int k = 0; k < 2; k++)
  {
    spans[k] = catalogue[i].spans[k];
    spans[k].start += L(FRAME);
    spans[k].end += spans[k].end ? L(FRAME) : 0;
  }
  return (bytes_t){ buf, e->len + 2 * L(FRAME) };
}

START_TEST(catalogue_cut_everywhere)
{
  char buf[128];

  for (size_t i = 0; i < CATALOGUE_SIZE; i++)
  {
    span_t  spans[2];
    bytes_t job = framed_entry(i, buf, sizeof(buf), spans);

    tt_every_cut(&job, spans, 2);
  }
}
END_TEST

/* A stored format (^DF) or a download inside a format: ~JX drops the format, nothing stored. */
START_TEST(stored_formats)
{
  bytes_t df = B("^XA^DFR:F.ZPL^FS^FO10,10^GFA,4,4,1,FF");
  bytes_t dg = B("^XA~DGR:A.GRF,4,1,FF");
  bytes_t binary = B("^XA^DFR:F^FS^GFB,4,4,1,\xff");

  tt_expect(&df, df.len, (bytes_t)B("~JX"), 0, 0);
  tt_expect(&df, 16, (bytes_t)B("~JX"), 0, 0);
  tt_expect(&dg, dg.len, (bytes_t)B("~JX"), 0, 0);
  tt_expect_suffix(&binary, binary.len, (bytes_t)B(""), 3, 0x00, (bytes_t)B("~JX"));
}
END_TEST

START_TEST(name_completions)
{
  static const struct
  {
    bytes_t sent;
    bytes_t prefix;
  } cases[] = {
    { B("~"), B("JX") },          { B("^"), B("FX") },        { B("~D"), B("N") },
    { B("~J"), B("X") },          { B("^X"), B("X") },        { B("^F"), B("X") },
    { B("^XA^"), B("FX~JX") },    { B("^XA~"), B("JX") },     { B("^XA~D"), B("N~JX") },
    { B("^XA~\r\nD"), B("N~JX") }, { B("^XA\r\n"), B("~JX") }, { B("\x02"), B("~JX") },
    { B("^^"), B("FX") }, /* a prefix after a prefix starts over */
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    tt_expect(&cases[i].sent, cases[i].sent.len, cases[i].prefix, 0, 0);
}
END_TEST

START_TEST(hex_compression)
{
  /* counts add up: vMB is 320 + 7 B digits (the ZPL II guide's example) */
  bytes_t counts = B("~DGR:A.GRF,200,200,\nvMB");
  /* z is 400, h 40; lower-case a-f are digits */
  bytes_t big = B("~DGR:A.GRF,300,300,\nzhfab");
  /* ':' and '!' end a row like ','; CR and LF count for nothing */
  bytes_t rows = B("~DGR:A.GRF,8,2,\nF:\r\n:!F\n000");
  /* a repeat count reaching past the graphic ends it */
  bytes_t past = B("~DGR:A.GRF,2,2,\nzF");
  /* digits after the count are ignored */
  bytes_t extra = B("~DGR:A.GRF,1,1,\nFF00FF");
  /* with no row width, the rest is '0' digits */
  bytes_t no_rows = B("~DGR:A.GRF,2,0,\nF");
  /* g is 20: exactly a row of 10 bytes; 5 bytes in rows of 2: the last row is short */
  bytes_t twenty = B("~DGR:A.GRF,40,10,\ngF");
  bytes_t short_row = B("~DGR:A.GRF,5,2,\nFFFF0");

  tt_expect(&counts, counts.len - 3, (bytes_t)B(""), 1, ',');
  tt_expect(&counts, counts.len - 1, (bytes_t)B("00"), 1, ','); /* vM pending: 327 zeros */
  tt_expect(&counts, counts.len, (bytes_t)B("0"), 1, ',');     /* 327 nibbles: odd */
  tt_expect(&big, big.len - 2, (bytes_t)B(""), 1, ',');        /* 440 F: the row's rest */
  tt_expect(&big, big.len, (bytes_t)B(""), 1, ',');
  tt_expect(&rows, 17, (bytes_t)B("0"), 4, ',');
  tt_expect(&rows, 18, (bytes_t)B(""), 3, ',');
  tt_expect(&rows, 19, (bytes_t)B(""), 3, ','); /* CR */
  tt_expect(&rows, 21, (bytes_t)B(""), 2, ',');
  tt_expect(&rows, 22, (bytes_t)B(""), 1, ',');
  tt_expect(&rows, 23, (bytes_t)B("0"), 1, ',');
  tt_expect(&rows, 24, (bytes_t)B("0"), 1, ','); /* LF */
  tt_expect(&rows, 26, (bytes_t)B("0"), 0, 0);   /* F00: the last 0 finishes the graphic */
  tt_expect_idle(&rows, rows.len);
  tt_expect(&past, past.len - 1, (bytes_t)B("0"), 0, 0);
  tt_expect_idle(&past, past.len);
  for (size_t cut = extra.len - 4; cut <= extra.len; cut++)
    tt_expect_idle(&extra, cut);
  tt_expect(&no_rows, no_rows.len, (bytes_t)B(""), 3, '0');
  tt_expect(&twenty, twenty.len, (bytes_t)B(""), 3, ',');
  tt_expect(&short_row, 16, (bytes_t)B(""), 3, ',');
  tt_expect(&short_row, short_row.len, (bytes_t)B("0"), 2, ',');
  tt_expect_idle(&(bytes_t)B("~DGR:A.GRF,0,1,\n"), 16);
}
END_TEST

START_TEST(prefix_aborts_hex)
{
  /* "~DN or any caret or tilde character prematurely aborts the download" */
  bytes_t abort_dn = B("~DGR:A.GRF,100,10,\nFFFF~DN");
  bytes_t abort_xa = B("~DGR:A.GRF,100,10,\nFFFF^XA");
  bytes_t abort_gf = B("^XA^GFA,100,100,10,FF^FS^XZ");

  tt_expect(&abort_dn, abort_dn.len - 3, (bytes_t)B(""), 10, ',');
  tt_expect(&abort_dn, abort_dn.len - 2, (bytes_t)B("JX"), 0, 0);
  tt_expect(&abort_dn, abort_dn.len - 1, (bytes_t)B("N"), 0, 0);
  tt_expect_idle(&abort_dn, abort_dn.len);
  tt_expect(&abort_xa, abort_xa.len, (bytes_t)B("~JX"), 0, 0);
  tt_expect(&abort_gf, 21, (bytes_t)B("~JX"), 0, 0);
  tt_expect_idle(&abort_gf, abort_gf.len);
}
END_TEST

START_TEST(zb64_envelopes)
{
  bytes_t b64 = B("~DGR:A.GRF,3,3,\n:B64:AAAA:12ab");
  bytes_t z64 = B("~DGR:A.GRF,3,3,:Z");
  bytes_t in_format = B("^XA^GFA,3,3,3,:Z64:eJ");

  tt_expect(&b64, 16, (bytes_t)B(""), 1, ','); /* before the first data character */
  tt_expect(&b64, 17, (bytes_t)B("B64::0000"), 0, 0);
  tt_expect(&b64, 18, (bytes_t)B("64::0000"), 0, 0);
  tt_expect(&b64, 21, (bytes_t)B(":0000"), 0, 0);
  tt_expect(&b64, 25, (bytes_t)B(":0000"), 0, 0);
  tt_expect(&b64, 26, (bytes_t)B("0000"), 0, 0);
  tt_expect(&b64, 28, (bytes_t)B("00"), 0, 0);
  tt_expect(&b64, 29, (bytes_t)B("0"), 0, 0);
  tt_expect_idle(&b64, b64.len);
  tt_expect(&z64, z64.len, (bytes_t)B("64::0000"), 0, 0);
  tt_expect(&in_format, in_format.len, (bytes_t)B("~JX"), 0, 0);
}
END_TEST

START_TEST(binary_headers)
{
  static const struct
  {
    bytes_t  sent;
    bytes_t  prefix;
    uint64_t fill;
  } cases[] = {
    { B("^GFB,5,5,1"), B(","), 5 },
    { B("^GFB,5,5,12"), B(","), 5 },
    { B("^GFC,7,50,5"), B(","), 7 },           /* C: b bytes are sent */
    { B("^GFB,0,1,1"), B(","), 1 },            /* b is clamped to 1..99999 */
    { B("^GFB,123456,1,1"), B(","), 99999 },
    { B("^XA^GFB,5,5"), B("~JX"), 0 },         /* d unspecified: ignored */
    { B("~DYE:F,B,T,12"), B(",,"), 12 },
    { B("~DYE:F,B,T,12,"), B(","), 12 },
    { B("~DYE:F,B,T,12,3"), B(","), 12 },
    { B("~DYR:G,C,G,9,3"), B(","), 9 },
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    tt_expect(&cases[i].sent, cases[i].sent.len, cases[i].prefix, cases[i].fill, 0x00);
  /* a large count is owed at once, not walked through (a completion is taken after every write) */
  tt_expect_suffix(&(bytes_t)B("^XA~DYR:X,B,G,67108864,0,\x01"), 26, (bytes_t)B(""),
                   UINT64_C(67108863), 0x00, (bytes_t)B("~JX"));
  /* binary data inside a format: after the data, ~JX cancels the format (nothing prints) */
  tt_expect_suffix(&(bytes_t)B("^XA^GFB,2,2,1,\x5e"), 15, (bytes_t)B(""), 1, 0x00,
                   (bytes_t)B("~JX"));
  /* a count unspecified: nothing is owed */
  tt_expect_idle(&(bytes_t)B("^GFB,5,5,"), 9);
  tt_expect_idle(&(bytes_t)B("^GFB,5,"), 7);
  tt_expect_idle(&(bytes_t)B("^GFB,2,,1,^XA"), 10);
  tt_expect_idle(&(bytes_t)B("~DYE:F,B,T,"), 11);
  tt_expect_idle(&(bytes_t)B("~DYE:F,B,T,,"), 12);
}
END_TEST

START_TEST(changed_prefixes)
{
  /* a changed caret leaves the printer deaf to the reset (~DN^XZ): the completion puts ^ back */
  tt_expect(&(bytes_t)B("^CC+"), 4, (bytes_t)B("~CC^"), 0, 0);
  /* the caret is now '+': ^XA is text, +XA a format, cancelled after the caret is back */
  tt_expect(&(bytes_t)B("^CC+^XA"), 7, (bytes_t)B("~CC^"), 0, 0);
  tt_expect(&(bytes_t)B("^CC+^XA+XA"), 10, (bytes_t)B("~CC^~JX"), 0, 0);
  /* the tilde is now '#': the defaults are put back with it, the tilde last */
  tt_expect(&(bytes_t)B("^CC+~CT#+XA+FDx"), 15, (bytes_t)B("#CC^#CT~~JX"), 0, 0);
  /* a cut ^CC or ^CT gets the character in force, so that nothing changes, then the defaults */
  tt_expect(&(bytes_t)B("^CC+~CT#+CT"), 11, (bytes_t)B("##CC^#CT~"), 0, 0);
  tt_expect(&(bytes_t)B("^CC+~CC"), 7, (bytes_t)B("+~CC^"), 0, 0);
  /* a change onto a character still held waits for it to move; a swap goes through '#' */
  tt_expect(&(bytes_t)B("^CC+~CT^"), 8, (bytes_t)B("^CT~~CC^"), 0, 0);
  tt_expect(&(bytes_t)B("~CT#^CC~#CT^"), 12, (bytes_t)B("^CT##CC^#CT~"), 0, 0);
  tt_expect(&(bytes_t)B("~CT#^CC~#CT^^CD;"), 16, (bytes_t)B("^CD,^CT##CC^#CT~"), 0, 0);
  /* a full prefix goes on in the suffix, after an empty fill: here the format's ~JX */
  tt_expect_suffix(&(bytes_t)B("^XA~CT#^CC~#CT^^CD;"), 19, (bytes_t)B("^CD,^CT##CC^#CT~"), 0, 0,
                   (bytes_t)B("~JX"));
  /* a letter is not followed as a prefix: command names could not be written after it */
  tt_expect_idle(&(bytes_t)B("~CTC"), 4);
  tt_expect(&(bytes_t)B("~CTC^XA"), 7, (bytes_t)B("~JX"), 0, 0);
  /* after the completion the reset preset is read as written */
  {
    fp_tracker_t t = tt_fed("^CC+~CT#+XA+FDx", 15);

    tt_flush(&t);
    ck_assert(!tt_mid(&t));
    fp_tracker_feed(&t, "^XA", 3);
    ck_assert(tt_mid(&t));
  }
}
END_TEST

START_TEST(changed_delimiter)
{
  /* ^CD; : header fields are split by ';', while ',' in hex data still fills a row */
  bytes_t job = B("^CD;~DGR:A.GRF;4;2;F,");
  bytes_t clash = B("~CC~^XA");

  tt_expect_suffix(&job, job.len - 2, (bytes_t)B(""), 2, ',', (bytes_t)B("~CD,"));
  tt_expect_suffix(&job, job.len - 1, (bytes_t)B("0"), 2, ',', (bytes_t)B("~CD,"));
  tt_expect_suffix(&job, job.len, (bytes_t)B(""), 1, ',', (bytes_t)B("~CD,"));
  tt_expect(&(bytes_t)B("~CD"), 3, (bytes_t)B(","), 0, 0);
  /* a change that would make the caret equal the tilde is ignored */
  tt_expect(&clash, clash.len, (bytes_t)B("~JX"), 0, 0);
}
END_TEST

START_TEST(text_is_not_mid_command)
{
  static const uint8_t special[] = { '^', '~', 0x02, 0x03 }; /* prefixes, STX, ETX */
  fp_tracker_t         t;

  tt_only_text(special, sizeof(special));
  /* commands outside a format and their parameters, up to the next prefix */
  t = tt_fed("~SD20~JSN^MMT,Y~TA000 text", 26);
  ck_assert(!tt_mid(&t));
  zpl_probe(&t);
}
END_TEST

START_TEST(long_binary)
{
  bytes_t      job = B("~DYR:BIG,B,G,67108864,1,");
  fp_tracker_t t = tt_fed(job.data, job.len);

  tt_expect(&job, job.len, (bytes_t)B(""), 67108864ull, 0x00);
  tt_feed_fill(&t, '~', 67108864ull - 1);
  ck_assert(tt_mid(&t));
  fp_tracker_feed(&t, "~", 1);
  ck_assert(!tt_mid(&t));
  ck_assert_uint_eq(t.accepted, job.len + 67108864ull);
}
END_TEST

START_TEST(bounds)
{
  /* ~DG t: at most 64 MiB; outside a format it is finished with blank rows */
  tt_expect(&(bytes_t)B("~DGR:X.GRF,67108864,1,"), 22, (bytes_t)B(""), 67108864, ',');
  tt_expect(&(bytes_t)B("~DGR:X.GRF,67108864,0,"), 22, (bytes_t)B(""), 2 * 67108864ull, '0');
  tt_expect_implausible(&(bytes_t)B("~DGR:X.GRF,67108865,1,"), 67108865);
  /* lost as soon as the digits pass the bound: a size cut short cannot shrink */
  tt_expect_implausible(&(bytes_t)B("~DGR:X.GRF,67108865"), 67108865);
  /* ~DY t, binary or hex */
  tt_expect(&(bytes_t)B("~DYR:X,B,G,67108864,1,"), 22, (bytes_t)B(""), 67108864, 0x00);
  tt_expect_implausible(&(bytes_t)B("~DYR:X,B,G,67108865,1,"), 67108865);
  /* the claim is the size when it passed the bound (the rest is not followed) */
  tt_expect_implausible(&(bytes_t)B("~DYE:F,B,T,99999999999"), 99999999);
  /* ^GF c of ASCII hex data; ^GF b of binary data is clamped by the printer */
  tt_expect_implausible(&(bytes_t)B("^GFA,1,67108865,1,"), 67108865);
  tt_expect(&(bytes_t)B("^GFB,999999999,1,1,"), 19, (bytes_t)B(""), 99999, 0x00);
  /* in a format too: the stream is not ZPL */
  tt_expect_implausible(&(bytes_t)B("^XA^FO0,0^GFA,67108865,67108865,100,"), 67108865);
  /* the resynchronisation ~JX ends hex data and cancels the format */
  ck_assert_uint_eq(fp_language_zpl.resync_len, 3);
  ck_assert_mem_eq(fp_language_zpl.resync, "~JX", 3);
  tt_expect_resync(&(bytes_t)B("^XA^FO0,0^GFA,4,4,1,FF"), 22);
  tt_expect_resync(&(bytes_t)B("^XA^FO0,0^FDtext"), 16);
  tt_expect_resync(&(bytes_t)B("~DGR:X.GRF,4,1,0"), 16);
  tt_expect_resync(&(bytes_t)B("^XA^FO0,0^FDtext^FS^XZ"), 22);
}
END_TEST

START_TEST(split_feeds_are_equivalent)
{
  static uint8_t job[8192];
  size_t         len = 0;

  for (int round = 0; round < 3; round++)
  {
    for (size_t i = 0; i < CATALOGUE_SIZE; i++)
    {
      tt_append(job, sizeof(job), &len, catalogue[i].bytes);
      tt_append(job, sizeof(job), &len, (bytes_t)B("^XZ\n")); /* ends what is left open */
    }
    tt_append(job, sizeof(job), &len, (bytes_t)B(label_job));
  }
  tt_split_feeds(job, len);
}
END_TEST

START_TEST(registry)
{
  tt_registered("zpl");
  ck_assert(!fp_language_zpl.surplus_fill_harmless);
}
END_TEST

/* The suite. */
static Suite *zpl_suite(void)
{
  Suite *s = suite_create("language-zpl");
  TCase *tc = tcase_create("zpl");

  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, registry);
  tcase_add_test(tc, rastertolabel_page);
  tcase_add_test(tc, catalogue_cut_everywhere);
  tcase_add_test(tc, name_completions);
  tcase_add_test(tc, hex_compression);
  tcase_add_test(tc, prefix_aborts_hex);
  tcase_add_test(tc, zb64_envelopes);
  tcase_add_test(tc, binary_headers);
  tcase_add_test(tc, changed_prefixes);
  tcase_add_test(tc, changed_delimiter);
  tcase_add_test(tc, text_is_not_mid_command);
  tcase_add_test(tc, long_binary);
  tcase_add_test(tc, bounds);
  tcase_add_test(tc, stored_formats);
  tcase_add_test(tc, split_feeds_are_equivalent);
  suite_add_tcase(s, tc);
  return s;
}

/* Run the suite; exit status 0 only when every test passed. */
int main(void)
{
  return fp_run_suite(zpl_suite());
}

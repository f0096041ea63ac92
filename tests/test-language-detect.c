/*
 * Unit tests for printer-language detection (engine/language-detect.c): MIME
 * types, PPD keywords and drivers, IEEE 1284 device IDs, the first bytes of
 * a job (whole and cut at every offset), and the precedence among them.
 */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/language-detect.h"
#include "check-main.h"

/* A byte string with an explicit length (they contain NULs). */
typedef struct bytes_s
{
  const char *data;
  size_t      len;
} bytes_t;

#define B(literal) { literal, sizeof(literal) - 1 }

/* One input and what detection must make of it. */
typedef struct expect_s
{
  const char *input;
  const char *language; /* a name or FP_LANGUAGE_UNKNOWN */
  const char *reason;   /* a part of the reason */
} expect_t;

/* Check a verdict against the expected language and a part of the reason. */
static void check_verdict(const char *what, const char *got, const fp_detection_t *d,
                          const char *language, const char *reason)
{
  ck_assert_ptr_eq(got, d->language);
  ck_assert_msg(!strcmp(got, language), "%s: got %s (%s), expected %s", what, got, d->reason,
                language);
  ck_assert_msg(strstr(d->reason, reason), "%s: reason '%s' lacks '%s'", what, d->reason, reason);
}

/* The language of a stream sample. */
static const char *sniff(bytes_t b, fp_detection_t *d)
{
  return fp_detect_stream((const uint8_t *)b.data, b.len, d);
}

START_TEST(mime_types)
{
  static const expect_t cases[] = {
    { "application/vnd.hp-pcl", "pcl", "application/vnd.hp-pcl" },
    { "application/vnd.hp-PCL", "pcl", "vnd.hp-PCL" },
    { "application/vnd.hp-pcl; charset=x", "pcl", "vnd.hp-pcl" },
    { "application/vnd.zebra-zpl", "zpl", "zebra-zpl" },
    { "application/vnd.zebra-epl2", "epl", "epl2" },
    { "application/vnd.eltron-epl", "epl", "eltron" },
    { "application/vnd.dymo-lw", "dymo", "dymo-lw" },
    { "application/vnd.flushprinter-escpos", "escpos", "flushprinter-escpos" },
    { "application/vnd.flushprinter-ESCP", "escp", "ESCP" },
    { "application/vnd.flushprinter-klingon", FP_LANGUAGE_UNKNOWN, "names no language" },
    { "application/vnd.flushprinter-", FP_LANGUAGE_UNKNOWN, "not a printer language" },
    { "application/vnd.hp-pclxl", FP_LANGUAGE_UNKNOWN, "PCL XL" },
    { "application/vnd.zebra-epl1", FP_LANGUAGE_UNKNOWN, "line mode" },
    { "application/vnd.cups-raster", FP_LANGUAGE_UNKNOWN, "what the driver reads" },
    { "application/vnd.cups-raw", FP_LANGUAGE_UNKNOWN, "raw data" },
    { "application/octet-stream", FP_LANGUAGE_UNKNOWN, "raw data" },
    { "printer/receipts", FP_LANGUAGE_UNKNOWN, "no type" },
    { "application/pdf", FP_LANGUAGE_UNKNOWN, "not a printer language" },
    { "", FP_LANGUAGE_UNKNOWN, "none" },
  };
  fp_detection_t d;

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    check_verdict(cases[i].input, fp_detect_mime(cases[i].input, &d), &d, cases[i].language,
                  cases[i].reason);
  check_verdict("NULL", fp_detect_mime(NULL, &d), &d, FP_LANGUAGE_UNKNOWN, "none");
}
END_TEST

/* A PPD with CRLF line ends, comments, option lines and the keywords detection reads. */
static const char sample_ppd[] =
  "*PPD-Adobe: \"4.3\"\r\n"
  "*% *cupsFilter: \"application/vnd.cups-raster 0 commented-out\"\r\n"
  "*FlushPrinterLanguage: \"escp\"\r\n"
  "*FlushPrinterReset:  \"pjl+pcl\"  \r\n"
  "*cupsModelNumber: 18\r\n"
  "*PageSize Roll80/80 mm Roll: \"<</PageSize[227 842]>>setpagedevice\"\r\n"
  "*cupsFilter: \"application/vnd.cups-raster 50 /usr/lib/cups/filter/rastertolabel\"\r\n"
  "*cupsFilter2: \"text/plain application/vnd.zebra-zpl 0 flushprinter\"\r\n"
  "*cupsFilter2: \"too few words\"\r\n"
  "*FlushPrinterWrap: \"rastertolabel\"\n"
  "*cupsModelNumber";

START_TEST(ppd_parsing)
{
  fp_ppd_hints_t h;

  fp_ppd_hints_parse(sample_ppd, sizeof(sample_ppd) - 1, &h);
  ck_assert_str_eq(h.language, "escp");
  ck_assert_str_eq(h.reset, "pjl+pcl");
  ck_assert_str_eq(h.wrap, "rastertolabel");
  ck_assert_int_eq(h.model_number, 18);
  ck_assert_int_eq(h.num_filters, 2);
  ck_assert_str_eq(h.filters[0].type, "");
  ck_assert_str_eq(h.filters[0].program, "rastertolabel");
  ck_assert_str_eq(h.filters[1].type, "application/vnd.zebra-zpl");
  ck_assert_str_eq(h.filters[1].program, "flushprinter");

  /* nothing of interest; a text cut in the middle of a keyword */
  fp_ppd_hints_parse("*PPD-Adobe: \"4.3\"\n*cupsFil", 25, &h);
  ck_assert_str_eq(h.language, "");
  ck_assert_int_eq(h.num_filters, 0);
  ck_assert_int_eq(h.model_number, 0);

  /* more filter lines than kept: the first ones stay */
  {
    char text[2048] = "";

    for (int i = 0; i < 12; i++)
      snprintf(text + strlen(text), sizeof(text) - strlen(text),
               "*cupsFilter: \"application/vnd.cups-raster 0 driver%d\"\n", i);
    fp_ppd_hints_parse(text, strlen(text), &h);
    ck_assert_int_eq(h.num_filters, 8);
    ck_assert_str_eq(h.filters[7].program, "driver7");
  }
}
END_TEST

START_TEST(ppd_keywords)
{
  fp_ppd_hints_t h;
  fp_detection_t d;

  memset(&h, 0, sizeof(h));
  check_verdict("empty", fp_detect_ppd_keywords(&h, &d), &d, FP_LANGUAGE_UNKNOWN,
                "no *FlushPrinterLanguage");
  check_verdict("NULL", fp_detect_ppd_keywords(NULL, &d), &d, FP_LANGUAGE_UNKNOWN, "none");

  strcpy(h.reset, "escpos");
  check_verdict("reset", fp_detect_ppd_keywords(&h, &d), &d, "escpos", "*FlushPrinterReset escpos");
  strcpy(h.reset, "hex:1b40");
  check_verdict("reset bytes", fp_detect_ppd_keywords(&h, &d), &d, FP_LANGUAGE_UNKNOWN,
                "names no tracked language");

  strcpy(h.language, "ZPL");
  check_verdict("language", fp_detect_ppd_keywords(&h, &d), &d, "zpl", "*FlushPrinterLanguage ZPL");
  strcpy(h.language, "none");
  check_verdict("none", fp_detect_ppd_keywords(&h, &d), &d, "none", "*FlushPrinterLanguage none");
  strcpy(h.language, "klingon");
  check_verdict("typo", fp_detect_ppd_keywords(&h, &d), &d, FP_LANGUAGE_UNKNOWN, "'klingon'");

  /* auto defers to *FlushPrinterReset */
  strcpy(h.language, "auto");
  strcpy(h.reset, "none+escpos");
  check_verdict("auto", fp_detect_ppd_keywords(&h, &d), &d, "escpos", "*FlushPrinterReset");
}
END_TEST

/* Hints with one *cupsFilter (`type` "") or *cupsFilter2 line. */
static fp_ppd_hints_t one_filter(const char *type, const char *program, int model)
{
  fp_ppd_hints_t h;

  memset(&h, 0, sizeof(h));
  h.num_filters = 1;
  h.model_number = model;
  strcpy(h.filters[0].type, type);
  strcpy(h.filters[0].program, program);
  return h;
}

START_TEST(ppd_drivers)
{
  static const struct
  {
    int         model;
    const char *language;
    const char *reason;
  } labels[] = {
    { 0, "dymo", "DYMO" },  { 16, FP_LANGUAGE_UNKNOWN, "line mode" }, { 17, "epl", "EPL page" },
    { 18, "zpl", "ZPL" },   { 19, FP_LANGUAGE_UNKNOWN, "CPCL" },      { 32, "pcl", "Intellitech" },
    { 7, FP_LANGUAGE_UNKNOWN, "unknown *cupsModelNumber 7" },
  };
  fp_ppd_hints_t h;
  fp_detection_t d;

  for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
  {
    h = one_filter("", "rastertolabel", labels[i].model);
    check_verdict("rastertolabel", fp_detect_ppd_driver(&h, &d), &d, labels[i].language,
                  labels[i].reason);
  }
  h = one_filter("", "rastertoepson", 1);
  check_verdict("epson", fp_detect_ppd_driver(&h, &d), &d, "escp", "*cupsFilter rastertoepson");
  h = one_filter("", "rastertohp", 0);
  check_verdict("hp", fp_detect_ppd_driver(&h, &d), &d, "pcl", "rastertohp");
  h = one_filter("", "rastertogutenprint.5.3", 0);
  check_verdict("gutenprint", fp_detect_ppd_driver(&h, &d), &d, FP_LANGUAGE_UNKNOWN,
                "rastertogutenprint.5.3, a driver flushprinter does not know");
  h = one_filter("application/vnd.flushprinter-escpos", "flushprinter", 0);
  check_verdict("own", fp_detect_ppd_driver(&h, &d), &d, "escpos",
                "*cupsFilter2 type application/vnd.flushprinter-escpos");
  /* a destination type that says nothing: the program decides */
  h = one_filter("application/vnd.cups-raster", "rastertohp", 0);
  check_verdict("type, program", fp_detect_ppd_driver(&h, &d), &d, "pcl",
                "*cupsFilter2 rastertohp");
  h = one_filter("", "-", 0);
  check_verdict("pass-through", fp_detect_ppd_driver(&h, &d), &d, FP_LANGUAGE_UNKNOWN,
                "pass-through");
  memset(&h, 0, sizeof(h));
  check_verdict("none", fp_detect_ppd_driver(&h, &d), &d, FP_LANGUAGE_UNKNOWN, "no *cupsFilter");
  check_verdict("NULL", fp_detect_ppd_driver(NULL, &d), &d, FP_LANGUAGE_UNKNOWN, "no *cupsFilter");

  /* wrapper mode: the wrapped driver counts, not the flushprinter filter */
  h = one_filter("", "flushprinter", 18);
  strcpy(h.wrap, "rastertolabel");
  check_verdict("wrapped", fp_detect_ppd_driver(&h, &d), &d, "zpl",
                "*FlushPrinterWrap rastertolabel with *cupsModelNumber 18");

  /* several lines: they must agree; unknown ones do not spoil a known one */
  h = one_filter("", "rastertohp", 0);
  h.num_filters = 3;
  strcpy(h.filters[1].program, "commandtohp");
  strcpy(h.filters[2].type, "application/vnd.hp-pcl");
  strcpy(h.filters[2].program, "other");
  check_verdict("agree", fp_detect_ppd_driver(&h, &d), &d, "pcl", "rastertohp");
  strcpy(h.filters[2].type, "application/vnd.zebra-zpl");
  check_verdict("disagree", fp_detect_ppd_driver(&h, &d), &d, FP_LANGUAGE_UNKNOWN,
                "the filters disagree");
}
END_TEST

START_TEST(device_ids)
{
  static const expect_t cases[] = {
    { "MFG:EPSON;CMD:ESC/POS;MDL:TM-T88V;CLS:PRINTER;DES:EPSON TM-T88V;", "escpos",
      "CMD:ESC/POS" },
    { "MFG:Xprinter;MDL:XP-58;CMD:ESCPOS;", "escpos", "CMD:ESCPOS" },
    { "MFG:HP;MDL:HP LaserJet;CMD:PCL;", "pcl", "CMD:PCL" },
    { "MFG:Hewlett-Packard;CMD:PJL,PCL,PCLXL,POSTSCRIPT;MDL:HP LaserJet 4250;", "pcl", "PJL" },
    { "MFG:HP;CMD:LDL,MLC,PML,PCL3GUI,DW-PCL;MDL:DeskJet;", "pcl", "PCL3GUI" },
    { "MFG:EPSON;CMD:ESCPL2,BDC,D4,D4PX,ESCPR7;MDL:Stylus Photo;", FP_LANGUAGE_UNKNOWN,
      "several languages (escp, escpr)" },
    { "mfg:Zebra;command set:ZPL;", "zpl", "CMD:ZPL" },
    { " CMD : ZPL:2 , XML ; MFG:Zebra", "zpl", "CMD:ZPL:2 , XML" },
    { "MFG:Zebra Technologies;CMD:EPL,ZPL;MDL:ZP 505;", FP_LANGUAGE_UNKNOWN,
      "several languages (epl, zpl)" },
    { "MFG:Brother;CMD:PJL,PCL,PCLXL,ZPL;", FP_LANGUAGE_UNKNOWN, "several languages (pcl, zpl)" },
    { "MFG:HP;CMD:POSTSCRIPT,PCLXL,PCL6;", FP_LANGUAGE_UNKNOWN, "names no language" },
    { "MFG:Zebra ;CMD:None;MDL:LP2844 ;", FP_LANGUAGE_UNKNOWN, "no CMD" },
    { "MFG:DYMO;CMD: ;MDL:LabelWriter 450;CLASS:PRINTER;", "dymo", "LabelWriter 450" },
    { "MFG:DYMO;MDL:LabelManager PnP;", FP_LANGUAGE_UNKNOWN, "no CMD" },
    { "MFG:Star;CMD:STAR;", FP_LANGUAGE_UNKNOWN, "names no language" },
    { "CMD:AVERYVERYLONGCOMMANDSETNAME;", FP_LANGUAGE_UNKNOWN, "names no language" },
    { "garbage without fields", FP_LANGUAGE_UNKNOWN, "no CMD" },
    { "", FP_LANGUAGE_UNKNOWN, "none" },
  };
  fp_detection_t d;

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    check_verdict(cases[i].input, fp_detect_device_id(cases[i].input, &d), &d,
                  cases[i].language, cases[i].reason);
  check_verdict("NULL", fp_detect_device_id(NULL, &d), &d, FP_LANGUAGE_UNKNOWN, "none");
}
END_TEST

/* Stream samples: what a whole sample is, and a part of the reason. */
typedef struct sample_s
{
  bytes_t     data;
  const char *language;
  const char *reason;
} sample_t;

static const sample_t samples[] = {
  /* ESC/POS: a receipt with a GS v 0 raster image */
  { B("\x1b@BEGIN receipt\n\x1dv0\x00\x02\x00\x02\x00\xaa\xaa\xaa\xaa"), "escpos",
    "GS v at byte 16" },
  /* ESC/POS: a bit image whose data looks like ESC/P commands, then a cut */
  { B("\x1b@\x1b*\x21\x04\x00\x1b(G\x01\x00\x01\x1b.\x01\x00\x00\x00\x00\x00\x1dV\x00"), "escpos",
    "GS V" },
  { B("\x10\x04\x01"), "escpos", "DLE 0x04" },
  { B("\x1b@\x1cp\x01\x00"), "escpos", "FS p" },
  /* PCL */
  { B("\x1b" "E\x1b&l0O\x1b*r1A"), "pcl", "ESC E at byte 0" },
  { B("\x1b" "E"), "pcl", "ESC E" },
  { B("\x1b&l1O\x1b*t300R"), "pcl", "ESC &l" },
  { B("\r\n\x1b*b12W"), "pcl", "ESC *b at byte 2" },
  { B("\x1b(8U\x1b(s0p12h10v0s0b3T"), "pcl", "ESC (8" },
  { B("\x1b%1BIN;SP1;"), "pcl", "ESC %1" },
  /* PCL commands without a value, as Ghostscript's drivers begin (not ESC/P bit images) */
  { B("\x1b*rbC\x1b*t150R\x1b&l80A"), "pcl", "ESC *r at byte 0" },
  { B("\x1b*rB\x1b*t600R\x1b&l80A"), "pcl", "ESC *r at byte 0" },
  { B("\x1b%8\x1b*rB\x1b*t180R"), "pcl", "ESC *r at byte 3" },
  /* PJL */
  { B("\x1b%-12345X@PJL\r\n@PJL ENTER LANGUAGE=HPGL2\r\n\x1b%0BIN;"), "pcl",
    "ENTER LANGUAGE=HPGL2" },
  { B("\x1b%-12345X@PJL ENTER LANGUAGE=PCLXL\r\n) HP-PCL XL;2;0\n"), FP_LANGUAGE_UNKNOWN,
    "LANGUAGE=PCLXL at byte 9, which has no tracker" },
  /* ESC/Page behind an EJL header: its GS commands are not ESC/POS */
  { B("\x1b\x01@EJL\r\n@EJL SELECT LANGUAGE=ESC/PAGE\r\n\x1drhE\x1d" "0;0.24muE"),
    FP_LANGUAGE_UNKNOWN, "EJL selects ESC/Page at byte 8" },
  { B("\x1b\x01@EJL\n@EJL EN LA=ESC/PAGE\n\x1drhE"), FP_LANGUAGE_UNKNOWN, "ESC/Page" },
  { B("\x00\x00\x1b\x01@EJL 1284.4\n@EJL     \n\x1b@\x1b(G\x01\x00\x01"), "escp",
    "ESC ( G at byte 28" },
  { B("\x1b%-12345X@PJL JOB\r\n@PJL ENTER LANGUAGE = PCL\r\n\x1b" "E"), "pcl",
    "ENTER LANGUAGE=PCL at byte 19" },
  { B("\x1b%-12345X@PJL SET RESOLUTION=600\n\x1b" "E"), "pcl", "PJL" },
  { B("@PJL ENTER LANGUAGE=POSTSCRIPT\n%!PS-Adobe-3.0\n"), FP_LANGUAGE_UNKNOWN,
    "LANGUAGE=POSTSCRIPT at byte 0" },
  { B("\x1b%-12345X@PJL JOB\n%!PS-Adobe-3.0\n"), FP_LANGUAGE_UNKNOWN, "PostScript or PDF" },
  { B("\x1b%-12345X@PJL JOB\n) HP-PCL XL;2;0\n"), FP_LANGUAGE_UNKNOWN, "PCL XL" },
  /* ZPL */
  { B("^XA^FO50,50^FDHello^FS^XZ"), "zpl", "ZPL command at byte 0" },
  { B("\r\n  ^XA\n"), "zpl", "at byte 4" },
  { B("~SD15\n~DGR:CUPS.GRF,1000,10,\nFFFF"), "zpl", "ZPL" },
  { B("\x10" "CT~~CD,~CC^~CT~\n^XA~TA000"), "zpl", "ZPL" },
  { B("CT~~CD,~CC^~CT~"), "zpl", "ZPL" },
  /* EPL2 */
  { B("\nN\nq812\nQ1218,24\nA50,0,0,1,1,1,N,\"Hello\"\nP1\n"), "epl",
    "EPL2 command lines from byte 1" },
  { B("\nN\nOD\nS4\nD8\nq816\nGW0,0,102,1,\xff\x0a\xff"), "epl", "EPL2" },
  { B("GW0,0,2,1,\x00\x00\n"), "epl", "GW at byte 0" },
  /* DYMO */
  { B("\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b"
      "\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b@"), "dymo", "16 ESC bytes at byte 0" },
  { B("\x1b@\x1bL\x01\x00\x1b" "D\x54\x1b" "c\x16\xff\xff"), "dymo", "ESC L, ESC D" },
  { B("\x1b@\x1b" "D\x54\x16\xff\xff"), "dymo", "SYN" },
  /* ESC/P */
  { B("\x1b@\x1b(G\x01\x00\x01\x1b(U\x01\x00\x0a"), "escp", "ESC ( G at byte 2" },
  { B("\x1b@\x1b.\x01\x0a\x0a\x01\x08\x00\xff"), "escp", "ESC . at byte 2" },
  /* 9-pin: ESC @ then commands only ESC/P has, before bit images */
  { B("\x1b@\x1bP\x1bl\x00\r\x1bQ\x16\x1b*\x03\x07\x01\x00"), "escp",
    "ESC P after ESC @ at byte 2" },
  { B("\x1b@\x1bx0\x1b*\x01\x02\x00\x1b\x1d"), "escp", "ESC x after ESC @" },
  { B("\x1b@\x1b^\x00\x02\x00\xff\x01\xff\x01"), "escp", "ESC ^ after ESC @" },
  { B("\x1bP\x1b@Hello\n"), FP_LANGUAGE_UNKNOWN, "only ESC @" }, /* ESC P before ESC @ */
  /* nothing decisive */
  { B("\x1b@Hello\n"), FP_LANGUAGE_UNKNOWN, "only ESC @" },
  { B("\x1b" "E\x01" "Bold\n"), FP_LANGUAGE_UNKNOWN, "no printer command" },
  { B("\x1b@\x1b(A\x04\x00\x30\x33\x03\x0a"), FP_LANGUAGE_UNKNOWN, "only ESC @" },
  { B("Hello, world\nN\nP1\n"), FP_LANGUAGE_UNKNOWN, "no printer command in the first 18 bytes" },
  { B("N\n"), FP_LANGUAGE_UNKNOWN, "no printer command" },
  { B("Note\nq is a letter\n"), FP_LANGUAGE_UNKNOWN, "no printer command" },
  { B("\x1b@\x1d"), FP_LANGUAGE_UNKNOWN, "only ESC @" },
  { B("\0\0 \r\n\t"), FP_LANGUAGE_UNKNOWN, "only blank bytes" },
  { B(""), FP_LANGUAGE_UNKNOWN, "no job data" },
};

START_TEST(stream_samples)
{
  fp_detection_t d;
  char           what[32];

  for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
  {
    snprintf(what, sizeof(what), "sample %zu", i);
    check_verdict(what, sniff(samples[i].data, &d), &d, samples[i].language, samples[i].reason);
  }
  check_verdict("NULL", fp_detect_stream(NULL, 10, &d), &d, FP_LANGUAGE_UNKNOWN, "no job data");
}
END_TEST

/* A sample cut anywhere is its own language or unknown, never another one. */
START_TEST(stream_cut_everywhere)
{
  fp_detection_t d;

  for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
  {
    if (!strcmp(samples[i].language, FP_LANGUAGE_UNKNOWN))
      continue;
    for (size_t len = 0; len < samples[i].data.len; len++)
    {
      const char *got = sniff((bytes_t){ samples[i].data.data, len }, &d);

      ck_assert_msg(!strcmp(got, samples[i].language) || !strcmp(got, FP_LANGUAGE_UNKNOWN),
                    "sample %zu cut at %zu: %s (%s), expected %s or unknown", i, len, got,
                    d.reason, samples[i].language);
    }
  }
}
END_TEST

/* Only the first FP_DETECT_SNIFF_MAX bytes count. */
START_TEST(stream_window)
{
  static const char cut[] = "\x1dV\x00";
  uint8_t           data[FP_DETECT_SNIFF_MAX + 16];
  fp_detection_t    d;

  memset(data, 'x', sizeof(data));
  memcpy(data + FP_DETECT_SNIFF_MAX - 2, cut, 3);
  check_verdict("inside", fp_detect_stream(data, sizeof(data), &d), &d, "escpos", "GS V");
  memset(data, 'x', sizeof(data));
  memcpy(data + FP_DETECT_SNIFF_MAX - 1, cut, 3);
  check_verdict("outside", fp_detect_stream(data, sizeof(data), &d), &d, FP_LANGUAGE_UNKNOWN,
                "first 4096 bytes");
  /* a long bit image is skipped whole, even past the window */
  memset(data, 0, sizeof(data));
  memcpy(data, "\x1b*\x00\xff\xff", 5);
  data[100] = 0x1d;
  data[101] = 'V';
  check_verdict("image", fp_detect_stream(data, sizeof(data), &d), &d, FP_LANGUAGE_UNKNOWN,
                "no printer command");
}
END_TEST

static const uint8_t receipt[] = "\x1b@RECEIPT\n\x1dV\x00";

/* Hints naming `ppd_language` (*FlushPrinterLanguage) and one driver. */
static fp_ppd_hints_t ppd_with(const char *ppd_language, const char *program, int model)
{
  fp_ppd_hints_t h = one_filter("", program, model);

  strcpy(h.language, ppd_language);
  return h;
}

/* Resolve `in`, check the language and the start of the reason. */
static void check_resolved(const fp_detect_input_t *in, const char *language, const char *source)
{
  fp_detection_t d;
  char           trail[1024];
  const char    *got = fp_detect_language(in, &d, trail, sizeof(trail));

  ck_assert_msg(!strcmp(got, language), "got %s (%s), expected %s; trail: %s", got, d.reason,
                language, trail);
  ck_assert_msg(!strncmp(d.reason, source, strlen(source)), "reason '%s' does not start with '%s'",
                d.reason, source);
}

START_TEST(precedence)
{
  fp_ppd_hints_t    escp_ppd = ppd_with("escp", "rastertohp", 0);
  fp_ppd_hints_t    hp_ppd = ppd_with("", "rastertohp", 0);
  fp_ppd_hints_t    zebra_ppd = ppd_with("", "rastertolabel", 18);
  fp_detect_input_t in = { .final_content_type = "application/vnd.zebra-zpl",
                           .content_type = "application/pdf",
                           .device_id = "MFG:EPSON;CMD:ESC/POS;",
                           .data = receipt,
                           .data_len = sizeof(receipt) - 1 };

  /* *FlushPrinterLanguage first */
  in.ppd = &escp_ppd;
  check_resolved(&in, "escp", "the PPD: *FlushPrinterLanguage escp");
  /* then the content type, over the PPD's driver, the device ID and the data */
  in.ppd = &hp_ppd;
  check_resolved(&in, "zpl", "FINAL_CONTENT_TYPE: application/vnd.zebra-zpl");
  /* a driver's input type says nothing: the PPD's driver */
  in.final_content_type = "application/vnd.cups-raster";
  in.ppd = &zebra_ppd;
  check_resolved(&in, "zpl", "the PPD: *cupsFilter rastertolabel with *cupsModelNumber 18");
  /* then the device ID, over the data */
  in.ppd = NULL;
  check_resolved(&in, "escpos", "the device ID: CMD:ESC/POS");
  in.device_id = "MFG:Zebra;CMD:ZPL;";
  check_resolved(&in, "zpl", "the device ID: CMD:ZPL");
  /* a device ID naming several languages leaves it to the data */
  in.device_id = "MFG:Zebra Technologies;CMD:EPL,ESC/POS;";
  check_resolved(&in, "escpos", "the job data: ESC/POS command GS V");
  /* nothing at all */
  in.device_id = NULL;
  in.data_len = 0;
  check_resolved(&in, FP_LANGUAGE_UNKNOWN, "the job data: no job data");
}
END_TEST

START_TEST(raw_jobs_and_content_type)
{
  fp_ppd_hints_t    hp_ppd = ppd_with("", "rastertohp", 0);
  fp_ppd_hints_t    own_ppd = ppd_with("escpos", "flushprinter", 0);
  fp_detect_input_t in = { .ppd = &hp_ppd,
                           .final_content_type = "printer/receipts",
                           .content_type = "application/vnd.cups-raw",
                           .data = receipt,
                           .data_len = sizeof(receipt) - 1 };
  fp_detection_t    d;
  char              trail[1024];

  /* a raw job on a driver queue did not go through the driver */
  check_resolved(&in, "escpos", "the job data");
  fp_detect_language(&in, &d, trail, sizeof(trail));
  ck_assert_msg(!strstr(trail, "rastertohp"), "the driver was consulted: %s", trail);
  ck_assert_msg(strstr(trail, "FINAL_CONTENT_TYPE: unknown (printer/receipts"), "trail: %s", trail);
  in.content_type = "application/octet-stream";
  check_resolved(&in, "escpos", "the job data");
  /* but *FlushPrinterLanguage is about the printer, not the driver */
  in.ppd = &own_ppd;
  check_resolved(&in, "escpos", "the PPD: *FlushPrinterLanguage");
  /* without FINAL_CONTENT_TYPE (a raw queue), CONTENT_TYPE is the data's own type */
  in.ppd = NULL;
  in.final_content_type = NULL;
  in.content_type = "application/vnd.hp-pcl";
  check_resolved(&in, "pcl", "CONTENT_TYPE: application/vnd.hp-pcl");
  in.final_content_type = "";
  check_resolved(&in, "pcl", "CONTENT_TYPE");
}
END_TEST

START_TEST(trail_and_names)
{
  fp_detect_input_t  in = { .data = (const uint8_t *)"plain", .data_len = 5 };
  fp_detection_t     d;
  char               trail[1024], tiny[12];
  const char *const *names = fp_detect_language_names();
  size_t             count = 0;

  fp_detect_language(&in, &d, trail, sizeof(trail));
  ck_assert_str_eq(trail, "CONTENT_TYPE: unknown (none); the device ID: unknown (none); "
                          "the job data: unknown (no printer command in the first 5 bytes)");
  ck_assert_str_eq(d.reason, "the job data: no printer command in the first 5 bytes");
  /* a short trail is cut, a missing one is fine */
  fp_detect_language(&in, &d, tiny, sizeof(tiny));
  ck_assert_uint_eq(strlen(tiny), sizeof(tiny) - 1);
  ck_assert_str_eq(fp_detect_language(&in, &d, NULL, 0), FP_LANGUAGE_UNKNOWN);

  for (; names[count]; count++)
    ck_assert_str_ne(names[count], FP_LANGUAGE_UNKNOWN);
  ck_assert_uint_eq(count, 7);
  /* every language a sample detects is one of the names */
  for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
  {
    bool listed = !strcmp(samples[i].language, FP_LANGUAGE_UNKNOWN);

    for (size_t n = 0; n < count; n++)
      listed = listed || !strcmp(names[n], samples[i].language);
    ck_assert_msg(listed, "%s is not listed", samples[i].language);
  }
}
END_TEST

/* The opening of a job of Epson's ESC/P-R driver (epson-escpr-wrapper), to its first raster line. */
static const bytes_t escpr_job = B(
  "\0\0\0\x1b\x01@EJL 1284.4\n@EJL     \n\x1b@"
  "\x1b(R\x08\0\0REMOTE1" "TI\x08\0\0\x07\xe9\x0c\x04\x14\x23\x00" "JS\x04\0\0\0\0\0"
  "JH\x0e\0\0\0\0\0\0\0ESCPRLib" "HD\x03\0\0\x03\x04" "PP\x03\0\0\x01\xff" "\x1b\0\0\0"
  "\x1b(R\x06\0\0ESCPR" "\x1bq\x09\0\0\0setq\0\x01\0\0\0\0\0\0\0"
  "\x1bj\x16\0\0\0setj\0\0\x0b\xa0\0\0\x10\x71\0\x2a\0\x2a\0\0\x0b\x4c\0\0\x10\x1d\0\0"
  "\x1bp\0\0\0\0sttp" "\x1bp\x01\0\0\0setn\0"
  "\x1b" "d\x0f\0\0\0dsnd\0\0\0\x6b\x01\0\x08\x80\xff\xff\xff\x80\xff\xff\xff");

/* The same packet-mode exit and remote mode, then ESC/P 2 raster (as Gutenprint sends). */
static const bytes_t escp2_remote_job = B(
  "\0\0\0\x1b\x01@EJL 1284.4\n@EJL     \n\x1b@\x1b@"
  "\x1b(R\x08\0\0REMOTE1" "PM\x02\0\0\0" "SN\x03\0\0\0\x01" "\x1b\0\0\0"
  "\x1b(G\x01\0\x01\x1b(U\x01\0\x0a\x1b(i\x01\0\0");

/* ESC/P-R is told from ESC/P by its own mode, and never called ESC/P, cut anywhere. */
START_TEST(escpr_detection)
{
  fp_detection_t    d;
  fp_ppd_hints_t    h;
  fp_detect_input_t in = { .data = (const uint8_t *)escpr_job.data, .data_len = escpr_job.len };

  check_verdict("ESC/P-R job", sniff(escpr_job, &d), &d, "escpr", "ESC ( R ESCPR at byte");
  for (size_t len = 0; len < escpr_job.len; len++)
  {
    const char *got = sniff((bytes_t){ escpr_job.data, len }, &d);

    ck_assert_msg(strcmp(got, "escp"), "ESC/P-R cut at %zu: escp (%s)", len, d.reason);
  }
  /* once ESC ( R ESCPR is in, it is escpr; before it, remote mode leaves it open */
  check_verdict("ESC/P-R before its mode", sniff((bytes_t){ escpr_job.data, 105 }, &d), &d,
                FP_LANGUAGE_UNKNOWN, "remote mode at byte 29");
  check_verdict("ESC/P-R in remote mode", sniff((bytes_t){ escpr_job.data, 60 }, &d), &d,
                FP_LANGUAGE_UNKNOWN, "end before ESC/P 2 or ESC/P-R follows");
  check_verdict("JPEG ESC/P-R", sniff((bytes_t)B("\x1b@\x1b(R\x07\0\0ESCPRJ\x1b"), &d), &d,
                "escpr", "ESCPRJ at byte 2");
  /* remote mode followed by ESC/P 2 stays ESC/P, cut anywhere past the remote exit */
  check_verdict("ESC/P 2 with remote mode", sniff(escp2_remote_job, &d), &d, "escp", "ESC/P2");
  for (size_t len = 0; len < escp2_remote_job.len; len++)
  {
    const char *got = sniff((bytes_t){ escp2_remote_job.data, len }, &d);

    ck_assert_msg(strcmp(got, "escpr"), "ESC/P 2 cut at %zu: escpr (%s)", len, d.reason);
  }
  /* the driver's PPD: *cupsFilter epson-escpr-wrapper (and the filter it runs) */
  h = one_filter("", "epson-escpr-wrapper", 1);
  check_verdict("escpr PPD", fp_detect_ppd_driver(&h, &d), &d, "escpr",
                "*cupsFilter epson-escpr-wrapper");
  h = one_filter("", "epson-escpr", 1);
  check_verdict("escpr filter", fp_detect_ppd_driver(&h, &d), &d, "escpr", "epson-escpr");
  /* device IDs: ESCPR and a version is ESC/P-R; beside ESCPL2 it cannot tell */
  check_verdict("CMD:ESCPR1", fp_detect_device_id("MFG:EPSON;CMD:ESCPR1,END4;MDL:XP;", &d), &d,
                "escpr", "CMD:ESCPR1");
  check_verdict("CMD:ESCPL2,ESCPR1",
                fp_detect_device_id("MFG:EPSON;CMD:ESCPL2,BDC,D4,D4PX,ESCPR1,END4,GENEP;", &d),
                &d, FP_LANGUAGE_UNKNOWN, "several languages (escp, escpr)");
  check_verdict("CMD:ESCPRX", fp_detect_device_id("CMD:ESCPRX;", &d), &d, FP_LANGUAGE_UNKNOWN,
                "names no language");
  /* such a printer's raw ESC/P-R job is told by its data */
  in.device_id = "MFG:EPSON;CMD:ESCPL2,BDC,D4,D4PX,ESCPR7,END4,GENEP,URF;MDL:ET-2750 Series;";
  ck_assert_str_eq(fp_detect_language(&in, &d, NULL, 0), "escpr");
}
END_TEST

/* Documents are told from printer command streams by their first bytes. */
START_TEST(foreign_formats)
{
  static const struct { const char *data; size_t len; const char *format; } cases[] = {
    { "%PDF-1.7\n", 9, "PDF" },
    { "%!PS-Adobe-3.0\n", 15, "PostScript" },
    { "\x04%!PS", 5, "PostScript" },
    { "\x89PNG\r\n\x1a\n\0", 9, "PNG" },
    { "\xff\xd8\xff\xe0", 4, "JPEG" },
    { "RaS2PwgRaster", 13, "CUPS/PWG raster" },
    { "\x1b@Hello\n", 8, NULL },               /* ESC/POS */
    { "\x1b%-12345X@PJL\r\n", 17, NULL },      /* PJL */
    { "^XA^FDx^FS^XZ", 13, NULL },              /* ZPL */
    { "\nN\nA10,10,0,1,1,1,N,\"x\"\n", 25, NULL }, /* EPL */
    { "%", 1, NULL },                           /* too short to tell */
    { "", 0, NULL },
  };

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
  {
    const char *got = fp_detect_foreign_format((const uint8_t *)cases[i].data, cases[i].len);

    if (cases[i].format)
      ck_assert_msg(got && !strcmp(got, cases[i].format), "case %zu: %s", i, got ? got : "NULL");
    else
      ck_assert_msg(!got, "case %zu taken for %s", i, got);
  }
  ck_assert_ptr_null(fp_detect_foreign_format(NULL, 4));
}
END_TEST

/* The suite. */
static Suite *detect_suite(void)
{
  Suite *s = suite_create("language-detect");
  TCase *hints = tcase_create("hints");
  TCase *stream = tcase_create("stream");
  TCase *resolve = tcase_create("precedence");

  tcase_add_test(hints, mime_types);
  tcase_add_test(hints, ppd_parsing);
  tcase_add_test(hints, ppd_keywords);
  tcase_add_test(hints, ppd_drivers);
  tcase_add_test(hints, device_ids);
  suite_add_tcase(s, hints);
  tcase_add_test(stream, stream_samples);
  tcase_add_test(stream, stream_cut_everywhere);
  tcase_add_test(stream, stream_window);
  tcase_add_test(stream, foreign_formats);
  tcase_add_test(stream, escpr_detection);
  suite_add_tcase(s, stream);
  tcase_add_test(resolve, precedence);
  tcase_add_test(resolve, raw_jobs_and_content_type);
  tcase_add_test(resolve, trail_and_names);
  suite_add_tcase(s, resolve);
  return s;
}

/* Run the suite; exit status 0 only when every test passed. */
int main(void)
{
  return fp_run_suite(detect_suite());
}

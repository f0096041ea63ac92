/*
 * Unit tests for the status parsers (engine/printer-status.c, engine/status-*.c):
 * what each language's replies mean, replies split at every byte, unrelated
 * bytes around and between them, false starts, hostile lengths, and that
 * every back-channel byte comes out exactly once, in order, as part of a
 * reply or as a passed-through byte.
 */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check-main.h"
#include "../engine/printer-status.h"

#define L(literal) (sizeof(literal) - 1)
#define REPLIES_MAX 64
#define OUT_MAX 8192

/* What a parser handed over. */
typedef struct
{
  fp_reply_t reply[REPLIES_MAX];
  size_t     nreply;
  uint8_t    other[OUT_MAX]; /* passed-through bytes */
  size_t     nother;
  uint8_t    all[OUT_MAX];   /* replies' and passed-through bytes, in order */
  size_t     nall;
} record_t;

static void on_reply(void *ctx, const fp_reply_t *reply)
{
  record_t *r = ctx;

  ck_assert_uint_le(r->nall + reply->raw_len, OUT_MAX);
  ck_assert_uint_le(reply->raw_len, FP_STATUS_REPLY_MAX);
  ck_assert(reply->id[FP_STATUS_ID_MAX] == '\0');
  if (r->nreply < REPLIES_MAX) /* the first ones are kept; all are counted */
  {
    r->reply[r->nreply] = *reply;
    r->reply[r->nreply].raw = NULL;
  }
  r->nreply++;
  memcpy(r->all + r->nall, reply->raw, reply->raw_len);
  r->nall += reply->raw_len;
}

static void on_other(void *ctx, const uint8_t *data, size_t len)
{
  record_t *r = ctx;

  ck_assert_uint_gt(len, 0);
  ck_assert_uint_le(r->nall + len, OUT_MAX);
  memcpy(r->other + r->nother, data, len);
  r->nother += len;
  memcpy(r->all + r->nall, data, len);
  r->nall += len;
}

/* Parses `data` in pieces of `piece` bytes (0: one piece), then flushes. */
static void parse(record_t *rec, const fp_status_language_t *lang, const char *sent,
                  size_t sent_len, const void *data, size_t len, size_t piece)
{
  fp_status_parser_t p;
  const uint8_t     *d = data;

  memset(rec, 0, sizeof(*rec));
  fp_status_parser_init(&p, lang, on_reply, on_other, rec);
  if (sent)
    fp_status_note_sent(&p, sent, sent_len, true);
  if (piece == 0)
    piece = len ? len : 1;
  for (size_t at = 0; at < len; at += piece)
    fp_status_feed(&p, d + at, len - at < piece ? len - at : piece);
  fp_status_flush(&p);
  /* Every byte exactly once, in order. */
  ck_assert_uint_eq(rec->nall, len);
  ck_assert(len == 0 || !memcmp(rec->all, data, len));
}

/* Same replies and passed-through bytes. */
static void assert_same(const record_t *a, const record_t *b)
{
  ck_assert_uint_eq(a->nreply, b->nreply);
  for (size_t i = 0; i < a->nreply && i < REPLIES_MAX; i++)
  {
    ck_assert_int_eq(a->reply[i].type, b->reply[i].type);
    ck_assert_uint_eq(a->reply[i].known, b->reply[i].known);
    ck_assert_uint_eq(a->reply[i].conditions, b->reply[i].conditions);
    ck_assert_int_eq(a->reply[i].queued, b->reply[i].queued);
    ck_assert_int_eq(a->reply[i].solicited, b->reply[i].solicited);
    ck_assert_str_eq(a->reply[i].id, b->reply[i].id);
  }
  ck_assert_uint_eq(a->nother, b->nother);
  ck_assert(a->nother == 0 || !memcmp(a->other, b->other, a->nother));
}

/* The replies are the same whether the bytes come whole, byte by byte or cut in two anywhere. */
static void assert_split_invariant(const fp_status_language_t *lang, const char *sent,
                                   size_t sent_len, const uint8_t *data, size_t len)
{
  static record_t whole, cut;
  fp_status_parser_t p;

  parse(&whole, lang, sent, sent_len, data, len, 0);
  parse(&cut, lang, sent, sent_len, data, len, 1);
  assert_same(&whole, &cut);
  for (size_t at = 1; at < len; at++)
  {
    memset(&cut, 0, sizeof(cut));
    fp_status_parser_init(&p, lang, on_reply, on_other, &cut);
    if (sent)
      fp_status_note_sent(&p, sent, sent_len, true);
    fp_status_feed(&p, data, at);
    fp_status_feed(&p, data + at, len - at);
    fp_status_flush(&p);
    ck_assert_uint_eq(cut.nall, len);
    ck_assert(!memcmp(cut.all, data, len));
    assert_same(&whole, &cut);
  }
}

/* ---------------------------------------------------------------- ESC/POS */

/* DLE EOT replies are read as answers to the queries sent, in order. */
START_TEST(escpos_realtime_attributed)
{
  static const char sent[] = "\x10\x04\x01" "ABC" "\x10\x04\x02" "\x10\x04\x04" "\x10\x04\x03";
  /* offline; cover open + paper-end stop; paper end + near end; autocutter error */
  static const uint8_t back[] = {0x1a, 0x36, 0x7e, 0x1a};
  static record_t r;

  parse(&r, &fp_status_escpos, sent, L(sent), back, sizeof(back), 0);
  ck_assert_uint_eq(r.nreply, 4);
  ck_assert_uint_eq(r.reply[0].known, FP_COND_OFFLINE);
  ck_assert_uint_eq(r.reply[0].conditions, FP_COND_OFFLINE);
  ck_assert(r.reply[0].solicited && r.reply[0].own);
  ck_assert_uint_eq(r.reply[1].conditions, FP_COND_COVER_OPEN | FP_COND_MEDIA_EMPTY);
  ck_assert_uint_eq(r.reply[2].known, FP_COND_MEDIA_LOW | FP_COND_MEDIA_EMPTY);
  ck_assert_uint_eq(r.reply[2].conditions, FP_COND_MEDIA_LOW | FP_COND_MEDIA_EMPTY);
  ck_assert_uint_eq(r.reply[3].conditions, FP_COND_MEDIA_JAM);
  ck_assert_uint_eq(r.nother, 0);
}
END_TEST

/* All clear; DLE EOT 2 never clears media-empty; an unasked reply speaks for nothing. */
START_TEST(escpos_realtime_clear_and_unasked)
{
  static const char sent[] = "\x10\x04\x01\x10\x04\x02\x10\x04\x04";
  static const uint8_t back[] = {0x12, 0x12, 0x12, 0x12};
  static record_t r;
  unsigned state = FP_COND_MEDIA_EMPTY | FP_COND_OFFLINE | FP_COND_COVER_OPEN;

  parse(&r, &fp_status_escpos, sent, L(sent), back, sizeof(back), 0);
  ck_assert_uint_eq(r.nreply, 4);
  state = fp_status_apply(state, &r.reply[0]);
  state = fp_status_apply(state, &r.reply[1]);
  ck_assert_uint_eq(state, FP_COND_MEDIA_EMPTY);
  state = fp_status_apply(state, &r.reply[2]);
  ck_assert_uint_eq(state, 0);
  ck_assert_uint_eq(r.reply[3].known, 0);
  ck_assert(!r.reply[3].solicited);
}
END_TEST

/* DLE EOT 7 and 8 take a byte more and their answers are consumed undecoded. */
START_TEST(escpos_realtime_extended_queries)
{
  static const char sent[] = "\x10\x04\x07\x01\x10\x04\x01";
  static const uint8_t back[] = {0x1a, 0x1a}; /* the first answers DLE EOT 7, the second 1 */
  static record_t r;

  parse(&r, &fp_status_escpos, sent, L(sent), back, sizeof(back), 0);
  ck_assert_uint_eq(r.nreply, 2);
  ck_assert_uint_eq(r.reply[0].known, 0);
  ck_assert(r.reply[0].solicited);
  ck_assert_uint_eq(r.reply[1].conditions, FP_COND_OFFLINE);
}
END_TEST

/* ASB: four bytes, decoded whole; XON/XOFF may come between them. */
START_TEST(escpos_asb)
{
  static const uint8_t paper_out[] = {0x18, 0x00, 0x0f, 0x00};
  static const uint8_t cover_xoff[] = {0x30, 0x13, 0x00, 0x00, 0x00};
  static const uint8_t clear[] = {0x10, 0x00, 0x00, 0x00};
  static const uint8_t cutter[] = {0x10, 0x08, 0x00, 0x00};
  static record_t r;

  parse(&r, &fp_status_escpos, NULL, 0, paper_out, sizeof(paper_out), 1);
  ck_assert_uint_eq(r.nreply, 1);
  ck_assert_int_eq(r.reply[0].type, FP_REPLY_STATUS);
  ck_assert_uint_eq(r.reply[0].known, FP_COND_ALL);
  ck_assert_uint_eq(r.reply[0].conditions,
                    FP_COND_OFFLINE | FP_COND_MEDIA_LOW | FP_COND_MEDIA_EMPTY);
  parse(&r, &fp_status_escpos, NULL, 0, cover_xoff, sizeof(cover_xoff), 1);
  ck_assert_uint_eq(r.nreply, 1);
  ck_assert_uint_eq(r.reply[0].conditions, FP_COND_COVER_OPEN);
  parse(&r, &fp_status_escpos, NULL, 0, clear, sizeof(clear), 0);
  ck_assert_uint_eq(r.reply[0].conditions, 0);
  parse(&r, &fp_status_escpos, NULL, 0, cutter, sizeof(cutter), 0);
  ck_assert_uint_eq(r.reply[0].conditions, FP_COND_MEDIA_JAM);
}
END_TEST

/* A byte that breaks an ASB's pattern: the start is handed back and the rest parsed again. */
START_TEST(escpos_asb_false_start)
{
  /* 0x10 looks like an ASB start; 0x1a (a DLE EOT answer) cannot be its second byte. */
  static const char sent[] = "\x10\x04\x01";
  static const uint8_t back[] = {0x10, 0x1a, 0x18, 0x00, 0x0c, 0x00};
  static record_t r;

  parse(&r, &fp_status_escpos, sent, L(sent), back, sizeof(back), 1);
  ck_assert_uint_eq(r.nreply, 2);
  ck_assert_uint_eq(r.reply[0].conditions, FP_COND_OFFLINE);
  ck_assert(r.reply[0].solicited);
  ck_assert_uint_eq(r.reply[1].conditions, FP_COND_OFFLINE | FP_COND_MEDIA_EMPTY);
  ck_assert_uint_eq(r.nother, 1);
  ck_assert_uint_eq(r.other[0], 0x10);
}
END_TEST

/* GS ( H fn 48's answer confirms completion; other header-to-NUL blocks are not read inside. */
START_TEST(escpos_process_id_and_blocks)
{
  /* "_TM-T88V\0" (GS I): 'T', 'R' and such look like status bytes. */
  static const uint8_t back[] = "\x37\x22" "4711" "\0" "_TM-T88VRR\0" "\x37\x22" "47x1" "\0";
  static record_t r;

  parse(&r, &fp_status_escpos, NULL, 0, back, L(back), 0);
  ck_assert_uint_eq(r.nreply, 3);
  ck_assert_int_eq(r.reply[0].type, FP_REPLY_DONE);
  ck_assert_str_eq(r.reply[0].id, "4711");
  ck_assert_int_eq(r.reply[1].type, FP_REPLY_UNPARSED);
  ck_assert_int_eq(r.reply[2].type, FP_REPLY_UNPARSED); /* not a process ID: no completion */
  ck_assert_uint_eq(r.nother, 0);
}
END_TEST

/* A block without its NUL is given up at the bound, and what it held is parsed again. */
START_TEST(escpos_block_bounded)
{
  uint8_t back[200];
  static const char sent[] = "\x10\x04\x04";
  static record_t r;

  memset(back, 'a', sizeof(back)); /* 'a' & 0x93 == 0x01: no status byte */
  back[0] = 0x5f;
  back[9] = 0x01;  /* no text: so that ... */
  back[10] = 0x72; /* ... a DLE EOT 4 answer, paper end, inside what is no block, is one */
  parse(&r, &fp_status_escpos, sent, L(sent), back, sizeof(back), 7);
  ck_assert_uint_eq(r.nreply, 1);
  ck_assert_uint_eq(r.reply[0].conditions, FP_COND_MEDIA_EMPTY);
  ck_assert_uint_eq(r.nother, sizeof(back) - 1);
}
END_TEST

/* An unfinished reply at the end is handed back by flush. */
START_TEST(escpos_flush_gives_back)
{
  static const uint8_t back[] = {0x10, 0x00, 0x37, 0x22, '1'};
  static record_t r;

  parse(&r, &fp_status_escpos, NULL, 0, back, sizeof(back), 0);
  ck_assert_uint_eq(r.nreply, 0);
  ck_assert_uint_eq(r.nother, sizeof(back));
}
END_TEST

/* A mixed back channel: identical results for every cut. */
START_TEST(escpos_split_everywhere)
{
  static const char sent[] = "\x10\x04\x01\x10\x04\x04";
  static const uint8_t back[] = "\x11" "\x1a" "\x18\x00\x0c\x00" "\x37\x22" "0042" "\0" "\x13"
                                "_EPSON\0" "\x72" "\x10\x13\x00\x00\x00" "zz";

  assert_split_invariant(&fp_status_escpos, sent, L(sent), back, L(back));
}
END_TEST

/* Unrelated bytes between replies change nothing about the replies. */
START_TEST(escpos_garbage_interleaved)
{
  static const uint8_t replies[][7] = {
    {0x18, 0x00, 0x0c, 0x00}, {0x37, 0x22, '9', '9', '9', '9', 0x00}, {0x10, 0x00, 0x00, 0x00}};
  static const size_t lens[] = {4, 7, 4};
  /* Bytes no ESC/POS reply begins with. */
  static const uint8_t junk[] = {0x11, 0x13, 0x01, 0x41, 0xc3, 0xff, 0x0d, 0x0a, 0x00};
  uint8_t back[256];
  size_t  n = 0;
  static record_t r;
  unsigned seed = 12345;

  for (size_t round = 0; round < 3; round++)
    for (size_t i = 0; i < 3; i++)
    {
      size_t k = (seed = seed * 1103515245 + 12345) >> 16 & 7;

      while (k--)
        back[n++] = junk[(seed = seed * 1103515245 + 12345) >> 16 & 7];
      memcpy(back + n, replies[i], lens[i]);
      n += lens[i];
    }
  parse(&r, &fp_status_escpos, NULL, 0, back, n, 3);
  ck_assert_uint_eq(r.nreply, 9);
  for (size_t i = 0; i < 9; i++)
    ck_assert_int_eq(r.reply[i].type, i % 3 == 1 ? FP_REPLY_DONE : FP_REPLY_STATUS);
  ck_assert_uint_eq(r.reply[3].conditions, FP_COND_OFFLINE | FP_COND_MEDIA_EMPTY);
  ck_assert_str_eq(r.reply[4].id, "9999");
  assert_split_invariant(&fp_status_escpos, NULL, 0, back, n);
}
END_TEST

/* Text the printer sends keeps its letters that look like replies ('R' is 52h, 'P' 50h). */
START_TEST(escpos_text_is_not_a_reply)
{
  static const char sent[] = "\x10\x04\x01";
  static const char text[] = "PRINTER STATUS OK\r\n";
  static const uint8_t after[] = {'O', 'K', '\n', 0x12, 0x37, 0x22, '0', '0', '4', '2', 0x00};
  /* A line end ends the text: cover open and offline, an ASB whose first byte is '8'. */
  static const uint8_t next_line[] = {'O', 'K', '\r', '\n', 0x38, 0x00, 0x00, 0x00};
  static record_t r;

  parse(&r, &fp_status_escpos, sent, L(sent), text, L(text), 0);
  ck_assert_uint_eq(r.nreply, 0);
  ck_assert_uint_eq(r.nother, L(text));
  assert_split_invariant(&fp_status_escpos, sent, L(sent), (const uint8_t *)text, L(text));

  /* A reply after a line of text still reads: a non-printable one, and a process ID. */
  parse(&r, &fp_status_escpos, sent, L(sent), after, sizeof(after), 0);
  ck_assert_uint_eq(r.nreply, 2);
  ck_assert(r.reply[0].solicited && r.reply[0].own);
  ck_assert_int_eq(r.reply[1].type, FP_REPLY_DONE);
  ck_assert_str_eq(r.reply[1].id, "0042");
  ck_assert_uint_eq(r.nother, 3);

  parse(&r, &fp_status_escpos, NULL, 0, next_line, sizeof(next_line), 0);
  ck_assert_uint_eq(r.nreply, 1);
  ck_assert_uint_eq(r.reply[0].conditions, FP_COND_COVER_OPEN | FP_COND_OFFLINE);
  ck_assert_uint_eq(r.nother, 4);

  /* Alone, the same letter answers the query (a printer with its feed button held). */
  parse(&r, &fp_status_escpos, sent, L(sent), "R", 1, 0);
  ck_assert_uint_eq(r.nreply, 1);
  ck_assert(r.reply[0].solicited);
}
END_TEST

/* The probe prints nothing on a printer that ignores it; the completion query's form. */
START_TEST(escpos_queries)
{
  uint8_t q[32];

  ck_assert(fp_status_escpos.probe_blind);
  for (size_t i = 0; i < fp_status_escpos.probe_len; i++)
  {
    uint8_t b = fp_status_escpos.probe[i];

    ck_assert(b < 0x20 && b != 0x0a && b != 0x0d && b != 0x0c && b != 0x09 && b != 0x1b
              && b != 0x1d && b != 0x1c);
  }
  ck_assert_uint_eq(fp_status_escpos.done_query("0815", q, sizeof(q)), 11);
  ck_assert(!memcmp(q, "\x1d(H\x06\x00" "000815", 11));
  ck_assert_uint_eq(fp_status_escpos.done_query("815", q, sizeof(q)), 0);
  ck_assert_uint_eq(fp_status_escpos.done_query("08a5", q, sizeof(q)), 0);
  ck_assert_uint_eq(fp_status_escpos.done_query("0815", q, 10), 0);
  ck_assert_ptr_eq(fp_status_language_find("ESCPOS"), &fp_status_escpos);
  ck_assert_ptr_eq(fp_status_language_find("pcl"), &fp_status_pjl);
  ck_assert_ptr_eq(fp_status_language_find("dymo"), &fp_status_dymo);
  ck_assert_ptr_null(fp_status_language_find("escp"));
}
END_TEST

/* ---------------------------------------------------------------- PJL */

#define PJL_DEVICE(code, online) \
  "@PJL USTATUS DEVICE\r\nCODE=" code "\r\nDISPLAY=\"X\"\r\nONLINE=" online "\r\n\f"

/* USTATUS DEVICE codes and ONLINE. */
START_TEST(pjl_device_codes)
{
  static const struct
  {
    const char *text;
    unsigned known, conditions;
  } cases[] = {
    {PJL_DEVICE("10001", "TRUE"), FP_COND_ALL, 0},
    {PJL_DEVICE("10002", "FALSE"), FP_COND_ALL, FP_COND_OFFLINE},
    {PJL_DEVICE("40021", "FALSE"), FP_COND_ALL, FP_COND_COVER_OPEN | FP_COND_OFFLINE},
    {PJL_DEVICE("40022", "TRUE"), FP_COND_ALL, FP_COND_MEDIA_JAM},
    {PJL_DEVICE("41302", "TRUE"), FP_COND_ALL, FP_COND_MEDIA_EMPTY},
    {PJL_DEVICE("42104", "TRUE"), FP_COND_ALL, FP_COND_MEDIA_JAM},
    {PJL_DEVICE("11302", "TRUE"), FP_COND_ALL, FP_COND_MEDIA_LOW},
    {PJL_DEVICE("40038", "TRUE"), FP_COND_ALL, FP_COND_OTHER_ERROR},
    {PJL_DEVICE("50003", "TRUE"), FP_COND_ALL, FP_COND_OTHER_ERROR},
    {PJL_DEVICE("25001", "TRUE"), 0, 0},  /* a parser warning: no device condition */
    {PJL_DEVICE("77777", "TRUE"), 0, 0},  /* unknown: neither raised nor cleared */
    {PJL_DEVICE("77777", "FALSE"), FP_COND_OFFLINE, FP_COND_OFFLINE},
  };
  static record_t r;

  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
  {
    parse(&r, &fp_status_pjl, NULL, 0, cases[i].text, strlen(cases[i].text), 0);
    ck_assert_uint_eq(r.nreply, 1);
    ck_assert_int_eq(r.reply[0].type, FP_REPLY_STATUS);
    ck_assert_uint_eq(r.reply[0].known, cases[i].known);
    ck_assert_uint_eq(r.reply[0].conditions, cases[i].conditions);
    ck_assert(!r.reply[0].solicited);
  }
}
END_TEST

/* INFO STATUS and ECHO are attributed to the queries sent; JOB END confirms a job. */
START_TEST(pjl_solicited_and_done)
{
  static const char sent[] = "\x1b%-12345X@PJL\r\n@PJL  INFO STATUS\r\n@PJL ECHO fp 42\r\n";
  static const char back[] = "@PJL INFO STATUS\nCODE=10001\nDISPLAY=\"READY\"\nONLINE=TRUE\n\f"
                             "@PJL ECHO fp 42\r\n\f"
                             "@PJL USTATUS JOB\r\nSTART\r\nNAME=\"fp-7\"\r\n\f"
                             "@PJL USTATUS JOB\r\nEND\r\nNAME=\"fp-7\"\r\nPAGES=2\r\n\f";
  static record_t r;

  parse(&r, &fp_status_pjl, sent, L(sent), back, L(back), 5);
  ck_assert_uint_eq(r.nreply, 4);
  ck_assert(r.reply[0].solicited && r.reply[0].own);
  ck_assert_int_eq(r.reply[0].code, 10001);
  ck_assert_int_eq(r.reply[1].type, FP_REPLY_ECHO);
  ck_assert_str_eq(r.reply[1].id, "fp 42");
  ck_assert(r.reply[1].solicited);
  ck_assert_int_eq(r.reply[2].type, FP_REPLY_UNPARSED);
  ck_assert_int_eq(r.reply[3].type, FP_REPLY_DONE);
  ck_assert_str_eq(r.reply[3].id, "fp-7");
  assert_split_invariant(&fp_status_pjl, sent, L(sent), (const uint8_t *)back, L(back));
}
END_TEST

/* Replies this parser does not read, hostile lengths and malformed codes are handed back. */
START_TEST(pjl_hostile)
{
  static const char config[] = "@PJL INFO CONFIG\r\nIN TRAYS [1 ENUMERATED]\r\n\tINTRAY1\r\n\f";
  static const char long_code[] = PJL_DEVICE("1000001", "TRUE");
  static const char binary[] = "@PJL USTATUS DEVICE\r\nCODE=41\x01" "00\r\n\f";
  char big[1200];
  static record_t r;

  parse(&r, &fp_status_pjl, NULL, 0, config, L(config), 0);
  ck_assert_uint_eq(r.nreply, 0);
  ck_assert_uint_eq(r.nother, L(config));
  parse(&r, &fp_status_pjl, NULL, 0, long_code, L(long_code), 0);
  ck_assert_uint_eq(r.nreply, 0);
  parse(&r, &fp_status_pjl, NULL, 0, binary, L(binary), 0);
  ck_assert_uint_eq(r.nreply, 0);
  /* A reply longer than the bound, then a real one. */
  strcpy(big, "@PJL USTATUS DEVICE\r\n");
  for (int i = 0; i < 10; i++)
    strcat(big, "DISPLAY=\"0123456789012345678901234567890123456789012345678901234567890\"\r\n");
  strcat(big, "\f" PJL_DEVICE("41000", "TRUE"));
  parse(&r, &fp_status_pjl, NULL, 0, big, strlen(big), 64);
  ck_assert_uint_eq(r.nreply, 1);
  ck_assert_uint_eq(r.reply[0].conditions, FP_COND_MEDIA_EMPTY);
  /* A line longer than the line bound. */
  memset(big, 'A', 400);
  memcpy(big, "@PJL ECHO ", 10);
  strcpy(big + 400, "\r\n\f");
  parse(&r, &fp_status_pjl, NULL, 0, big, strlen(big), 0);
  ck_assert_uint_eq(r.nreply, 0);
}
END_TEST

/* Job data around a reply and a stray '@'. */
START_TEST(pjl_split_everywhere)
{
  static const char back[] = "junk@@PJL x\r\n" PJL_DEVICE("41302", "TRUE") "\r\n@PJ"
                             "@PJL USTATUS JOB\nEND\nNAME=\"a\"\n\f";

  assert_split_invariant(&fp_status_pjl, NULL, 0, (const uint8_t *)back, L(back));
}
END_TEST

/* Completion is an ECHO: the text, ids that do not fit, and its answer as the backend's own. */
START_TEST(pjl_queries)
{
  static const char back[] = "@PJL ECHO fp-7\r\n\f";
  uint8_t q[128];
  size_t  n = fp_status_pjl.done_query("fp-7", q, sizeof(q));
  static record_t r;

  ck_assert_uint_gt(n, 0);
  ck_assert(!memcmp(q, "\x1b%-12345X@PJL\r\n@PJL ECHO fp-7\r\n\x1b%-12345X", n));
  ck_assert_ptr_null(fp_status_pjl.begin_query);
  ck_assert_uint_eq(fp_status_pjl.done_query("a b", q, sizeof(q)), 0);
  ck_assert_uint_eq(fp_status_pjl.done_query("a\x1b", q, sizeof(q)), 0);
  ck_assert_uint_eq(fp_status_pjl.done_query("fp-7", q, 20), 0);
  ck_assert(!fp_status_pjl.probe_blind);
  ck_assert_str_eq(fp_status_pjl.command_set, "PJL");
  /* The arming asks for device status alone; a job's UEL may end it. */
  ck_assert_uint_eq(fp_status_pjl.arm_len, 48);
  ck_assert(!memcmp(fp_status_pjl.arm,
                    "\x1b%-12345X@PJL\r\n@PJL USTATUS DEVICE=ON\r\n\x1b%-12345X", 48));
  ck_assert_uint_eq(fp_status_pjl.disarm_len, 9);
  ck_assert(!memcmp(fp_status_pjl.disarm, "\x1b%-12345X", 9));
  n = fp_status_pjl.done_query("fp-7", q, sizeof(q)); /* q was written over above */
  parse(&r, &fp_status_pjl, (const char *)q, n, back, L(back), 5);
  ck_assert_uint_eq(r.nreply, 1);
  ck_assert_int_eq(r.reply[0].type, FP_REPLY_ECHO);
  ck_assert_str_eq(r.reply[0].id, "fp-7");
  ck_assert(r.reply[0].solicited && r.reply[0].own);
}
END_TEST

/* ---------------------------------------------------------------- ZPL */

#define HS1(b, c, eee, h) "\x02" "030," b "," c ",1245," eee ",0,0," h ",000,0,0,0\x03\r\n"
#define HS2(o, p, u) "\x02" "001,0," o "," p ",1,2,6,0," u ",1,000\x03\r\n"
#define HS3 "\x02" "1234,0\x03\r\n"

/* ~HS: flags and the count of what is not printed yet. */
START_TEST(zpl_host_status)
{
  static const char out[] = HS1("1", "0", "002", "1") HS2("0", "0", "00000003") HS3;
  static const char head[] = HS1("0", "1", "000", "0") HS2("1", "1", "00000000") HS3;
  static const char idle[] = HS1("0", "0", "000", "0") HS2("0", "0", "00000000") HS3;
  static record_t r;

  parse(&r, &fp_status_zpl, "~HS", 3, out, L(out), 0);
  ck_assert_uint_eq(r.nreply, 2); /* the status, and its closing CR LF */
  ck_assert_int_eq(r.reply[0].type, FP_REPLY_STATUS);
  ck_assert_uint_eq(r.reply[0].conditions, FP_COND_MEDIA_EMPTY);
  ck_assert_uint_eq(r.reply[0].known & (FP_COND_MEDIA_JAM | FP_COND_MEDIA_LOW), 0);
  ck_assert_int_eq(r.reply[0].queued, 2 + 3 + 1);
  ck_assert(r.reply[0].solicited && r.reply[0].own);
  ck_assert_int_eq(r.reply[1].type, FP_REPLY_UNPARSED);
  ck_assert(r.reply[1].own);
  parse(&r, &fp_status_zpl, NULL, 0, head, L(head), 0);
  ck_assert_uint_eq(r.reply[0].conditions,
                    FP_COND_OFFLINE | FP_COND_COVER_OPEN | FP_COND_OTHER_ERROR);
  ck_assert(!r.reply[0].solicited);
  parse(&r, &fp_status_zpl, "^XA~hs^XZ", 9, idle, L(idle), 0);
  ck_assert_uint_eq(r.reply[0].conditions, 0);
  ck_assert_int_eq(r.reply[0].queued, 0);
  ck_assert(r.reply[0].solicited);
  assert_split_invariant(&fp_status_zpl, "~HS", 3, (const uint8_t *)out, L(out));
}
END_TEST

/* Malformed strings are no reply; too many digits or fields neither. */
START_TEST(zpl_hostile)
{
  static const char letters[] = HS1("1", "0", "0x2", "0") HS2("0", "0", "0") HS3;
  static const char digits[] = HS1("1", "0", "123456789", "0") HS2("0", "0", "0") HS3;
  static const char few[] = "\x02" "030,1,0\x03\r\n" HS2("0", "0", "0") HS3;
  static const char other[] = "\x02" "ZT230,V72.20.01Z,8,4104KB\x03\r\n";
  static const char good[] = HS1("1", "0", "000", "0") HS2("0", "0", "0") HS3;
  char many[600] = "\x02";
  static record_t r;

  parse(&r, &fp_status_zpl, NULL, 0, letters, L(letters), 0);
  ck_assert_uint_eq(r.nreply, 0);
  parse(&r, &fp_status_zpl, NULL, 0, digits, L(digits), 0);
  ck_assert_uint_eq(r.nreply, 0);
  parse(&r, &fp_status_zpl, NULL, 0, few, L(few), 0);
  ck_assert_uint_eq(r.nreply, 0);
  parse(&r, &fp_status_zpl, NULL, 0, other, L(other), 0);
  ck_assert_uint_eq(r.nreply, 0);
  for (int i = 0; i < 40; i++)
    strcat(many, "1,");
  strcat(many, "1\x03\r\n" HS2("0", "0", "0") HS3 HS1("1", "0", "000", "0"));
  strcat(many, HS2("0", "0", "0") HS3);
  parse(&r, &fp_status_zpl, NULL, 0, many, strlen(many), 0);
  ck_assert_uint_eq(r.nreply, 2); /* only the well-formed reply (and its CR LF) */
  ck_assert_uint_eq(r.reply[0].conditions, FP_COND_MEDIA_EMPTY);
  /* A good reply right after a false start inside a string. */
  strcpy(many, "\x02" "030,");
  strcat(many, good);
  parse(&r, &fp_status_zpl, NULL, 0, many, strlen(many), 1);
  ck_assert_uint_eq(r.nreply, 2);
  ck_assert_uint_eq(r.reply[0].conditions, FP_COND_MEDIA_EMPTY);
}
END_TEST

/* DYMO ESC A: one byte per own query, decoded; without a query, or of the wrong shape, none. */
START_TEST(dymo_status_byte)
{
  static const uint8_t back[] = {0x03, 0xa1, 0x41, 0x81, 0x07, 0x02};
  static record_t r;

  parse(&r, &fp_status_dymo, "\x1b" "A\x1b" "A\x1b" "A\x1b" "A", 8, back, sizeof(back), 1);
  ck_assert_uint_eq(r.nreply, 4); /* 07h has a reserved bit, 02h no ready bit */
  ck_assert_uint_eq(r.reply[0].conditions, 0);
  ck_assert_int_eq(r.reply[0].queued, 0); /* at top of form */
  ck_assert_uint_eq(r.reply[1].conditions, FP_COND_MEDIA_EMPTY);
  ck_assert_int_eq(r.reply[1].queued, 1);
  ck_assert_uint_eq(r.reply[2].conditions, FP_COND_MEDIA_JAM);
  ck_assert_uint_eq(r.reply[3].conditions, FP_COND_OTHER_ERROR);
  ck_assert(r.reply[3].solicited && r.reply[3].own);
  ck_assert_uint_eq(r.reply[0].known & (FP_COND_COVER_OPEN | FP_COND_OFFLINE), 0);
  /* Nothing asked: every byte passes through, even one of a reply's shape. */
  parse(&r, &fp_status_dymo, NULL, 0, back, sizeof(back), 0);
  ck_assert_uint_eq(r.nreply, 0);
  /* The job's own ESC A (perhaps pixels in a raster line) is not noted. */
  {
    fp_status_parser_t p;

    memset(&r, 0, sizeof(r));
    fp_status_parser_init(&p, &fp_status_dymo, on_reply, on_other, &r);
    fp_status_note_sent(&p, "\x1b" "A", 2, false);
    fp_status_feed(&p, back, 1);
    fp_status_flush(&p);
    ck_assert_uint_eq(r.nreply, 0);
    ck_assert_uint_eq(r.nall, 1);
  }
  ck_assert(!fp_status_dymo.probe_blind);
  ck_assert_ptr_null(fp_status_dymo.arm);
}
END_TEST

/* EPL ^ee: two-digit codes to CR LF, own queries only; codes it cannot place raise nothing. */
START_TEST(epl_error_report)
{
  static const char sent[] = "^ee\r\n^ee\r\n^ee\r\n^ee\r\n";
  static const char back[] = "00\r\n07\r\n11,03\r\n" "01\n";
  static const char broken[] = "7\r\n" "1x3\r\n" "07,\r\n" "0a\r\n" "07\r07";
  static record_t r;

  parse(&r, &fp_status_epl, sent, L(sent), back, L(back), 0);
  ck_assert_uint_eq(r.nreply, 4);
  ck_assert_uint_eq(r.reply[0].conditions, 0);
  ck_assert_uint_eq(r.reply[0].known & FP_COND_MEDIA_EMPTY, FP_COND_MEDIA_EMPTY);
  ck_assert_int_eq(r.reply[0].queued, 0);
  ck_assert_uint_eq(r.reply[1].conditions, FP_COND_MEDIA_EMPTY);
  ck_assert_int_eq(r.reply[1].queued, -1);
  ck_assert_uint_eq(r.reply[2].conditions, FP_COND_COVER_OPEN);
  ck_assert_uint_eq(r.reply[3].conditions, 0); /* a syntax error: nothing a person must fix */
  ck_assert(r.reply[3].solicited && r.reply[3].own);
  ck_assert_uint_eq(r.nother, 0);
  assert_split_invariant(&fp_status_epl, sent, L(sent), (const uint8_t *)back, L(back));

  /* Not the documented shape: no reply, every byte handed on. */
  parse(&r, &fp_status_epl, sent, L(sent), broken, L(broken), 0);
  ck_assert_uint_eq(r.nreply, 0);
  ck_assert_uint_eq(r.nother, L(broken));
  /* Nothing asked (or only the job's ^ee): digits are the printer's other output. */
  parse(&r, &fp_status_epl, NULL, 0, back, L(back), 0);
  ck_assert_uint_eq(r.nreply, 0);
  {
    fp_status_parser_t p;

    memset(&r, 0, sizeof(r));
    fp_status_parser_init(&p, &fp_status_epl, on_reply, on_other, &r);
    fp_status_note_sent(&p, sent, L(sent), false);
    fp_status_feed(&p, back, L(back));
    fp_status_flush(&p);
    ck_assert_uint_eq(r.nreply, 0);
  }
  ck_assert(!fp_status_epl.probe_blind);
  ck_assert_ptr_eq(fp_status_language_find("EPL"), &fp_status_epl);
  /* A '?' line of the job (variable data follows): no more asking as the job goes. */
  {
    fp_status_parser_t p;

    fp_status_parser_init(&p, &fp_status_epl, on_reply, on_other, &r);
    fp_status_note_sent(&p, "N\nA1,1,0,1,1,1,N,\"a?b\"\n", 22, false);
    ck_assert(fp_status_may_poll(&p));
    fp_status_note_sent(&p, "FR\"F\"\n?", 7, false);
    ck_assert(!fp_status_may_poll(&p));
    ck_assert(fp_status_may_poll(&(fp_status_parser_t){ .language = &fp_status_escpos }));
  }
}
END_TEST

/* Every language: arbitrary bytes come out exactly once, whatever the cuts. */
START_TEST(random_bytes_conserved)
{
  const fp_status_language_t *langs[] = {&fp_status_escpos, &fp_status_pjl, &fp_status_zpl,
                                         &fp_status_dymo, &fp_status_epl};
  uint8_t  back[2048];
  static const char sent[] = "\x10\x04\x01~HS@PJL INFO STATUS\n\x1b" "A^ee\r\n";
  unsigned seed = (unsigned)_i * 7919u + 1;
  static record_t r;

  for (size_t i = 0; i < sizeof(back); i++)
  {
    seed = seed * 1103515245 + 12345;
    /* Mostly bytes that start or continue replies, to make frames and break them. */
    back[i] = (seed >> 16) % 5 == 0 ? (uint8_t)"\x10\x37\x22\x00@\x0c\n\x02\x03,1"[(seed >> 8) % 11]
                                    : (uint8_t)(seed >> 20);
  }
  for (size_t l = 0; l < sizeof(langs) / sizeof(langs[0]); l++)
    for (size_t piece = 1; piece < 40; piece += 13)
      parse(&r, langs[l], sent, L(sent), back, sizeof(back), piece);
}
END_TEST

/* The port status byte: every reading, the reserved bits making it none. */
START_TEST(port_status_conditions)
{
  ck_assert_uint_eq(fp_status_port_conditions(0x18), 0);                   /* ready */
  ck_assert_uint_eq(fp_status_port_conditions(0x38), FP_COND_MEDIA_EMPTY); /* paper out */
  ck_assert_uint_eq(fp_status_port_conditions(0x30), FP_COND_MEDIA_EMPTY); /* ... with the error line */
  ck_assert_uint_eq(fp_status_port_conditions(0x20), FP_COND_MEDIA_EMPTY | FP_COND_OFFLINE);
  ck_assert_uint_eq(fp_status_port_conditions(0x08), FP_COND_OFFLINE);
  ck_assert_uint_eq(fp_status_port_conditions(0x10), FP_COND_OTHER_ERROR);
  ck_assert_uint_eq(fp_status_port_conditions(0x00), FP_COND_OFFLINE | FP_COND_OTHER_ERROR);
  for (unsigned bit = 0; bit < 8; bit++)
    if (1u << bit & FP_PORT_RESERVED)
    {
      ck_assert_uint_eq(fp_status_port_conditions((uint8_t)(0x38 | 1u << bit)), 0);
      ck_assert_uint_eq(fp_status_port_conditions((uint8_t)(0x00 | 1u << bit)), 0);
    }
  ck_assert_uint_eq(fp_status_port_conditions(0xff), 0); /* floating lines: no paper-out */
}
END_TEST

static Suite *status_suite(void)
{
  Suite *s = suite_create("status");
  TCase *tc = tcase_create("escpos");

  tcase_add_test(tc, escpos_realtime_attributed);
  tcase_add_test(tc, escpos_realtime_clear_and_unasked);
  tcase_add_test(tc, escpos_realtime_extended_queries);
  tcase_add_test(tc, escpos_asb);
  tcase_add_test(tc, escpos_asb_false_start);
  tcase_add_test(tc, escpos_process_id_and_blocks);
  tcase_add_test(tc, escpos_block_bounded);
  tcase_add_test(tc, escpos_flush_gives_back);
  tcase_add_test(tc, escpos_split_everywhere);
  tcase_add_test(tc, escpos_garbage_interleaved);
  tcase_add_test(tc, escpos_text_is_not_a_reply);
  tcase_add_test(tc, escpos_queries);
  suite_add_tcase(s, tc);
  tc = tcase_create("pjl");
  tcase_add_test(tc, pjl_device_codes);
  tcase_add_test(tc, pjl_solicited_and_done);
  tcase_add_test(tc, pjl_hostile);
  tcase_add_test(tc, pjl_split_everywhere);
  tcase_add_test(tc, pjl_queries);
  suite_add_tcase(s, tc);
  tc = tcase_create("zpl");
  tcase_add_test(tc, zpl_host_status);
  tcase_add_test(tc, zpl_hostile);
  suite_add_tcase(s, tc);
  tc = tcase_create("dymo");
  tcase_add_test(tc, dymo_status_byte);
  tcase_add_test(tc, epl_error_report);
  suite_add_tcase(s, tc);
  tc = tcase_create("all");
  tcase_add_loop_test(tc, random_bytes_conserved, 0, 8);
  tcase_add_test(tc, port_status_conditions);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return fp_run_suite(status_suite());
}

/*
 * fuzz-status: properties of the status parsers (engine/printer-status.c,
 * engine/status-*.c) on any input.  Byte 0 picks the language, byte 1 how many
 * of the following bytes are the stream sent to the printer (where queries
 * are noted); the rest is the back channel.  See fuzz-main.h for how it runs.
 *
 * The properties:
 *   1. every back-channel byte comes out exactly once, in order, inside a
 *      reply or passed through;
 *   2. fed whole or in pseudo-random pieces (derived from the input), the
 *      parser gives the same replies and passed-through bytes;
 *   3. a reply holds no more than the language's bound, its conditions are
 *      among the ones it speaks for, and its id is printable text;
 *   4. no crash, hang or sanitizer report (the fuzzer's part).
 */

#define FUZZ_NAME "status"

#include "../engine/printer-status.h"
#include "fuzz-main.h"
#include "fuzz-split.h"

static const fp_status_language_t *const langs[] = {&fp_status_escpos, &fp_status_pjl,
                                                   &fp_status_zpl, &fp_status_dymo,
                                                   &fp_status_epl};

/* What one feed gave. */
typedef struct
{
  const fp_status_language_t *lang;
  const uint8_t *input;  /* the back channel, to compare with */
  size_t         len;
  size_t         out;    /* bytes handed over so far */
  size_t         nreply;
  uint64_t       digest; /* of the replies' meaning and where they were */
} feed_t;

/* Mixes `v` into the digest. */
static void mix(feed_t *f, uint64_t v)
{
  f->digest = (f->digest ^ v) * 0x100000001b3u;
}

/* Checks that `data` are the next bytes of the input (property 1). */
static void take(feed_t *f, const uint8_t *data, size_t len)
{
  if (len > f->len - f->out || memcmp(data, f->input + f->out, len))
    fuzz_fail("bytes handed over at %zu are not the input's", f->out);
  f->out += len;
}

static void on_reply(void *ctx, const fp_reply_t *r)
{
  feed_t *f = ctx;

  if (r->raw_len == 0 || r->raw_len > f->lang->reply_max)
    fuzz_fail("a reply of %zu bytes (bound %zu)", r->raw_len, f->lang->reply_max);
  if ((r->conditions & ~r->known) || (r->known & ~FP_COND_ALL))
    fuzz_fail("conditions %#x outside known %#x", r->conditions, r->known);
  if (memchr(r->id, '\0', sizeof(r->id)) == NULL)
    fuzz_fail("an id without its NUL");
  for (const char *c = r->id; *c; c++)
    if (*c < 0x20 || *c > 0x7e)
      fuzz_fail("an id with byte %#x", (unsigned)(uint8_t)*c);
  take(f, r->raw, r->raw_len);
  f->nreply++;
  mix(f, (uint64_t)r->type << 32 | r->known << 8 | r->conditions);
  mix(f, (uint64_t)r->code ^ (uint64_t)r->queued << 20 ^ (uint64_t)r->solicited << 63);
  mix(f, hash((const uint8_t *)r->id, strlen(r->id)));
  mix(f, f->out);
}

static void on_other(void *ctx, const uint8_t *data, size_t len)
{
  feed_t *f = ctx;

  take(f, data, len); /* pieces cut passed-through bytes differently: only their place counts */
}

/* Feeds the back channel in pieces (`seed` 0: whole). */
static void run(feed_t *f, const fp_status_language_t *lang, const uint8_t *sent, size_t nsent,
                const uint8_t *back, size_t len, uint64_t seed)
{
  static fp_status_parser_t p;

  memset(f, 0, sizeof(*f));
  f->lang = lang;
  f->input = back;
  f->len = len;
  fp_status_parser_init(&p, lang, on_reply, on_other, f);
  fp_status_note_sent(&p, sent, nsent, true);
  for (size_t at = 0; at < len;)
  {
    size_t n = seed ? 1 + next_random(&seed) % 64 : len;

    if (n > len - at)
      n = len - at;
    fp_status_feed(&p, back + at, n);
    at += n;
  }
  fp_status_flush(&p);
  if (f->out != len)
    fuzz_fail("%zu of %zu bytes handed over", f->out, len);
}

static void check_input(const uint8_t *data, size_t size)
{
  const fp_status_language_t *lang;
  size_t nsent;
  feed_t whole, pieces;

  if (size < 2)
    return;
  lang = langs[data[0] % (sizeof(langs) / sizeof(langs[0]))];
  nsent = data[1] < size - 2 ? data[1] : size - 2;
  run(&whole, lang, data + 2, nsent, data + 2 + nsent, size - 2 - nsent, 0);
  run(&pieces, lang, data + 2, nsent, data + 2 + nsent, size - 2 - nsent, hash(data, size));
  if (whole.digest != pieces.digest || whole.nreply != pieces.nreply)
    fuzz_fail("%zu replies whole, %zu in pieces (or different ones)", whole.nreply,
              pieces.nreply);
}

/* One seed: language, the queries sent, the back channel. */
static void emit_seed(unsigned lang, const char *sent, size_t nsent, const char *back,
                      size_t nback)
{
  uint8_t buf[1024];

  if (2 + nsent + nback > sizeof(buf) || nsent > 255)
    return;
  buf[0] = (uint8_t)lang;
  buf[1] = (uint8_t)nsent;
  memcpy(buf + 2, sent, nsent);
  memcpy(buf + 2 + nsent, back, nback);
  emit(buf, 2 + nsent + nback);
}

#define SEED(lang, sent, back) emit_seed(lang, sent, sizeof(sent) - 1, back, sizeof(back) - 1)

static void generate_seeds(void)
{
  SEED(0, "\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04", "\x1a\x36\x1a\x7e");
  SEED(0, "", "\x18\x00\x0f\x00" "\x30\x13\x00\x00\x00" "\x37\x22" "0042" "\0" "_TM-T88V\0");
  SEED(0, "\x10\x04\x07\x01", "\x10\x1a\x5f\x37\x22" "12");
  SEED(1, "@PJL INFO STATUS\r\n@PJL ECHO x\r\n",
       "@PJL INFO STATUS\r\nCODE=10001\r\nDISPLAY=\"READY\"\r\nONLINE=TRUE\r\n\f"
       "@PJL ECHO x\r\n\f@PJL USTATUS JOB\r\nEND\r\nNAME=\"fp-1\"\r\nPAGES=1\r\n\f");
  SEED(1, "", "@PJL USTATUS DEVICE\nCODE=41302\nONLINE=FALSE\n\f@PJL INFO CONFIG\r\nX\r\n\f");
  SEED(2, "~HS",
       "\x02" "030,1,0,1245,002,0,0,1,000,0,0,0\x03\r\n"
       "\x02" "001,0,1,0,1,2,6,0,00000003,1,000\x03\r\n"
       "\x02" "1234,0\x03\r\n");
  SEED(4, "^ee\r\n^ee\r\n^ee\r\n", "00\r\nREADY\r\n07,11\r\n1,2\n81\n");
}

/*
 * fuzz-state: properties of the state-record parser (engine/state.c, through
 * fp_state_record_parse()) on any input, taken as one 512-byte slot of a
 * state file: its first 512 bytes, or a shorter input padded with spaces
 * and a newline as the writer pads.  Each input is checked as it is and
 * again with its checksum made right (the body before its last " crc="),
 * so that the fuzzer reaches the fields behind the CRC.  See fuzz-main.h
 * for how it runs.
 *
 * The properties:
 *   1. a slot is rejected, or gives fields within their bounds: a
 *      terminated key field without spaces, a terminated language, a
 *      completion prefix and suffix within their maxima, bools that are 0 or 1;
 *   2. a record that reads can be written again, and what is written reads
 *      back as the same record (its unheard_until hint kept, or dropped for
 *      want of room -- never changed) and is written again as the same bytes;
 *   3. no crash, leak or undefined behaviour (UBSan halts; the fuzzer's part).
 */

#define FUZZ_NAME "state"

#include "../engine/state.h"
#include "flushprinter.h"
#include "fuzz-main.h"

#include <inttypes.h>
#include <limits.h>
#include <unistd.h>

#define SLOT_SIZE 512
#define CRC_FIELD " crc="

/* One decoded slot. */
typedef struct record_s
{
  bool              valid;
  uint64_t          seq;
  char              key[FP_DEVICE_KEY_MAX];
  fp_device_state_t state;
} record_t;

/* CRC-32 (IEEE 802.3: reflected, polynomial 0xedb88320) of `len` bytes. */
static uint32_t crc32_of(const uint8_t *data, size_t len)
{
  uint32_t crc = 0xffffffffu;

  for (size_t i = 0; i < len; i++)
  {
    crc ^= data[i];
    for (int bit = 0; bit < 8; bit++)
      crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
  }
  return ~crc;
}

/* Decode `slot`. */
static record_t parse(const uint8_t slot[SLOT_SIZE])
{
  record_t r;

  memset(&r, 0, sizeof(r));
  r.valid = fp_state_record_parse(slot, &r.seq, r.key, &r.state);
  return r;
}

/* true when two decoded records hold the same fields. */
static bool same_record(const record_t *a, const record_t *b)
{
  const fp_device_state_t *x = &a->state, *y = &b->state;

  return a->valid == b->valid && a->seq == b->seq && !strcmp(a->key, b->key)
         && x->quiet_until == y->quiet_until && x->dirty == y->dirty && x->job_id == y->job_id
         && x->pid == y->pid && x->accepted == y->accepted && !strcmp(x->language, y->language)
         && x->owed.prefix_len == y->owed.prefix_len
         && !memcmp(x->owed.prefix, y->owed.prefix, x->owed.prefix_len)
         && x->owed.fill_count == y->owed.fill_count && x->owed.fill_byte == y->owed.fill_byte
         && x->owed.suffix_len == y->owed.suffix_len
         && !memcmp(x->owed.suffix, y->owed.suffix, x->owed.suffix_len)
         && x->owed.implausible == y->owed.implausible;
}

/* Property 1: the fields of a record that reads are within their bounds. */
static void check_bounds(const record_t *r)
{
  const fp_device_state_t *st = &r->state;
  unsigned char            dirty, implausible;

  /* An empty key names no device (the store refuses one), so such a record is never its. */
  if (!memchr(r->key, '\0', sizeof(r->key)) || strchr(r->key, ' '))
    fuzz_fail("key field unterminated or with a space");
  if (!memchr(st->language, '\0', sizeof(st->language)))
    fuzz_fail("language not terminated");
  if (st->owed.prefix_len > FP_COMPLETION_PREFIX_MAX
      || st->owed.suffix_len > FP_COMPLETION_SUFFIX_MAX)
    fuzz_fail("completion prefix of %zu or suffix of %zu bytes", st->owed.prefix_len,
              st->owed.suffix_len);
  memcpy(&dirty, &st->dirty, 1);
  memcpy(&implausible, &st->owed.implausible, 1);
  if (dirty > 1 || implausible > 1)
    fuzz_fail("dirty is %u, implausible %u: not a bool", dirty, implausible);
}

/* Properties 1 and 2 on one slot. */
static void check_slot(const uint8_t slot[SLOT_SIZE])
{
  record_t r = parse(slot), again, third;
  uint8_t  written[SLOT_SIZE], rewritten[SLOT_SIZE];
  int      status;

  if (!r.valid)
    return;
  check_bounds(&r);
  if ((status = fp_state_record_format(r.seq, r.key, &r.state, written)) != FP_OK)
    fuzz_fail("a record that reads cannot be written again (%d)", status);
  again = parse(written);
  if (again.state.unheard_until != r.state.unheard_until && again.state.unheard_until != 0)
    fuzz_fail("a hint written again reads back changed: %.*s", SLOT_SIZE - 1,
              (const char *)written);
  if (!same_record(&r, &again))
    fuzz_fail("a record written again reads back otherwise: %.*s", SLOT_SIZE - 1,
              (const char *)written);
  if (fp_state_record_format(again.seq, again.key, &again.state, rewritten) != FP_OK
      || memcmp(written, rewritten, SLOT_SIZE))
    fuzz_fail("a written record is written again as other bytes");
  third = parse(slot);
  if (!same_record(&r, &third))
    fuzz_fail("two reads of one slot differ");
}

/* `size` bytes of `data` as a slot, padded as the writer pads. */
static void make_slot(const uint8_t *data, size_t size, uint8_t slot[SLOT_SIZE])
{
  if (size >= SLOT_SIZE)
  {
    memcpy(slot, data, SLOT_SIZE);
    return;
  }
  memcpy(slot, data, size);
  memset(slot + size, ' ', SLOT_SIZE - 1 - size);
  slot[SLOT_SIZE - 1] = '\n';
}

/* The input with its checksum made right: its body (up to its last " crc=") and a true crc. */
static bool resum(const uint8_t *data, size_t size, uint8_t slot[SLOT_SIZE])
{
  char   line[SLOT_SIZE + 16];
  size_t body = size < SLOT_SIZE - 1 ? size : SLOT_SIZE - 1;
  int    n;

  memcpy(line, data, body);
  line[body] = '\0';
  for (size_t i = body; i-- > 0;)
    if (!strncmp(line + i, CRC_FIELD, strlen(CRC_FIELD)))
    {
      body = i;
      break;
    }
  while (body > 0 && line[body - 1] == ' ')
    body--;
  n = snprintf(line + body, sizeof(line) - body, CRC_FIELD "%08" PRIx32,
               crc32_of((const uint8_t *)line, body));
  if (body + (size_t)n > SLOT_SIZE - 1)
    return false;
  make_slot((const uint8_t *)line, body + (size_t)n, slot);
  return true;
}

/* Check every property on one input: as it is, and with its checksum made right. */
static void check_input(const uint8_t *data, size_t size)
{
  uint8_t slot[SLOT_SIZE];

  make_slot(data, size, slot);
  check_slot(slot);
  if (resum(data, size, slot))
    check_slot(slot);
}

/*
 * Write `state` into the store `key` under `dir` `times` times and emit its
 * file's slots; a state the store refuses to write gives what was written.
 */
static void emit_written(const char *dir, const char *key, const fp_device_state_t *state,
                         int times)
{
  fp_store_t *store;
  uint8_t    *file;
  size_t      size;

  if (fp_store_open(dir, key, &store) != FP_OK)
  {
    fprintf(stderr, "fuzz-state: cannot open a store in %s\n", dir);
    rmdir(dir);
    exit(2);
  }
  for (int i = 0; i < times && fp_store_write(store, state, false) == FP_OK; i++)
    continue;
  if (fuzz_read_file(fp_store_path(store), &file, &size))
  {
    for (size_t at = 0; at + SLOT_SIZE <= size; at += SLOT_SIZE)
      emit(file + at, SLOT_SIZE);
    free(file);
  }
  unlink(fp_store_path(store));
  fp_store_close(store);
}

/*
 * Generated seeds: records written by the store itself (fp_store_write())
 * for the states the state tests write: a clean quiet window, a dirty job
 * owing a completion, every field at its widest (as the type allows, and as
 * a store bounding each number allows), and keys that are plain, need
 * escapes, or are too long to spell.
 */
static void generate_seeds(void)
{
  const char       *tmp = getenv("TMPDIR");
  char              dir[PATH_MAX], long_key[FP_DEVICE_KEY_MAX];
  fp_device_state_t st;

  snprintf(dir, sizeof(dir), "%s/fuzz-state-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(dir))
  {
    perror(dir);
    exit(2);
  }
  memset(&st, 0, sizeof(st));
  st.quiet_until = INT64_C(1764000002000);
  emit_written(dir, "socket://127.0.0.1:9100", &st, 1);

  st.dirty = true;
  st.job_id = 42;
  st.pid = 1234;
  st.accepted = UINT64_C(10000000042);
  strcpy(st.language, "escpos");
  memcpy(st.owed.prefix, "\x1d\x76\x30", 3);
  st.owed.prefix_len = 3;
  st.owed.fill_count = 7200;
  st.owed.fill_byte = 0xa5;
  memcpy(st.owed.suffix, "\x1b\x00", 2);
  st.owed.suffix_len = 2;
  emit_written(dir, "usb://EPSON/TM-T88V?serial=S1", &st, 2);
  emit_written(dir, "file:/dev/usb/lp0 with a space & 100%", &st, 1);

  st.quiet_until = INT64_MIN;
  st.job_id = INT_MIN;
  st.pid = INT_MIN;
  st.accepted = UINT64_MAX;
  strcpy(st.language, "a b%c=d\te\xff" "fghij");
  for (int i = 0; i < FP_COMPLETION_PREFIX_MAX; i++)
    st.owed.prefix[i] = (uint8_t)(0xf0 + i);
  st.owed.prefix_len = FP_COMPLETION_PREFIX_MAX;
  st.owed.fill_count = UINT64_MAX;
  st.owed.fill_byte = 0xff;
  for (int i = 0; i < FP_COMPLETION_SUFFIX_MAX; i++)
    st.owed.suffix[i] = (uint8_t)(0xe0 + i);
  st.owed.suffix_len = FP_COMPLETION_SUFFIX_MAX;
  memset(long_key, '%', sizeof(long_key) - 1);
  long_key[sizeof(long_key) - 1] = '\0';
  emit_written(dir, long_key, &st, 1);
  /* The widest values a store that bounds every number still writes: year 9999, ... */
  st.quiet_until = INT64_C(253402300799999);
  st.pid = INT_MAX;
  st.accepted = (uint64_t)INT64_MAX - 1;
  st.owed.fill_count = (uint64_t)INT64_MAX - 1;
  memcpy(long_key, "socket://", 9);
  memset(long_key + 9, 'h', 140);
  long_key[149] = '\0';
  emit_written(dir, long_key, &st, 1);
  rmdir(dir);
}

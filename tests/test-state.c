/*
 * Unit tests for the per-device state store (engine/state.c): record round
 * trips, alternating slots, torn and corrupt records, key collisions, the
 * refusal of symbolic links and unsafe directories, and the device lock
 * (exclusion between handles and processes, timeout, cancel, crash), and
 * the cost of a journal write under the lock (one pwrite(), counted by the
 * pread()/pwrite() wrappers below).
 */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../engine/state.h"
#include "check-main.h"
#include "clock.h"
#include "flushprinter.h"

#define SLOT_SIZE 512
#define KEY       "socket://127.0.0.1:9100"

/* pread() and pwrite() calls of this process while `counting` is set. */
static bool counting;
static int  preads, pwrites;

/* pread(), counted: the store's calls land here instead of in the C library. */
ssize_t pread(int fd, void *buf, size_t len, off_t offset)
{
  preads += counting;
  return syscall(SYS_pread64, fd, buf, len, offset);
}

/* pwrite(), counted likewise. */
ssize_t pwrite(int fd, const void *buf, size_t len, off_t offset)
{
  pwrites += counting;
  return syscall(SYS_pwrite64, fd, buf, len, offset);
}

/* Start counting pread() and pwrite() calls from zero. */
static void count_io(void)
{
  preads = pwrites = 0;
  counting = true;
}

/* Root of every test's directories, made by main() and removed by it. */
static char root[PATH_MAX];

/* This test's own directory (a fresh one under `root`). */
static char dir[PATH_MAX];

/* Fixture: a fresh directory for this test. */
static void setup(void)
{
  snprintf(dir, sizeof(dir), "%s/t-XXXXXX", root);
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* nftw() callback: remove one entry. */
static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
  chmod(path, 0700); /* directories a test made read-only */
  return remove(path);
}

/* Remove `path` and everything under it. */
static void remove_tree(const char *path)
{
  nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Open the store of `key` under `d`, expecting success. */
static fp_store_t *open_store(const char *d, const char *key)
{
  fp_store_t *store = NULL;

  ck_assert_int_eq(fp_store_open(d, key, &store), FP_OK);
  ck_assert_ptr_nonnull(store);
  return store;
}

/* A record with every field set to something distinctive. */
static fp_device_state_t sample_state(int job)
{
  fp_device_state_t st;

  memset(&st, 0, sizeof(st));
  st.quiet_until = INT64_C(1764000000123) + job;
  st.dirty = true;
  st.job_id = job;
  st.pid = 1234;
  st.accepted = UINT64_C(10000000000) + (uint64_t)job;
  strcpy(st.language, "escpos");
  memcpy(st.owed.prefix, "\x1d\x76\x30", 3);
  st.owed.prefix_len = 3;
  st.owed.fill_count = 7200;
  st.owed.fill_byte = 0xa5;
  memcpy(st.owed.suffix, "\x1b\x00", 2);
  st.owed.suffix_len = 2;
  return st;
}

/* A record with every field at its widest when written out. */
static fp_device_state_t widest_state(void)
{
  fp_device_state_t st;

  memset(&st, 0, sizeof(st));
  st.quiet_until = INT64_C(253402300799999); /* the end of year 9999: the latest allowed */
  st.dirty = true;
  st.job_id = INT32_MIN;
  st.pid = INT32_MAX;
  st.accepted = (uint64_t)INT64_MAX;
  strcpy(st.language, "a b%c=d\te\xff""fghij"); /* 15 bytes, all of them kinds to escape */
  for (int i = 0; i < FP_COMPLETION_PREFIX_MAX; i++)
    st.owed.prefix[i] = (uint8_t)(0xf0 + i);
  st.owed.prefix_len = FP_COMPLETION_PREFIX_MAX;
  st.owed.fill_count = (uint64_t)INT64_MAX;
  st.owed.fill_byte = 0xff;
  for (int i = 0; i < FP_COMPLETION_SUFFIX_MAX; i++)
    st.owed.suffix[i] = (uint8_t)(0xe0 + i);
  st.owed.suffix_len = FP_COMPLETION_SUFFIX_MAX;
  return st;
}

/* Expect two states to be equal field by field. */
static void assert_state_eq(const fp_device_state_t *a, const fp_device_state_t *b)
{
  ck_assert(a->quiet_until == b->quiet_until);
  ck_assert_int_eq(a->dirty, b->dirty);
  ck_assert_int_eq(a->job_id, b->job_id);
  ck_assert_int_eq(a->pid, b->pid);
  ck_assert(a->accepted == b->accepted);
  ck_assert_str_eq(a->language, b->language);
  ck_assert_uint_eq(a->owed.prefix_len, b->owed.prefix_len);
  ck_assert_mem_eq(a->owed.prefix, b->owed.prefix, b->owed.prefix_len);
  ck_assert(a->owed.fill_count == b->owed.fill_count);
  ck_assert_uint_eq(a->owed.fill_byte, b->owed.fill_byte);
  ck_assert_uint_eq(a->owed.suffix_len, b->owed.suffix_len);
  ck_assert_mem_eq(a->owed.suffix, b->owed.suffix, b->owed.suffix_len);
  ck_assert(a->unheard_until == b->unheard_until);
}

/* Read slot `index` of the state file into `slot` (SLOT_SIZE + 1 bytes, NUL-terminated). */
static void read_slot(const fp_store_t *store, int index, char *slot)
{
  int fd = open(fp_store_path(store), O_RDONLY);

  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(pread(fd, slot, SLOT_SIZE, (off_t)index * SLOT_SIZE), SLOT_SIZE);
  slot[SLOT_SIZE] = '\0';
  close(fd);
}

/* The seq= of slot `index`. */
static unsigned long long slot_seq(const fp_store_t *store, int index)
{
  char               slot[SLOT_SIZE + 1];
  unsigned long long seq = 0;

  read_slot(store, index, slot);
  ck_assert_int_eq(sscanf(slot, "flushprinter-state v1 seq=%llu ", &seq), 1);
  return seq;
}

/* Overwrite `len` bytes of the state file at `offset` with `bytes`. */
static void patch_file(const fp_store_t *store, off_t offset, const void *bytes, size_t len)
{
  int fd = open(fp_store_path(store), O_WRONLY);

  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(pwrite(fd, bytes, len, offset), (ssize_t)len);
  close(fd);
}

/* Empty the state file. */
static void truncate_file(const fp_store_t *store)
{
  ck_assert_int_eq(truncate(fp_store_path(store), 0), 0);
}

/* CRC-32 (IEEE, reflected), written here apart from the store's own. */
static uint32_t test_crc32(const char *text, size_t len)
{
  uint32_t crc = 0xffffffffu;

  while (len--)
  {
    crc ^= (uint8_t)*text++;
    for (int bit = 0; bit < 8; bit++)
      crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
  }
  return ~crc;
}

/* The state directory follows $FLUSHPRINTER_STATEDIR, then $CUPS_CACHEDIR, then the default. */
START_TEST(test_default_dir)
{
  char buf[PATH_MAX];

  unsetenv("FLUSHPRINTER_STATEDIR");
  unsetenv("CUPS_CACHEDIR");
  ck_assert_int_eq(fp_store_default_dir(buf, sizeof(buf)), FP_OK);
  ck_assert_str_eq(buf, "/var/cache/cups/flushprinter");

  setenv("CUPS_CACHEDIR", "/tmp/cache", 1);
  ck_assert_int_eq(fp_store_default_dir(buf, sizeof(buf)), FP_OK);
  ck_assert_str_eq(buf, "/tmp/cache/flushprinter");

  setenv("FLUSHPRINTER_STATEDIR", "/run/fp", 1);
  ck_assert_int_eq(fp_store_default_dir(buf, sizeof(buf)), FP_OK);
  ck_assert_str_eq(buf, "/run/fp");

  ck_assert_int_eq(fp_store_default_dir(buf, 7), FP_ERROR_INVALID_ARGUMENT);
  ck_assert_int_eq(fp_store_default_dir(buf, 8), FP_OK);
  ck_assert_int_eq(fp_store_default_dir(NULL, 8), FP_ERROR_INVALID_ARGUMENT);
}
END_TEST

/* Opening creates missing directories (0700) and a 0600 file named from FNV-1a 64 of the key. */
START_TEST(test_open_creates)
{
  char        nested[PATH_MAX], expect[PATH_MAX];
  struct stat st;
  fp_store_t *store;
  fp_device_state_t state;

  umask(022);
  snprintf(nested, sizeof(nested), "%s/a/b/c", dir);
  store = open_store(nested, "a"); /* FNV-1a 64 of "a" is af63dc4c8601ec8c */
  snprintf(expect, sizeof(expect), "%s/dev-af63dc4c8601ec8c.state", nested);
  ck_assert_str_eq(fp_store_path(store), expect);

  ck_assert_int_eq(stat(nested, &st), 0);
  ck_assert_uint_eq(st.st_mode & 07777, 0700);
  snprintf(expect, sizeof(expect), "%s/a", dir);
  ck_assert_int_eq(stat(expect, &st), 0);
  ck_assert_uint_eq(st.st_mode & 07777, 0700);
  ck_assert_int_eq(stat(fp_store_path(store), &st), 0);
  ck_assert(S_ISREG(st.st_mode));
  ck_assert_uint_eq(st.st_mode & 07777, 0600);
  ck_assert_int_eq(st.st_size, 0);

  /* A new file is a clean device. */
  memset(&state, 0xff, sizeof(state));
  ck_assert_int_eq(fp_store_read(store, &state), FP_OK);
  ck_assert(!state.dirty);
  ck_assert(state.quiet_until == 0);
  ck_assert_uint_eq(state.owed.prefix_len, 0);
  ck_assert(state.owed.fill_count == 0);
  fp_store_close(store);
}
END_TEST

/* Bad arguments are refused. */
START_TEST(test_open_arguments)
{
  char        key[FP_DEVICE_KEY_MAX + 1];
  fp_store_t *store = (fp_store_t *)&store;

  ck_assert_int_eq(fp_store_open(dir, "", &store), FP_ERROR_INVALID_ARGUMENT);
  ck_assert_ptr_null(store);
  ck_assert_int_eq(fp_store_open(NULL, KEY, &store), FP_ERROR_INVALID_ARGUMENT);
  ck_assert_int_eq(fp_store_open("", KEY, &store), FP_ERROR_INVALID_ARGUMENT);
  memset(key, 'k', FP_DEVICE_KEY_MAX);
  key[FP_DEVICE_KEY_MAX] = '\0';
  ck_assert_int_eq(fp_store_open(dir, key, &store), FP_ERROR_INVALID_ARGUMENT);
  key[FP_DEVICE_KEY_MAX - 1] = '\0';
  ck_assert_int_eq(fp_store_open(dir, key, &store), FP_OK);
  fp_store_close(store);
}
END_TEST

/* Every field survives a write and a read, including odd languages and a full prefix. */
START_TEST(test_round_trip)
{
  fp_store_t       *store = open_store(dir, KEY);
  fp_device_state_t in = sample_state(42), out;
  char              slot[SLOT_SIZE + 1];

  ck_assert_int_eq(fp_store_write(store, &in, true), FP_OK);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  assert_state_eq(&out, &in);

  /* The slot is one readable line of 511 bytes plus a newline. */
  read_slot(store, 0, slot);
  ck_assert_int_eq(slot[SLOT_SIZE - 1], '\n');
  ck_assert_ptr_null(memchr(slot, '\n', SLOT_SIZE - 1));
  ck_assert_ptr_eq(strstr(slot, "flushprinter-state v1 seq=1 key=socket%3A%2F%2F127.0.0.1%3A9100 "
                               "quiet_until=1764000000165 dirty=1 job=42 pid=1234 "
                               "accepted=10000000042 language=escpos owed_prefix=1d7630 "
                               "owed_fill=7200 fill_byte=a5 owed_suffix=1b00 crc="),
                   slot);

  in = widest_state();
  in.dirty = false;
  in.pid = INT32_MAX;
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_OK);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  assert_state_eq(&out, &in);

  in.owed.prefix_len = FP_COMPLETION_PREFIX_MAX + 1;
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_ERROR_INVALID_ARGUMENT);
  in.owed.prefix_len = 0;
  in.owed.suffix_len = FP_COMPLETION_SUFFIX_MAX + 1;
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_ERROR_INVALID_ARGUMENT);
  fp_store_close(store);
}
END_TEST

/* An implausible debt and a refused one survive the journal, and refused= never crowds a dirty record. */
START_TEST(test_implausible_and_refused)
{
  fp_store_t       *store = open_store(dir, KEY);
  fp_device_state_t in = sample_state(7), out;
  char              slot[SLOT_SIZE + 1];

  in.owed.implausible = true;
  in.owed.fill_count = 123;
  ck_assert_int_eq(fp_store_write(store, &in, true), FP_OK);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  ck_assert(out.owed.implausible);
  ck_assert_uint_eq(out.owed.fill_count, (uint64_t)INT64_MAX);

  in = widest_state();
  in.dirty = false;
  in.owed.implausible = false;
  in.owed.fill_count = (uint64_t)INT64_MAX - 1;
  in.refused = UINT64_MAX - 1;
  ck_assert_int_eq(fp_store_write(store, &in, true), FP_OK);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  ck_assert_uint_eq(out.refused, (uint64_t)INT64_MAX); /* clamped to what a record holds */
  ck_assert(!out.owed.implausible);

  in.dirty = true;
  ck_assert_int_eq(fp_store_write(store, &in, true), FP_OK);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  ck_assert_uint_eq(out.refused, 0);
  read_slot(store, 0, slot); /* the third write: the first slot again */
  ck_assert_ptr_nonnull(strstr(slot, " dirty=1 "));
  ck_assert_ptr_null(strstr(slot, "refused="));

  /* Dirty and owing nothing (the refused flush's reset did not go): the refusal is kept. */
  memset(&in.owed, 0, sizeof(in.owed));
  in.refused = 71928;
  ck_assert_int_eq(fp_store_write(store, &in, true), FP_OK);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  ck_assert(out.dirty);
  ck_assert_uint_eq(out.refused, 71928);
  fp_store_close(store);
}
END_TEST

static void forge_slot(fp_store_t *store, int index, const char *body);

/* status=auto's memory of a silent printer: kept where it fits, dropped (never changed) where not. */
START_TEST(test_unheard_hint)
{
  char              key[151];
  fp_store_t       *store = open_store(dir, KEY);
  fp_device_state_t in = sample_state(3), out;
  char              slot[SLOT_SIZE + 1];

  in.unheard_until = INT64_C(1764000600000);
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_OK);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  assert_state_eq(&out, &in);
  read_slot(store, 0, slot);
  ck_assert_ptr_nonnull(strstr(slot, " owed_suffix=1b00 unheard_until=1764000600000 crc="));

  /* A record written before the hint existed asks the printer. */
  in.unheard_until = 0;
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_OK);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  ck_assert(out.unheard_until == 0);
  read_slot(store, 1, slot);
  ck_assert_ptr_null(strstr(slot, "unheard_until"));
  fp_store_close(store);

  /* A hint out of bounds (a forged file) is dropped; the record stands. */
  store = open_store(dir, "k");
  {
    static const char *const bad[] = { "-1", "253402300800000", "5x", "" };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    {
      char body[SLOT_SIZE];

      truncate_file(store);
      snprintf(body, sizeof(body), "flushprinter-state v1 seq=3 key=k quiet_until=5 dirty=1 "
               "job=1 pid=9 accepted=0 language=escpos owed_prefix= owed_fill=0 fill_byte=00 "
               "unheard_until=%s", bad[i]);
      forge_slot(store, 0, body);
      ck_assert_msg(fp_store_read(store, &out) == FP_OK, "refused for %s", bad[i]);
      ck_assert(out.dirty && out.quiet_until == 5 && out.unheard_until == 0);
    }
  }
  fp_store_close(store);

  /* The widest record has no room for it: written without it, the rest intact. */
  memset(key, 'k', 150);
  key[150] = '\0';
  store = open_store(dir, key);
  in = widest_state();
  in.unheard_until = INT64_C(253402300799999);
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_OK);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  ck_assert(out.unheard_until == 0);
  in.unheard_until = 0;
  assert_state_eq(&out, &in);
  fp_store_close(store);
}
END_TEST

/* A record written before completions had a suffix (no owed_suffix=) still reads. */
START_TEST(test_record_without_suffix)
{
  fp_store_t       *store = open_store(dir, "old");
  fp_device_state_t out;
  char              slot[SLOT_SIZE + 1];
  int               n = snprintf(slot, sizeof(slot),
                                 "flushprinter-state v1 seq=7 key=old quiet_until=5 dirty=1 job=3 "
                                 "pid=9 accepted=100 language=escpos owed_prefix=1d7630 "
                                 "owed_fill=40 fill_byte=00");

  n += snprintf(slot + n, sizeof(slot) - (size_t)n, " crc=%08x", test_crc32(slot, (size_t)n));
  memset(slot + n, ' ', SLOT_SIZE - 1 - (size_t)n);
  slot[SLOT_SIZE - 1] = '\n';
  patch_file(store, 0, slot, SLOT_SIZE);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  ck_assert(out.dirty);
  ck_assert_int_eq(out.job_id, 3);
  ck_assert_uint_eq(out.owed.prefix_len, 3);
  ck_assert(out.owed.fill_count == 40);
  ck_assert_uint_eq(out.owed.suffix_len, 0);
  fp_store_close(store);
}
END_TEST

/* The longest keys (too long to spell in a slot) still round-trip and stay distinct. */
START_TEST(test_long_key)
{
  char              key[FP_DEVICE_KEY_MAX], other[FP_DEVICE_KEY_MAX];
  fp_store_t       *store, *impostor;
  fp_device_state_t in = widest_state(), out;
  char              slot[SLOT_SIZE + 1];

  /* The longest key spelled out in full still fits next to the widest fields. */
  memset(key, 'k', 150);
  key[150] = '\0';
  store = open_store(dir, key);
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_OK);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  assert_state_eq(&out, &in);
  read_slot(store, 0, slot);
  ck_assert_ptr_nonnull(strstr(slot, " key=kkkkkkkk"));
  ck_assert_ptr_nonnull(strstr(slot, "kkkk quiet_until="));
  fp_store_close(store);

  memset(key, ' ', sizeof(key) - 1);
  key[sizeof(key) - 1] = '\0';
  store = open_store(dir, key);
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_OK);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  assert_state_eq(&out, &in);
  read_slot(store, 0, slot);
  ck_assert_ptr_nonnull(strstr(slot, " key=#"));

  /* Another long key forced onto the same file is told apart. */
  strcpy(other, key);
  other[0] = '!';
  impostor = open_store(dir, other);
  ck_assert_int_eq(rename(fp_store_path(store), fp_store_path(impostor)), 0);
  fp_store_close(impostor);
  impostor = open_store(dir, other);
  ck_assert_int_eq(fp_store_read(impostor, &out), FP_OK);
  ck_assert(!out.dirty);
  fp_store_close(impostor);
  fp_store_close(store);
}
END_TEST

/* Write `body` (a record without its crc) with a valid checksum into slot `index`. */
static void forge_slot(fp_store_t *store, int index, const char *body)
{
  char slot[SLOT_SIZE + 1];
  int  n = snprintf(slot, sizeof(slot), "%s", body);

  n += snprintf(slot + n, sizeof(slot) - (size_t)n, " crc=%08x", test_crc32(slot, (size_t)n));
  memset(slot + n, ' ', SLOT_SIZE - 1 - (size_t)n);
  slot[SLOT_SIZE - 1] = '\n';
  patch_file(store, (off_t)index * SLOT_SIZE, slot, SLOT_SIZE);
}

/*
 * Numbers a record cannot mean are refused even under a valid checksum: the
 * older slot, or the unreadable-state path, takes over, and the next write
 * repairs the file.  (quiet_until=INT64_MIN overflowed the session's
 * arithmetic.)
 */
START_TEST(test_numbers_out_of_range)
{
  static const char *const bad[] = {
    "quiet_until=-9223372036854775808 dirty=0 job=1 pid=9 accepted=0",
    "quiet_until=-1 dirty=0 job=1 pid=9 accepted=0",
    "quiet_until=9223372036854775807 dirty=0 job=1 pid=9 accepted=0",
    "quiet_until=253402300800000 dirty=0 job=1 pid=9 accepted=0",
    "quiet_until=5 dirty=0 job=1 pid=-1 accepted=0",
    "quiet_until=5 dirty=0 job=2147483648 pid=9 accepted=0",
    "quiet_until=5 dirty=0 job=1 pid=9 accepted=18446744073709551615",
  };
  fp_store_t       *store = open_store(dir, "k");
  fp_device_state_t in = sample_state(7), out;
  char              body[SLOT_SIZE];

  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
  {
    /* alone in the file: unreadable, so dirty (the caller flushes to be safe) */
    truncate_file(store);
    snprintf(body, sizeof(body), "flushprinter-state v1 seq=3 key=k %s language=escpos "
             "owed_prefix= owed_fill=0 fill_byte=00", bad[i]);
    forge_slot(store, 0, body);
    ck_assert_msg(fp_store_read(store, &out) == FP_ERROR_STATE, "accepted: %s", bad[i]);
    ck_assert(out.dirty);
    ck_assert(out.quiet_until == 0);
    /* beside a valid older record: that one is read, and the next write repairs the file */
    forge_slot(store, 1, "flushprinter-state v1 seq=2 key=k quiet_until=5 dirty=0 job=1 pid=9 "
                         "accepted=0 language=escpos owed_prefix= owed_fill=0 fill_byte=00");
    ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
    ck_assert(out.quiet_until == 5);
    ck_assert_int_eq(fp_store_write(store, &in, false), FP_OK);
    ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
    assert_state_eq(&out, &in);
    ck_assert_uint_eq(slot_seq(store, 0), 3);
  }

  /* A fill count past INT64_MAX is refused too. */
  truncate_file(store);
  forge_slot(store, 0, "flushprinter-state v1 seq=1 key=k quiet_until=5 dirty=1 job=1 pid=9 "
                       "accepted=0 language=escpos owed_prefix= owed_fill=9223372036854775808 "
                       "fill_byte=00");
  ck_assert_int_eq(fp_store_read(store, &out), FP_ERROR_STATE);

  /* The writer refuses what the reader would refuse. */
  in.quiet_until = -1;
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_ERROR_INVALID_ARGUMENT);
  in.quiet_until = INT64_C(253402300800000);
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_ERROR_INVALID_ARGUMENT);
  in.quiet_until = 0;
  in.pid = -1;
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_ERROR_INVALID_ARGUMENT);
  fp_store_close(store);
}
END_TEST

/* A sequence number at its limit (a forged record) does not freeze the file: writes still count. */
START_TEST(test_sequence_exhausted)
{
  fp_store_t       *store = open_store(dir, "k");
  fp_device_state_t in = sample_state(8), out;

  forge_slot(store, 0, "flushprinter-state v1 seq=9223372036854775807 key=k quiet_until=5 "
                       "dirty=0 job=1 pid=9 accepted=0 language=escpos owed_prefix= owed_fill=0 "
                       "fill_byte=00");
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  ck_assert(out.quiet_until == 5);
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_OK);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  assert_state_eq(&out, &in);
  in = sample_state(9);
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_OK);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  assert_state_eq(&out, &in);
  /* one past the limit is not a valid record at all */
  truncate_file(store);
  forge_slot(store, 0, "flushprinter-state v1 seq=9223372036854775808 key=k quiet_until=5 "
                       "dirty=0 job=1 pid=9 accepted=0 language=escpos owed_prefix= owed_fill=0 "
                       "fill_byte=00");
  ck_assert_int_eq(fp_store_read(store, &out), FP_ERROR_STATE);
  fp_store_close(store);
}
END_TEST

/*
 * Device keys: short names stay as they are (so their state files keep
 * their names); names too long for a key are cut and end in a hash of the
 * whole name, so two of them differing only at the end stay distinct.
 */
START_TEST(test_device_keys)
{
  char        host[248], a[600], b[600], key_a[FP_DEVICE_KEY_MAX], key_b[FP_DEVICE_KEY_MAX];
  fp_store_t *sa, *sb;

  fp_device_key("socket://printer:9100", key_a);
  ck_assert_str_eq(key_a, "socket://printer:9100");
  memset(a, 'x', FP_DEVICE_KEY_MAX - 2);
  a[FP_DEVICE_KEY_MAX - 2] = '\0';
  fp_device_key(a, key_a);
  ck_assert_str_eq(key_a, a); /* 254 characters: the longest kept as is */

  memset(host, 'h', sizeof(host) - 1);
  host[sizeof(host) - 1] = '\0';
  snprintf(a, sizeof(a), "socket://%s:9100", host);
  snprintf(b, sizeof(b), "socket://%s:9101", host);
  fp_device_key(a, key_a);
  fp_device_key(b, key_b);
  ck_assert_uint_eq(strlen(key_a), FP_DEVICE_KEY_MAX - 1);
  ck_assert_uint_eq(strlen(key_b), FP_DEVICE_KEY_MAX - 1);
  ck_assert_str_ne(key_a, key_b);
  ck_assert(!strncmp(key_a, "socket://hhhh", 13));
  ck_assert_ptr_nonnull(strchr(key_a, '#'));
  /* the same name always gives the same key */
  fp_device_key(a, key_b);
  ck_assert_str_eq(key_a, key_b);
  /* a name of exactly 255 characters is hashed too: it cannot equal a hashed key */
  memset(a, 'y', FP_DEVICE_KEY_MAX - 1);
  a[FP_DEVICE_KEY_MAX - 1] = '\0';
  fp_device_key(a, key_a);
  ck_assert_str_ne(key_a, a);

  /* the two ports' keys open two files, and one's lock does not hold the other */
  snprintf(a, sizeof(a), "socket://%s:9100", host);
  snprintf(b, sizeof(b), "socket://%s:9101", host);
  fp_device_key(a, key_a);
  fp_device_key(b, key_b);
  sa = open_store(dir, key_a);
  sb = open_store(dir, key_b);
  ck_assert_str_ne(fp_store_path(sa), fp_store_path(sb));
  ck_assert_int_eq(fp_store_lock(sa, -1, 0), FP_OK);
  ck_assert_int_eq(fp_store_lock(sb, -1, 0), FP_OK);
  fp_store_close(sa);
  fp_store_close(sb);
}
END_TEST

/* A failed open says which path and which system error. */
START_TEST(test_open_explains)
{
  char        path[PATH_MAX], why[PATH_MAX + 200];
  fp_store_t *store = NULL;

  snprintf(path, sizeof(path), "%s/file", dir);
  ck_assert_int_eq(close(open(path, O_WRONLY | O_CREAT, 0600)), 0);
  ck_assert_int_eq(fp_store_open_why(path, KEY, &store, why, sizeof(why)), FP_ERROR_STATE);
  ck_assert_ptr_nonnull(strstr(why, path));
  ck_assert_ptr_nonnull(strstr(why, "not a directory"));

  snprintf(path, sizeof(path), "%s/open", dir);
  ck_assert_int_eq(mkdir(path, 0700), 0);
  ck_assert_int_eq(chmod(path, 0777), 0);
  ck_assert_int_eq(fp_store_open_why(path, KEY, &store, why, sizeof(why)), FP_ERROR_STATE);
  ck_assert_ptr_nonnull(strstr(why, "world-writable"));

  if (geteuid() != 0) /* root writes through a mode 0500 directory */
  {
    snprintf(path, sizeof(path), "%s/ro", dir);
    ck_assert_int_eq(mkdir(path, 0500), 0);
    ck_assert_int_eq(fp_store_open_why(path, KEY, &store, why, sizeof(why)), FP_ERROR_STATE);
    ck_assert_int_eq(errno, EACCES);
    ck_assert_ptr_nonnull(strstr(why, strerror(EACCES)));
    ck_assert_ptr_nonnull(strstr(why, "/ro/dev-"));
  }
}
END_TEST

/* Writes alternate between the two slots with increasing seq; reads take the newest. */
START_TEST(test_alternating_slots)
{
  fp_store_t       *store = open_store(dir, KEY);
  fp_device_state_t in, out;
  struct stat       st;

  for (int job = 1; job <= 5; job++)
  {
    in = sample_state(job);
    ck_assert_int_eq(fp_store_write(store, &in, false), FP_OK);
    ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
    assert_state_eq(&out, &in);
    ck_assert_uint_eq(slot_seq(store, (job - 1) % 2), (unsigned long long)job);
    if (job > 1)
      ck_assert_uint_eq(slot_seq(store, job % 2), (unsigned long long)job - 1);
  }
  ck_assert_int_eq(stat(fp_store_path(store), &st), 0);
  ck_assert_int_eq(st.st_size, 2 * SLOT_SIZE);

  /* A second handle on the same device sees the same record. */
  fp_store_t *again = open_store(dir, KEY);

  ck_assert_int_eq(fp_store_read(again, &out), FP_OK);
  assert_state_eq(&out, &in);
  fp_store_close(again);
  fp_store_close(store);
}
END_TEST

/*
 * Under the lock the store remembers where the newest record is: after the
 * first read, each journal write is one pwrite() and no read, into the
 * older slot with the next sequence number.  Without the lock (another
 * writer could have written) each write reads both slots first.
 */
START_TEST(test_locked_write_is_one_pwrite)
{
  fp_store_t       *store = open_store(dir, KEY);
  fp_device_state_t in = sample_state(1), out;

  ck_assert_int_eq(fp_store_write(store, &in, false), FP_OK); /* unlocked: slot 0, seq 1 */
  ck_assert_int_eq(fp_store_lock(store, -1, 0), FP_OK);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  count_io();
  for (int job = 2; job <= 101; job++)
  {
    in = sample_state(job);
    ck_assert_int_eq(fp_store_write(store, &in, job % 10 == 0), FP_OK);
  }
  counting = false;
  ck_assert_int_eq(pwrites, 100);
  ck_assert_int_eq(preads, 0);
  ck_assert_uint_eq(slot_seq(store, 0), 101); /* the slots still alternate */
  ck_assert_uint_eq(slot_seq(store, 1), 100);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  assert_state_eq(&out, &in);

  /* The first write after taking the lock reads first, as does every unlocked one. */
  fp_store_unlock(store);
  count_io();
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_OK);
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_OK);
  ck_assert_int_eq(fp_store_lock(store, -1, 0), FP_OK);
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_OK);
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_OK);
  counting = false;
  ck_assert_int_eq(pwrites, 4);
  ck_assert_int_eq(preads, 3);
  ck_assert_uint_eq(slot_seq(store, 0), 105);
  fp_store_close(store);
}
END_TEST

/* What a handle remembers dies with its lock: another writer in between is seen. */
START_TEST(test_relock_reads_again)
{
  fp_store_t       *a = open_store(dir, KEY), *b = open_store(dir, KEY);
  fp_device_state_t in = sample_state(1), out;

  ck_assert_int_eq(fp_store_lock(a, -1, 0), FP_OK);
  ck_assert_int_eq(fp_store_write(a, &in, false), FP_OK); /* slot 0, seq 1 */
  fp_store_unlock(a);
  ck_assert_int_eq(fp_store_lock(b, -1, 0), FP_OK);
  in = sample_state(2);
  ck_assert_int_eq(fp_store_write(b, &in, false), FP_OK); /* slot 1, seq 2 */
  fp_store_unlock(b);
  ck_assert_int_eq(fp_store_lock(a, -1, 0), FP_OK);
  in = sample_state(3);
  ck_assert_int_eq(fp_store_write(a, &in, false), FP_OK); /* slot 0, seq 3: not over b's */
  ck_assert_uint_eq(slot_seq(a, 0), 3);
  ck_assert_uint_eq(slot_seq(a, 1), 2);
  ck_assert_int_eq(fp_store_read(b, &out), FP_OK);
  assert_state_eq(&out, &in);
  fp_store_close(a);
  fp_store_close(b);
}
END_TEST

/* A torn or altered newest record falls back to the older one, which the next write keeps. */
START_TEST(test_torn_write)
{
  fp_store_t       *store = open_store(dir, KEY);
  fp_device_state_t old = sample_state(1), torn = sample_state(2), next = sample_state(3), out;
  static const char zeros[100];
  char              slot[SLOT_SIZE + 1], *dirty;

  ck_assert_int_eq(fp_store_write(store, &old, false), FP_OK);  /* slot 0, seq 1 */
  ck_assert_int_eq(fp_store_write(store, &torn, false), FP_OK); /* slot 1, seq 2 */

  /* The second half of slot 1 never reached the disk. */
  patch_file(store, SLOT_SIZE + 300, zeros, sizeof(zeros));
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  assert_state_eq(&out, &old);

  /* The next write goes over the broken slot, keeping the older record. */
  ck_assert_int_eq(fp_store_write(store, &next, false), FP_OK);
  ck_assert_uint_eq(slot_seq(store, 0), 1);
  ck_assert_uint_eq(slot_seq(store, 1), 2);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  assert_state_eq(&out, &next);

  /* One changed character in a valid-looking line is caught by the checksum. */
  read_slot(store, 1, slot);
  ck_assert_ptr_nonnull(dirty = strstr(slot, "dirty=1"));
  patch_file(store, SLOT_SIZE + (dirty - slot) + 6, "0", 1);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  assert_state_eq(&out, &old);
  fp_store_close(store);
}
END_TEST

/* With no valid record in a non-empty file the device is dirty and FP_ERROR_STATE is returned. */
START_TEST(test_both_corrupt)
{
  fp_store_t       *store = open_store(dir, KEY);
  fp_device_state_t in = sample_state(1), out;

  ck_assert_int_eq(fp_store_write(store, &in, false), FP_OK);
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_OK);
  patch_file(store, 10, "X", 1);
  patch_file(store, SLOT_SIZE + 10, "X", 1);
  ck_assert_int_eq(fp_store_read(store, &out), FP_ERROR_STATE);
  ck_assert(out.dirty);
  ck_assert_uint_eq(out.owed.prefix_len, 0);
  ck_assert(out.owed.fill_count == 0);

  /* Writing recovers the store. */
  ck_assert_int_eq(fp_store_write(store, &in, false), FP_OK);
  ck_assert_int_eq(fp_store_read(store, &out), FP_OK);
  assert_state_eq(&out, &in);
  fp_store_close(store);

  /* A short file of garbage is no record either. */
  store = open_store(dir, "other");
  patch_file(store, 0, "hello\n", 6);
  ck_assert_int_eq(fp_store_read(store, &out), FP_ERROR_STATE);
  ck_assert(out.dirty);
  fp_store_close(store);
}
END_TEST

/* A record of another key (a hash collision) reads as a clean device. */
START_TEST(test_key_mismatch)
{
  fp_store_t       *mine = open_store(dir, KEY), *theirs = open_store(dir, "usb://EPSON/TM-T88V");
  fp_device_state_t in = sample_state(9), out;

  ck_assert_int_eq(fp_store_write(theirs, &in, true), FP_OK);
  ck_assert_int_eq(rename(fp_store_path(theirs), fp_store_path(mine)), 0);
  fp_store_close(mine);
  mine = open_store(dir, KEY);
  ck_assert_int_eq(fp_store_read(mine, &out), FP_OK);
  ck_assert(!out.dirty);
  ck_assert(out.quiet_until == 0);

  /* Writing our own record keeps theirs (the other slot) and reads back as ours. */
  in = sample_state(10);
  ck_assert_int_eq(fp_store_write(mine, &in, false), FP_OK);
  ck_assert_int_eq(fp_store_read(mine, &out), FP_OK);
  assert_state_eq(&out, &in);
  ck_assert_uint_eq(slot_seq(mine, 0), 1);
  ck_assert_uint_eq(slot_seq(mine, 1), 2);
  fp_store_close(mine);
  fp_store_close(theirs);
}
END_TEST

/* A symbolic link at the state file's name is refused, not written through. */
START_TEST(test_symlink_refused)
{
  char        learn[PATH_MAX], evil[PATH_MAX], target[PATH_MAX], link_path[PATH_MAX];
  fp_store_t *store;
  struct stat st;

  /* Learn the file name from a store elsewhere. */
  snprintf(learn, sizeof(learn), "%s/learn", dir);
  store = open_store(learn, KEY);
  snprintf(evil, sizeof(evil), "%s/evil", dir);
  snprintf(link_path, sizeof(link_path), "%s/%s", evil, strrchr(fp_store_path(store), '/') + 1);
  fp_store_close(store);

  snprintf(target, sizeof(target), "%s/target", dir);
  ck_assert_int_eq(close(open(target, O_WRONLY | O_CREAT, 0600)), 0);
  ck_assert_int_eq(mkdir(evil, 0700), 0);
  ck_assert_int_eq(symlink(target, link_path), 0);

  store = (fp_store_t *)&store;
  ck_assert_int_eq(fp_store_open(evil, KEY, &store), FP_ERROR_STATE);
  ck_assert_ptr_null(store);
  ck_assert_int_eq(stat(target, &st), 0);
  ck_assert_int_eq(st.st_size, 0);

  /* A dangling link is not followed to create its target either. */
  ck_assert_int_eq(unlink(target), 0);
  ck_assert_int_eq(fp_store_open(evil, KEY, &store), FP_ERROR_STATE);
  ck_assert_int_eq(lstat(target, &st), -1);
  ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* A symlinked state directory, a non-regular file, and an unsafe directory are refused. */
START_TEST(test_unsafe_places_refused)
{
  char        path[PATH_MAX], link_path[PATH_MAX];
  fp_store_t *store = NULL;

  snprintf(path, sizeof(path), "%s/real", dir);
  ck_assert_int_eq(mkdir(path, 0700), 0);
  snprintf(link_path, sizeof(link_path), "%s/link", dir);
  ck_assert_int_eq(symlink(path, link_path), 0);
  ck_assert_int_eq(fp_store_open(link_path, KEY, &store), FP_ERROR_STATE);

  /* A FIFO at the file name neither blocks nor is accepted. */
  store = open_store(path, KEY);
  snprintf(link_path, sizeof(link_path), "%s", fp_store_path(store));
  fp_store_close(store);
  ck_assert_int_eq(unlink(link_path), 0);
  ck_assert_int_eq(mkfifo(link_path, 0600), 0);
  ck_assert_int_eq(fp_store_open(path, KEY, &store), FP_ERROR_STATE);

  /* World-writable without the sticky bit: refused; with it: accepted. */
  snprintf(path, sizeof(path), "%s/open", dir);
  ck_assert_int_eq(mkdir(path, 0700), 0);
  ck_assert_int_eq(chmod(path, 0777), 0);
  ck_assert_int_eq(fp_store_open(path, KEY, &store), FP_ERROR_STATE);
  ck_assert_int_eq(chmod(path, 01777), 0);
  store = open_store(path, KEY);
  fp_store_close(store);
}
END_TEST

/* Two handles in one process exclude each other; a timeout gives FP_ERROR_BUSY. */
START_TEST(test_lock_two_handles)
{
  fp_store_t *a = open_store(dir, KEY), *b = open_store(dir, KEY);
  int64_t     start;

  ck_assert_int_eq(fp_store_lock(a, -1, 0), FP_OK);
  ck_assert_int_eq(fp_store_lock(b, -1, 0), FP_ERROR_BUSY);
  start = fp_monotonic_ms();
  ck_assert_int_eq(fp_store_lock(b, -1, 250), FP_ERROR_BUSY);
  ck_assert_int_ge(fp_monotonic_ms() - start, 250);

  fp_store_unlock(a);
  ck_assert_int_eq(fp_store_lock(b, -1, 0), FP_OK);
  ck_assert_int_eq(fp_store_lock(a, -1, 0), FP_ERROR_BUSY);

  /* Closing the holder releases the lock too. */
  fp_store_close(b);
  ck_assert_int_eq(fp_store_lock(a, -1, 0), FP_OK);
  fp_store_close(a);
}
END_TEST

/* Another process cannot take the lock while this one holds it, and gets it after. */
START_TEST(test_lock_across_fork)
{
  fp_store_t *held = open_store(dir, KEY);
  int         ready[2], status;
  pid_t       child;
  char        c;

  ck_assert_int_eq(fp_store_lock(held, -1, 0), FP_OK);
  ck_assert_int_eq(pipe(ready), 0);
  child = fork();
  ck_assert_int_ge(child, 0);
  if (child == 0)
  {
    fp_store_t *mine;
    int         code = 0;

    /* Busy while the parent holds it; acquired (waiting) once the parent lets go. */
    if (fp_store_open(dir, KEY, &mine))
      _exit(1);
    if (fp_store_lock(mine, -1, 0) != FP_ERROR_BUSY)
      code = 2;
    else if (write(ready[1], "r", 1) != 1)
      code = 3;
    else if (fp_store_lock(mine, -1, 10000) != FP_OK)
      code = 4;
    fp_store_close(mine);
    _exit(code);
  }
  ck_assert_int_eq(read(ready[0], &c, 1), 1);
  fp_store_unlock(held);
  ck_assert_int_eq(waitpid(child, &status, 0), child);
  ck_assert(WIFEXITED(status));
  ck_assert_int_eq(WEXITSTATUS(status), 0);
  fp_store_close(held);
}
END_TEST

/* A waiting lock returns FP_ERROR_CANCELED as soon as the cancel descriptor is readable. */
START_TEST(test_lock_cancel)
{
  fp_store_t *a = open_store(dir, KEY), *b = open_store(dir, KEY);
  int         cancel[2], status;
  int64_t     start;
  pid_t       child;

  ck_assert_int_eq(fp_store_lock(a, -1, 0), FP_OK);
  ck_assert_int_eq(pipe(cancel), 0);

  /* Nothing to read: the wait runs into its timeout. */
  ck_assert_int_eq(fp_store_lock(b, cancel[0], 150), FP_ERROR_BUSY);

  /* Already readable: canceled at once, even with no timeout. */
  ck_assert_int_eq(write(cancel[1], "x", 1), 1);
  start = fp_monotonic_ms();
  ck_assert_int_eq(fp_store_lock(b, cancel[0], -1), FP_ERROR_CANCELED);
  ck_assert_int_lt(fp_monotonic_ms() - start, 1000);
  ck_assert_int_eq(read(cancel[0], &status, 1), 1);

  /* Becoming readable during the wait (a SIGTERM's self-pipe). */
  child = fork();
  ck_assert_int_ge(child, 0);
  if (child == 0)
  {
    struct timespec delay = {0, 200 * 1000000};

    nanosleep(&delay, NULL);
    _exit(write(cancel[1], "x", 1) == 1 ? 0 : 1);
  }
  start = fp_monotonic_ms();
  ck_assert_int_eq(fp_store_lock(b, cancel[0], -1), FP_ERROR_CANCELED);
  ck_assert_int_lt(fp_monotonic_ms() - start, 5000);
  ck_assert_int_eq(waitpid(child, &status, 0), child);
  fp_store_close(b);
  fp_store_close(a);
}
END_TEST

/* The lock of a process killed by SIGKILL is released with it. */
START_TEST(test_lock_holder_killed)
{
  fp_store_t *mine = open_store(dir, KEY);
  int         ready[2], status;
  pid_t       child;
  char        c;

  ck_assert_int_eq(pipe(ready), 0);
  child = fork();
  ck_assert_int_ge(child, 0);
  if (child == 0)
  {
    fp_store_t *theirs;

    if (fp_store_open(dir, KEY, &theirs) || fp_store_lock(theirs, -1, 0)
        || write(ready[1], "l", 1) != 1)
      _exit(1);
    for (;;)
      pause();
  }
  ck_assert_int_eq(read(ready[0], &c, 1), 1);
  ck_assert_int_eq(fp_store_lock(mine, -1, 0), FP_ERROR_BUSY);
  ck_assert_int_eq(kill(child, SIGKILL), 0);
  ck_assert_int_eq(waitpid(child, &status, 0), child);
  ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  ck_assert_int_eq(fp_store_lock(mine, -1, 5000), FP_OK);
  fp_store_close(mine);
}
END_TEST

/* The test suite. */
static Suite *state_suite(void)
{
  Suite *s = suite_create("state");
  TCase *records = tcase_create("records");
  TCase *safety = tcase_create("safety");
  TCase *lock = tcase_create("lock");

  tcase_add_checked_fixture(records, setup, NULL);
  tcase_add_test(records, test_default_dir);
  tcase_add_test(records, test_open_creates);
  tcase_add_test(records, test_open_arguments);
  tcase_add_test(records, test_round_trip);
  tcase_add_test(records, test_long_key);
  tcase_add_test(records, test_record_without_suffix);
  tcase_add_test(records, test_unheard_hint);
  tcase_add_test(records, test_implausible_and_refused);
  tcase_add_test(records, test_alternating_slots);
  tcase_add_test(records, test_torn_write);
  tcase_add_test(records, test_locked_write_is_one_pwrite);
  tcase_add_test(records, test_relock_reads_again);
  tcase_add_test(records, test_both_corrupt);
  tcase_add_test(records, test_key_mismatch);
  tcase_add_test(records, test_numbers_out_of_range);
  tcase_add_test(records, test_sequence_exhausted);
  tcase_add_test(records, test_device_keys);
  tcase_add_test(records, test_open_explains);
  suite_add_tcase(s, records);

  tcase_add_checked_fixture(safety, setup, NULL);
  tcase_add_test(safety, test_symlink_refused);
  tcase_add_test(safety, test_unsafe_places_refused);
  suite_add_tcase(s, safety);

  tcase_add_checked_fixture(lock, setup, NULL);
  tcase_add_test(lock, test_lock_two_handles);
  tcase_add_test(lock, test_lock_across_fork);
  tcase_add_test(lock, test_lock_cancel);
  tcase_add_test(lock, test_lock_holder_killed);
  suite_add_tcase(s, lock);
  return s;
}

/* Run the suite in a temporary directory; exit status 0 only if every test passed. */
int main(void)
{
  const char *tmp = getenv("TMPDIR");
  int         status;

  snprintf(root, sizeof(root), "%s/test-state-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp(root) == NULL)
  {
    perror(root);
    return EXIT_FAILURE;
  }
  status = fp_run_suite(state_suite());
  remove_tree(root);
  return status;
}

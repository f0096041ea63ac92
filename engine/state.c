/*
 * Per-device state store.  Each device has one file, "dev-<FNV-1a 64 of the
 * key>.state", holding two 512-byte slots at offsets 0 and 512.  A slot is
 * one text line padded with spaces to 511 bytes plus '\n':
 *
 *   flushprinter-state v1 seq=N key=K quiet_until=MS dirty=0|1 job=J pid=P
 *   accepted=N language=L owed_prefix=HEX owed_fill=N fill_byte=HH owed_suffix=HEX
 *   [refused=N] [unheard_until=MS] crc=XXXXXXXX
 *
 * refused=N, only in a record that owes nothing, is the debt the last flush
 * refused to pay.  unheard_until=MS is a hint (status=auto's memory of a printer that
 * did not answer its probe): written only where the slot has room for it,
 * so that a record with the widest fields loses nothing but one probe's
 * worth of memory.  An implausible debt (the tracker no longer vouched for
 * the stream) is written owed_fill=9223372036854775807, which no ceiling
 * lets through.
 * K and L are percent-encoded; crc is the CRC-32 of everything before " crc=".
 * A writer overwrites the slot that does not hold the newest valid record,
 * so a torn write only ever destroys the older record.  The file is locked
 * with flock(), which belongs to the open file description and dies with
 * the process.
 */

#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "flushprinter.h"
#include "text.h"
#include "wait.h"

#define SLOT_SIZE      512
#define SLOT_COUNT     2
#define RECORD_MAGIC   "flushprinter-state v1"
#define CRC_FIELD      " crc="
#define CRC_DIGITS     8
#define MAX_TOKENS     20
#define LOCK_POLL_MS   100
/*
 * What each number of a record can mean; a record outside these bounds is
 * not valid (the other slot, or the unreadable-state path, takes over).
 * The quiet deadline is wall-clock ms, 0 (none) to the end of year 9999;
 * a sequence number leaves room to count on; a pid is a positive int (a job
 * id is whatever int cupsd passed); byte counts fit an int64_t.  The writer
 * refuses the same values, so every record it writes reads back.
 */
#define QUIET_UNTIL_MAX INT64_C(253402300799999)
#define SEQ_MAX         (UINT64_MAX / 2)
#define COUNT_MAX       ((uint64_t)INT64_MAX)
#define HASHED_KEY_HEX  32 /* hex digits of the hash ending a long device key */
/*
 * Longest key field that still fits a slot with every other field at its
 * widest (356 bytes); a longer encoded key is stored as "#" + a second hash.
 */
#define KEY_FIELD_MAX  150
#define LANGUAGE_FIELD_MAX (3 * (sizeof(((fp_device_state_t *)0)->language) - 1))

struct fp_store_s
{
  int  dir_fd;                        /* the state directory */
  int  fd;                            /* the device's state file */
  bool locked;                        /* this handle holds the flock */
  bool dir_synced;                    /* the directory entry was fsync()ed */
  bool known;                         /* newest is still true (only while locked) */
  int  newest;                        /* slot of the newest valid record at the last */
                                      /* read or write, -1 if none */
  uint64_t newest_seq;                /* its sequence number */
  char key_field[KEY_FIELD_MAX + 1];  /* the key as records spell it */
  char path[PATH_MAX];                /* for messages */
};

/* One decoded slot. */
typedef struct record_s
{
  uint64_t           seq;
  char               key_field[KEY_FIELD_MAX + 1];
  fp_device_state_t  state;
} record_t;

/* What the two slots of a file hold. */
typedef struct scan_s
{
  bool     nonempty;      /* the file has any bytes */
  int      newest;        /* slot of the newest valid record of any key, -1 if none */
  int      mine;          /* slot of the newest valid record of this key, -1 if none */
  record_t records[SLOT_COUNT];
} scan_t;

/* FNV-1a 64 of `s`, read forwards or backwards. */
static uint64_t fnv1a64(const char *s, bool backwards)
{
  size_t   len = strlen(s);
  uint64_t hash = UINT64_C(0xcbf29ce484222325);

  for (size_t i = 0; i < len; i++)
  {
    hash ^= (uint8_t)s[backwards ? len - 1 - i : i];
    hash *= UINT64_C(0x100000001b3);
  }
  return hash;
}

/* CRC-32 (IEEE 802.3, as zlib) of `len` bytes. */
static uint32_t crc32_ieee(const void *data, size_t len)
{
  const uint8_t *p = data;
  uint32_t       crc = 0xffffffffu;

  while (len--)
  {
    crc ^= *p++;
    for (int bit = 0; bit < 8; bit++)
      crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

/* How records spell `key`: percent-encoded, or "#" + a second hash when that is too long. */
static void make_key_field(const char *key, char out[KEY_FIELD_MAX + 1])
{
  if (fp_percent_encode(key, out, KEY_FIELD_MAX + 1) != FP_OK)
    snprintf(out, KEY_FIELD_MAX + 1, "#%016" PRIx64, fnv1a64(key, true));
}

/* Lowercase hex of `len` bytes into `out` (2 * len + 1 bytes). */
static void hex_encode(const uint8_t *in, size_t len, char *out)
{
  for (size_t i = 0; i < len; i++)
    snprintf(out + 2 * i, 3, "%02x", in[i]);
  out[2 * len] = '\0';
}

/* Decode hex `in` into at most `max` bytes; false if malformed or too long. */
static bool hex_decode(const char *in, uint8_t *out, size_t max, size_t *len)
{
  size_t n = strlen(in);

  if (n % 2 || n / 2 > max)
    return false;
  for (size_t i = 0; i < n / 2; i++)
  {
    int hi = fp_hex_value(in[2 * i]), lo = fp_hex_value(in[2 * i + 1]);

    if (hi < 0 || lo < 0)
      return false;
    out[i] = (uint8_t)(hi * 16 + lo);
  }
  *len = n / 2;
  return true;
}

/* Parse unsigned decimal `s` (digits only) within [0, max]; false if malformed or out of range. */
static bool parse_u64(const char *s, uint64_t max, uint64_t *v)
{
  char *end;

  if (*s < '0' || *s > '9')
    return false;
  errno = 0;
  *v = strtoull(s, &end, 10);
  return errno == 0 && *end == '\0' && *v <= max;
}

/* Parse signed decimal `s` within [min, max]; false if malformed or out of range. */
static bool parse_i64(const char *s, int64_t min, int64_t max, int64_t *v)
{
  char     *end;
  long long n;

  if (!((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9')))
    return false;
  errno = 0;
  n = strtoll(s, &end, 10);
  if (errno || *end || n < min || n > max)
    return false;
  *v = n;
  return true;
}

/* The value of field `name` among `tokens` ("name=value"), or NULL. */
static const char *field(char *const *tokens, size_t count, const char *name)
{
  size_t len = strlen(name);

  for (size_t i = 0; i < count; i++)
  {
    if (!strncmp(tokens[i], name, len) && tokens[i][len] == '=')
      return tokens[i] + len + 1;
  }
  return NULL;
}

/* Format `record` as one slot; FP_ERROR_INVALID_ARGUMENT if a field is out of range. */
static int format_record(const record_t *record, uint8_t slot[SLOT_SIZE])
{
  const fp_device_state_t *st = &record->state;
  char                     line[SLOT_SIZE + 1];
  char                     language[LANGUAGE_FIELD_MAX + 1];
  char                     prefix[2 * FP_COMPLETION_PREFIX_MAX + 1];
  char                     suffix[2 * FP_COMPLETION_SUFFIX_MAX + 1];
  char                     refused[32] = "";
  int                      n, hint = 0;

  if (!memchr(st->language, '\0', sizeof(st->language)) || record->seq > SEQ_MAX
      || st->quiet_until < 0 || st->quiet_until > QUIET_UNTIL_MAX || st->pid < 0
      || st->accepted > COUNT_MAX || (st->owed.fill_count > COUNT_MAX && !st->owed.implausible)
      || st->owed.prefix_len > FP_COMPLETION_PREFIX_MAX
      || st->owed.suffix_len > FP_COMPLETION_SUFFIX_MAX
      || fp_percent_encode(st->language, language, sizeof(language)) != FP_OK)
    return FP_ERROR_INVALID_ARGUMENT;
  hex_encode(st->owed.prefix, st->owed.prefix_len, prefix);
  hex_encode(st->owed.suffix, st->owed.suffix_len, suffix);
  /* A dirty record's debt says more, and it has no room for both; one that owes nothing
     (the flush refused the debt, then its reset did not go) keeps it. */
  if (st->refused && (!st->dirty || fp_completion_size(&st->owed) == 0))
    snprintf(refused, sizeof(refused), " refused=%" PRIu64,
             st->refused < COUNT_MAX ? st->refused : COUNT_MAX);

  n = snprintf(line, sizeof(line),
               RECORD_MAGIC " seq=%" PRIu64 " key=%s quiet_until=%" PRId64 " dirty=%d job=%d"
                            " pid=%d accepted=%" PRIu64 " language=%s owed_prefix=%s"
                            " owed_fill=%" PRIu64 " fill_byte=%02x owed_suffix=%s%s",
               record->seq, record->key_field, st->quiet_until, st->dirty ? 1 : 0, st->job_id,
               st->pid, st->accepted, language, prefix,
               st->owed.implausible ? COUNT_MAX : st->owed.fill_count, st->owed.fill_byte,
               suffix, refused);
  if (n < 0 || (size_t)n + sizeof(CRC_FIELD) - 1 + CRC_DIGITS > SLOT_SIZE - 1)
    return FP_ERROR_STATE; /* cannot happen: KEY_FIELD_MAX leaves room for the widest record */
  if (st->unheard_until > 0)
    hint = snprintf(line + n, sizeof(line) - (size_t)n, " unheard_until=%" PRId64,
                    st->unheard_until < QUIET_UNTIL_MAX ? st->unheard_until : QUIET_UNTIL_MAX);
  if (hint > 0 && (size_t)(n + hint) + sizeof(CRC_FIELD) - 1 + CRC_DIGITS <= SLOT_SIZE - 1)
    n += hint;
  line[n] = '\0'; /* without the hint when it does not fit */
  n += snprintf(line + n, sizeof(line) - (size_t)n, CRC_FIELD "%08" PRIx32,
                crc32_ieee(line, (size_t)n));

  memset(slot, ' ', SLOT_SIZE - 1);
  memcpy(slot, line, (size_t)n);
  slot[SLOT_SIZE - 1] = '\n';
  return FP_OK;
}

/* Check the framing and checksum of a slot; the length of its body (before " crc="), or 0. */
static size_t check_slot(const uint8_t slot[SLOT_SIZE], char text[SLOT_SIZE])
{
  size_t len, body;
  char   crc[CRC_DIGITS + 1];

  if (slot[SLOT_SIZE - 1] != '\n' || memchr(slot, '\0', SLOT_SIZE - 1)
      || memchr(slot, '\n', SLOT_SIZE - 1))
    return 0;
  memcpy(text, slot, SLOT_SIZE - 1);
  text[SLOT_SIZE - 1] = '\0';
  for (len = SLOT_SIZE - 1; len > 0 && text[len - 1] == ' '; len--)
    text[len - 1] = '\0';

  if (len < sizeof(CRC_FIELD) - 1 + CRC_DIGITS)
    return 0;
  body = len - (sizeof(CRC_FIELD) - 1 + CRC_DIGITS);
  snprintf(crc, sizeof(crc), "%08" PRIx32, crc32_ieee(text, body));
  if (memcmp(text + body, CRC_FIELD, sizeof(CRC_FIELD) - 1)
      || memcmp(text + body + sizeof(CRC_FIELD) - 1, crc, CRC_DIGITS))
    return 0;
  text[body] = '\0';
  return body;
}

/* Decode one slot into `record`; false unless it is a valid v1 record. */
static bool parse_record(const uint8_t slot[SLOT_SIZE], record_t *record)
{
  char               text[SLOT_SIZE];
  char              *tokens[MAX_TOKENS], *save = NULL, *tok;
  const char        *v, *w;
  size_t             count = 0;
  int64_t            quiet_until, dirty, job, pid;
  fp_device_state_t *st = &record->state;

  memset(record, 0, sizeof(*record));
  if (!check_slot(slot, text) || strncmp(text, RECORD_MAGIC " ", sizeof(RECORD_MAGIC)))
    return false;
  for (tok = strtok_r(text + sizeof(RECORD_MAGIC), " ", &save); tok;
       tok = strtok_r(NULL, " ", &save))
  {
    if (count == MAX_TOKENS)
      return false;
    tokens[count++] = tok;
  }

  if (!(v = field(tokens, count, "seq")) || !parse_u64(v, SEQ_MAX, &record->seq))
    return false;
  if (!(v = field(tokens, count, "key")) || strlen(v) > KEY_FIELD_MAX)
    return false;
  strcpy(record->key_field, v);
  if (!(v = field(tokens, count, "quiet_until"))
      || !parse_i64(v, 0, QUIET_UNTIL_MAX, &quiet_until)
      || !(v = field(tokens, count, "dirty")) || !parse_i64(v, 0, 1, &dirty)
      || !(v = field(tokens, count, "job")) || !parse_i64(v, INT_MIN, INT_MAX, &job)
      || !(v = field(tokens, count, "pid")) || !parse_i64(v, 0, INT_MAX, &pid)
      || !(v = field(tokens, count, "accepted")) || !parse_u64(v, COUNT_MAX, &st->accepted)
      || !(v = field(tokens, count, "language"))
      || fp_percent_decode(v, strlen(v), st->language, sizeof(st->language)) != FP_OK
      || !(v = field(tokens, count, "owed_prefix"))
      || !hex_decode(v, st->owed.prefix, FP_COMPLETION_PREFIX_MAX, &st->owed.prefix_len)
      || !(v = field(tokens, count, "owed_fill")) || !parse_u64(v, COUNT_MAX, &st->owed.fill_count)
      || !(v = field(tokens, count, "fill_byte")) || strlen(v) != 2
      || fp_hex_value(v[0]) < 0 || fp_hex_value(v[1]) < 0)
    return false;
  /* Records written before completions had a suffix have none. */
  st->owed.suffix_len = 0;
  if ((w = field(tokens, count, "owed_suffix"))
      && !hex_decode(w, st->owed.suffix, FP_COMPLETION_SUFFIX_MAX, &st->owed.suffix_len))
    return false;
  st->owed.implausible = st->owed.fill_count == COUNT_MAX;
  st->refused = 0;
  if ((w = field(tokens, count, "refused")) && !parse_u64(w, COUNT_MAX, &st->refused))
    return false;
  /* A hint out of bounds is no hint; the record stands (only a forged file can have one). */
  if (!(w = field(tokens, count, "unheard_until"))
      || !parse_i64(w, 0, QUIET_UNTIL_MAX, &st->unheard_until))
    st->unheard_until = 0;
  st->quiet_until = quiet_until;
  st->dirty = dirty != 0;
  st->job_id = (int)job;
  st->pid = (int)pid;
  st->owed.fill_byte = (uint8_t)(fp_hex_value(v[0]) * 16 + fp_hex_value(v[1]));
  return true;
}

/* pread() all of `len` bytes at `offset` unless the file ends; bytes read or -1. */
static ssize_t read_full(int fd, uint8_t *buf, size_t len, off_t offset)
{
  size_t done = 0;

  while (done < len)
  {
    ssize_t n = pread(fd, buf + done, len - done, offset + (off_t)done);

    if (n == 0)
      break;
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    done += (size_t)n;
  }
  return (ssize_t)done;
}

/* pwrite() all of `len` bytes at `offset`; FP_OK or FP_ERROR_STATE. */
static int write_full(int fd, const uint8_t *buf, size_t len, off_t offset)
{
  size_t done = 0;

  while (done < len)
  {
    ssize_t n = pwrite(fd, buf + done, len - done, offset + (off_t)done);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
    {
      if (n == 0)
        errno = ENOSPC; /* a write that takes nothing: the file system is full */
      return FP_ERROR_STATE;
    }
    done += (size_t)n;
  }
  return FP_OK;
}

/*
 * Keep where the newest record is while this handle holds the lock: no one
 * else writes the file meanwhile, so the next write need not read it again.
 */
static void remember(fp_store_t *store, int newest, uint64_t seq)
{
  store->known = store->locked;
  store->newest = newest;
  store->newest_seq = seq;
}

/* Read and decode both slots of the store's file. */
static int scan_slots(fp_store_t *store, scan_t *scan)
{
  uint8_t buf[SLOT_SIZE * SLOT_COUNT];
  ssize_t n = read_full(store->fd, buf, sizeof(buf), 0);

  scan->newest = scan->mine = -1;
  scan->nonempty = n != 0;
  if (n < 0)
    return FP_ERROR_STATE;
  for (int i = 0; i < SLOT_COUNT; i++)
  {
    record_t *r = &scan->records[i];

    if (n < (ssize_t)((i + 1) * SLOT_SIZE) || !parse_record(buf + i * SLOT_SIZE, r))
      continue;
    if (scan->newest < 0 || r->seq > scan->records[scan->newest].seq)
      scan->newest = i;
    if (!strcmp(r->key_field, store->key_field)
        && (scan->mine < 0 || r->seq > scan->records[scan->mine].seq))
      scan->mine = i;
  }
  remember(store, scan->newest, scan->newest < 0 ? 0 : scan->records[scan->newest].seq);
  return FP_OK;
}

/*
 * The state directory: $FLUSHPRINTER_STATEDIR, else $CUPS_CACHEDIR/flushprinter,
 * else /var/cache/cups/flushprinter.
 */
int fp_store_default_dir(char *buf, size_t size)
{
  const char *env;
  int         n;

  if (buf == NULL || size == 0)
    return FP_ERROR_INVALID_ARGUMENT;
  if ((env = getenv("FLUSHPRINTER_STATEDIR")) && *env)
    n = snprintf(buf, size, "%s", env);
  else if ((env = getenv("CUPS_CACHEDIR")) && *env)
    n = snprintf(buf, size, "%s/flushprinter", env);
  else
    n = snprintf(buf, size, "%s", "/var/cache/cups/flushprinter");
  if (n < 0 || (size_t)n >= size)
  {
    buf[0] = '\0';
    return FP_ERROR_INVALID_ARGUMENT;
  }
  return FP_OK;
}

/* mkdir -p `dir` with mode 0700; errors show up when the directory is opened. */
static void make_dirs(const char *dir)
{
  char path[PATH_MAX];

  snprintf(path, sizeof(path), "%s", dir);
  for (char *p = path + 1; *p; p++)
  {
    if (*p != '/')
      continue;
    *p = '\0';
    mkdir(path, 0700);
    *p = '/';
  }
  mkdir(path, 0700);
}

/* Say in `why` (if not NULL) what is wrong with `path`: `what`, or errno's sentence. */
static void explain(char *why, size_t size, const char *path, const char *what)
{
  if (why && size)
    snprintf(why, size, "%s: %s", path, what ? what : strerror(errno));
}

/* Open (creating it if missing) the state directory; -1 if unusable or unsafe, with `why`. */
static int open_dir(const char *dir, char *why, size_t why_size)
{
  const int   flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  int         fd = open(dir, flags);
  struct stat st;

  if (fd < 0 && errno == ENOENT)
  {
    make_dirs(dir);
    fd = open(dir, flags);
  }
  if (fd < 0)
  {
    explain(why, why_size, dir, errno == ENOTDIR || errno == ELOOP
                                  ? "not a directory (or a symbolic link); refusing it" : NULL);
    return -1;
  }
  /* Others could replace our file in a world-writable directory without the sticky bit. */
  if (fstat(fd, &st) || ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)))
  {
    explain(why, why_size, dir, "world-writable without the sticky bit; refusing it");
    close(fd);
    errno = EPERM;
    return -1;
  }
  return fd;
}

/*
 * Open the state file `name` in `dir_fd` without following a symbolic link;
 * -1 unless it is a regular file with one link, owned by us or by root,
 * with `why` naming `path`.
 */
static int open_file(int dir_fd, const char *name, const char *path, char *why, size_t why_size)
{
  /* O_NONBLOCK: a FIFO planted at the name must not block the open. */
  const int   flags = O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
  int         fd = openat(dir_fd, name, flags, 0600);
  struct stat st;
  const char *what = NULL;

  if (fd < 0)
  {
    explain(why, why_size, path, errno == ELOOP ? "a symbolic link; refusing it" : NULL);
    return -1;
  }
  if (fstat(fd, &st))
    what = NULL;
  else if (!S_ISREG(st.st_mode))
    what = "not a regular file; refusing it";
  else if (st.st_nlink != 1)
    what = "has several hard links; refusing it";
  else if (st.st_uid != geteuid() && st.st_uid != 0)
    what = "belongs to another user; refusing it";
  else
    return fd;
  explain(why, why_size, path, what);
  close(fd);
  errno = what ? EPERM : errno;
  return -1;
}

/*
 * The state store's key for the device named `name`: `name` itself when it
 * is shorter than FP_DEVICE_KEY_MAX - 1 characters, else its first
 * characters, '#' and a 128-bit hash of all of it, FP_DEVICE_KEY_MAX - 1
 * characters in all.  A short key keeps its name (and its state file); a
 * long one can never equal a short one, and two long ones differ unless
 * their hashes collide.
 */
void fp_device_key(const char *name, char key[FP_DEVICE_KEY_MAX])
{
  size_t len = strlen(name);
  size_t keep = FP_DEVICE_KEY_MAX - 2 - HASHED_KEY_HEX;

  if (len < FP_DEVICE_KEY_MAX - 1)
  {
    memcpy(key, name, len + 1);
    return;
  }
  memcpy(key, name, keep);
  snprintf(key + keep, FP_DEVICE_KEY_MAX - keep, "#%016" PRIx64 "%016" PRIx64,
           fnv1a64(name, false), fnv1a64(name, true));
}

/*
 * Open (creating it and its directory, mode 0700, without following
 * symbolic links) the state file of the device named `device_key`; on
 * FP_ERROR_STATE, `why` (if not NULL) names the path and what is wrong.
 */
int fp_store_open_why(const char *dir, const char *device_key, fp_store_t **store, char *why,
                      size_t why_size)
{
  fp_store_t *s;
  char        name[64];
  size_t      dir_len, key_len;
  int         n;

  if (why && why_size)
    why[0] = '\0';
  if (store)
    *store = NULL;
  if (!dir || !device_key || !store || !*dir)
    return FP_ERROR_INVALID_ARGUMENT;
  key_len = strlen(device_key);
  dir_len = strlen(dir);
  if (key_len == 0 || key_len >= FP_DEVICE_KEY_MAX || dir_len >= PATH_MAX)
    return FP_ERROR_INVALID_ARGUMENT;
  if ((s = calloc(1, sizeof(*s))) == NULL)
    return FP_ERROR_NO_MEMORY;

  snprintf(name, sizeof(name), "dev-%016" PRIx64 ".state", fnv1a64(device_key, false));
  n = snprintf(s->path, sizeof(s->path), "%s%s%s", dir, dir[dir_len - 1] == '/' ? "" : "/", name);
  if (n < 0 || (size_t)n >= sizeof(s->path))
  {
    free(s);
    return FP_ERROR_INVALID_ARGUMENT;
  }
  make_key_field(device_key, s->key_field);

  s->fd = -1;
  if ((s->dir_fd = open_dir(dir, why, why_size)) < 0
      || (s->fd = open_file(s->dir_fd, name, s->path, why, why_size)) < 0)
  {
    int saved = errno;

    fp_store_close(s);
    errno = saved;
    return FP_ERROR_STATE;
  }
  *store = s;
  return FP_OK;
}

/* fp_store_open_why() without the explanation. */
int fp_store_open(const char *dir, const char *device_key, fp_store_t **store)
{
  return fp_store_open_why(dir, device_key, store, NULL, 0);
}

/* Wait up to `wait_ms` for `cancel_fd` (if >= 0); FP_ERROR_CANCELED if it becomes readable. */
static int wait_cancel(int cancel_fd, int wait_ms)
{
  switch (fp_wait_once(-1, 0, cancel_fd, wait_ms, NULL))
  {
    case FP_WAIT_CANCELED: return FP_ERROR_CANCELED; /* readable, or at end of file */
    case FP_WAIT_BAD_CANCEL: return FP_ERROR_INVALID_ARGUMENT;
    default: return FP_OK; /* the time passed, or a signal: the caller tries the lock again */
  }
}

/*
 * Take the device's exclusive lock, waiting up to `timeout_ms` (-1: forever)
 * in steps of at most LOCK_POLL_MS; a free lock is taken even if `cancel_fd`
 * is already readable.
 */
int fp_store_lock(fp_store_t *store, int cancel_fd, int timeout_ms)
{
  int64_t deadline;

  if (store == NULL)
    return FP_ERROR_INVALID_ARGUMENT;
  deadline = timeout_ms < 0 ? -1 : fp_monotonic_ms() + timeout_ms;
  for (;;)
  {
    int wait_ms = LOCK_POLL_MS, status;

    if (flock(store->fd, LOCK_EX | LOCK_NB) == 0)
    {
      store->locked = true;
      store->known = false; /* others may have written before: read the file first */
      return FP_OK;
    }
    if (errno == EINTR)
      continue;
    if (errno != EWOULDBLOCK)
      return FP_ERROR_STATE;
    if (deadline >= 0)
    {
      int left = fp_ms_until(deadline);

      if (left == 0)
        return FP_ERROR_BUSY;
      if (left < wait_ms)
        wait_ms = left;
    }
    if ((status = wait_cancel(cancel_fd, wait_ms)))
      return status;
  }
}

/* Release the device's lock if this handle holds it. */
void fp_store_unlock(fp_store_t *store)
{
  if (store && store->locked)
  {
    flock(store->fd, LOCK_UN);
    store->locked = false;
    store->known = false;
  }
}

/*
 * Read the newest valid record of this device.  No record (or only records
 * of another key sharing the file) gives a clean state and FP_OK; a
 * non-empty file without a valid record gives a dirty state with an empty
 * completion and FP_ERROR_STATE.
 */
int fp_store_read(fp_store_t *store, fp_device_state_t *state)
{
  scan_t scan;

  if (store == NULL || state == NULL)
    return FP_ERROR_INVALID_ARGUMENT;
  memset(state, 0, sizeof(*state));
  if (scan_slots(store, &scan) == FP_OK)
  {
    if (scan.mine >= 0)
      *state = scan.records[scan.mine].state;
    if (scan.newest >= 0 || !scan.nonempty)
      return FP_OK;
  }
  state->dirty = true;
  return FP_ERROR_STATE;
}

/*
 * Write `record` into slot `index`: FP_OK, and it is the newest; or a
 * failure that leaves the newest as it was (a torn write destroyed only
 * slot `index`, the older one).
 */
static int write_slot(fp_store_t *store, const record_t *record, int index)
{
  uint8_t slot[SLOT_SIZE];
  int     status;

  if ((status = format_record(record, slot))
      || (status = write_full(store->fd, slot, SLOT_SIZE, (off_t)index * SLOT_SIZE)))
    return status;
  remember(store, index, record->seq);
  return FP_OK;
}

/*
 * Write a record into the slot not holding the newest valid record (known
 * from the last read or write under the lock, else read now); fsync() it
 * when `durable`.
 */
int fp_store_write(fp_store_t *store, const fp_device_state_t *state, bool durable)
{
  scan_t   scan;
  record_t record;
  int      index = 0, status;

  if (store == NULL || state == NULL)
    return FP_ERROR_INVALID_ARGUMENT;
  if (!store->known && (status = scan_slots(store, &scan)))
    return status;

  memset(&record, 0, sizeof(record));
  record.seq = 1;
  if (store->newest >= 0)
  {
    index = 1 - store->newest;
    record.seq = store->newest_seq + 1;
  }
  strcpy(record.key_field, store->key_field);
  record.state = *state;
  if (record.seq > SEQ_MAX)
  {
    /* Numbering exhausted (a forged record): start again at 1, then 2 over the old newest. */
    record.seq = 1;
    if ((status = write_slot(store, &record, index)))
      return status;
    record.seq = 2;
    index = 1 - index;
  }
  if ((status = write_slot(store, &record, index)))
    return status;

  if (durable)
  {
    if (fsync(store->fd))
      return FP_ERROR_STATE;
    /* The file may be new: make its directory entry durable too, once. */
    if (!store->dir_synced && fsync(store->dir_fd) == 0)
      store->dir_synced = true;
  }
  return FP_OK;
}

/* Path of the state file, for messages. */
const char *fp_store_path(const fp_store_t *store)
{
  return store ? store->path : "";
}

/* Close the state file, releasing the lock. */
void fp_store_close(fp_store_t *store)
{
  if (store == NULL)
    return;
  if (store->fd >= 0)
    close(store->fd);
  if (store->dir_fd >= 0)
    close(store->dir_fd);
  free(store);
}

/* Decode one slot (internal, for tests and fuzzing). */
bool fp_state_record_parse(const uint8_t *slot, uint64_t *seq, char key_field[FP_DEVICE_KEY_MAX],
                           fp_device_state_t *state)
{
  record_t record;

  if (!parse_record(slot, &record))
    return false;
  *seq = record.seq;
  snprintf(key_field, FP_DEVICE_KEY_MAX, "%s", record.key_field);
  *state = record.state;
  return true;
}

/* Encode one slot as fp_store_write() does (internal, for tests and fuzzing). */
int fp_state_record_format(uint64_t seq, const char *key_field, const fp_device_state_t *state,
                           uint8_t *slot)
{
  record_t record;

  memset(&record, 0, sizeof(record));
  if (strlen(key_field) > KEY_FIELD_MAX)
    return FP_ERROR_INVALID_ARGUMENT;
  record.seq = seq;
  strcpy(record.key_field, key_field);
  record.state = *state;
  return format_record(&record, slot);
}

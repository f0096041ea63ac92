/*
 * Per-device state shared by every backend instance that prints to one
 * device: the quiet-window deadline and the dirty journal.  One file per
 * device under the state directory, holding two checksummed text records
 * written alternately (a torn write leaves the other intact), locked with
 * flock() for the whole time an instance uses the device.
 */

#ifndef FP_STATE_H
#define FP_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "language.h"

#define FP_DEVICE_KEY_MAX 256

typedef struct fp_device_state_s
{
  int64_t         quiet_until;   /* realtime ms before which nothing is sent; 0 = none */
  bool            dirty;         /* a job was streaming and has not been flushed */
  int             job_id;        /* that job */
  int             pid;           /* the backend process that wrote the record */
  uint64_t        accepted;      /* bytes of that job the device accepted */
  char            language[16];  /* tracker language of that job */
  fp_completion_t owed;          /* completion of its half-sent command, at last record */
  uint64_t        refused;       /* debt the last flush did not pay (implausible or too long) */
  int64_t         unheard_until; /* realtime ms before which status=auto does not probe: the
                                    printer did not answer the last probe; 0 = ask.  A hint:
                                    dropped from a record that has no room for it */
} fp_device_state_t;

typedef struct fp_store_s fp_store_t;

/*
 * The state directory: $FLUSHPRINTER_STATEDIR, else $CUPS_CACHEDIR/flushprinter,
 * else /var/cache/cups/flushprinter.
 */
int fp_store_default_dir(char *buf, size_t size);

/*
 * Open (creating it and its directory, mode 0700, without following
 * symbolic links) the state file of the device named `device_key` (e.g.
 * "socket://host:9100").
 */
int fp_store_open(const char *dir, const char *device_key, fp_store_t **store);

/*
 * fp_store_open(), and on FP_ERROR_STATE a sentence in `why` naming the
 * path and what is wrong with it (the system error, or why it is refused);
 * errno is kept.
 */
int fp_store_open_why(const char *dir, const char *device_key, fp_store_t **store, char *why,
                      size_t why_size);

/*
 * The store's key for the device named `name` (e.g. "socket://host:9100"):
 * `name` itself when shorter than FP_DEVICE_KEY_MAX - 1, else a prefix of it
 * followed by '#' and a 128-bit hash of all of it.  Distinct names give
 * distinct keys; short names keep theirs.
 */
void fp_device_key(const char *name, char key[FP_DEVICE_KEY_MAX]);

/*
 * Take the device's exclusive lock.  Waits up to `timeout_ms` (-1: forever);
 * returns FP_ERROR_CANCELED as soon as `cancel_fd` (if >= 0) becomes
 * readable, FP_ERROR_BUSY on timeout.  Released by fp_store_unlock(),
 * fp_store_close() or the death of the process.
 */
int  fp_store_lock(fp_store_t *store, int cancel_fd, int timeout_ms);
void fp_store_unlock(fp_store_t *store);

/*
 * Read the newest valid record.  A missing record gives a clean state and
 * FP_OK; when no record is valid the state is reported dirty with an empty
 * completion and FP_ERROR_STATE is returned.
 */
int fp_store_read(fp_store_t *store, fp_device_state_t *state);

/* Write a record into the older slot; fsync() it when `durable`.  On failure errno says why. */
int fp_store_write(fp_store_t *store, const fp_device_state_t *state, bool durable);

/* Path of the state file, for messages. */
const char *fp_store_path(const fp_store_t *store);

void fp_store_close(fp_store_t *store);

/*
 * Internal, for tests and fuzzing: one 512-byte slot of a state file.
 * fp_state_record_parse() decodes it (false unless it is a valid record);
 * fp_state_record_format() encodes it as fp_store_write() does.
 */
bool fp_state_record_parse(const uint8_t *slot, uint64_t *seq, char key_field[FP_DEVICE_KEY_MAX],
                           fp_device_state_t *state);
int  fp_state_record_format(uint64_t seq, const char *key_field, const fp_device_state_t *state,
                            uint8_t *slot);

#endif /* FP_STATE_H */

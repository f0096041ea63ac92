/*
 * Unit tests for the backend's run loop (backend/session.c, with device.c
 * and stream.c) driven through a fake transport: each ending of a job --
 * done, done in the middle of a command, canceled, failed and flushed on a
 * new connection, failed with the printer gone -- and the recovery of a
 * debt an earlier job left in the journal.  Each test checks the bytes the
 * fake printer accepted, in order, the exit code and the device's state
 * record.  A cancel is what the backend's SIGTERM handler does: the flag
 * set and a byte in the cancel pipe.
 */

#include <check.h>
#include <cups/backend.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../backend/session.h"
#include "check-main.h"
#include "clock.h"
#include "flushprinter.h"
#include "status.h"

/* An ESC/POS job: ESC @, then a GS v 0 raster image of RASTER_BYTES bytes, then a line of text. */
#define ROW_BYTES    10
#define ROWS         100
#define RASTER_BYTES (ROW_BYTES * ROWS)
#define HEADER_BYTES 10 /* ESC @ and the 8-byte GS v 0 header */
#define TEXT         "after the image\n"
#define JOB_BYTES    (HEADER_BYTES + RASTER_BYTES + sizeof(TEXT) - 1)
#define CUT          (HEADER_BYTES + 300) /* where the fake printer stops taking the job */
#define RESET        "\x1b@"               /* the queue's reset=hex:1b40 */
#define JOB_ID       7

/* What happens on the first connection once it has taken the `limit` bytes. */
typedef enum fake_event_e
{
  FAKE_NOTHING, /* it takes everything */
  FAKE_CANCEL,  /* the job is canceled while the printer takes nothing more */
  FAKE_BREAK    /* the connection breaks */
} fake_event_t;

/* The fake printer: its behaviour, and everything it accepted over every connection. */
static struct
{
  size_t       limit;
  fake_event_t event;
  bool         fired;          /* the event happened: from now on it takes everything */
  bool         refuse_reopen;  /* after the first connection, every open fails */
  int          opens;          /* successful opens */
  size_t       second_start;   /* bytes accepted before the second connection opened */
  uint8_t      got[4 * JOB_BYTES];
  size_t       got_len;
  int          always_ready;   /* a descriptor poll() always finds writable */
  volatile sig_atomic_t canceled;
  int          cancel_pipe[2];
} fake;

/* The fake's connection state. */
typedef struct fake_conn_s
{
  bool broken;
} fake_conn_t;

/* A SIGTERM, as the backend's handler takes it. */
static void raise_cancel(void)
{
  fake.canceled = 1;
  ck_assert_int_eq(write(fake.cancel_pipe[1], "x", 1), 1);
}

/* Open: the first time always, afterwards unless told to refuse. */
static int fake_open(const fp_options_t *options, int cancel_fd, int attempt_ms, fp_conn_t **conn,
                     char *message, size_t size)
{
  if (fake.opens > 0 && fake.refuse_reopen)
  {
    snprintf(message, size, "the fake printer is gone");
    return FP_ERROR_IO;
  }
  if (!(*conn = fp_conn_new(sizeof(fake_conn_t))))
    return FP_ERROR_NO_MEMORY;
  if (++fake.opens == 2)
    fake.second_start = fake.got_len;
  return FP_OK;
}

/* The fake printer stops taking the job after CUT bytes, and `event` happens. */
static void stop_at_cut(fake_event_t event)
{
  fake.limit = CUT;
  fake.event = event;
}

/* Take bytes up to the limit, then let the event happen once; after it, take everything. */
static int fake_write(fp_conn_t *conn, const uint8_t *buf, size_t len, size_t *accepted)
{
  fake_conn_t *c = fp_conn_state(conn);
  size_t       take = len;

  *accepted = 0;
  if (c->broken)
    return FP_ERROR_DEVICE_CLOSED;
  if (fake.event != FAKE_NOTHING && !fake.fired)
  {
    if (fake.got_len == fake.limit)
    {
      fake.fired = true;
      if (fake.event == FAKE_BREAK)
      {
        c->broken = true;
        return FP_ERROR_DEVICE_CLOSED;
      }
      raise_cancel();
      return FP_OK;
    }
    if (take > fake.limit - fake.got_len)
      take = fake.limit - fake.got_len;
  }
  ck_assert_uint_le(fake.got_len + take, sizeof(fake.got));
  memcpy(fake.got + fake.got_len, buf, take);
  fake.got_len += take;
  *accepted = take;
  return FP_OK;
}

/* Always writable: the fake decides in write() what it takes. */
static int fake_poll_fd(fp_conn_t *conn)
{
  return fake.always_ready;
}

/* Everything accepted has arrived, unless the connection broke. */
static int fake_drain(fp_conn_t *conn, int stall_ms)
{
  return ((fake_conn_t *)fp_conn_state(conn))->broken ? FP_ERROR_DEVICE_CLOSED : FP_OK;
}

/* Close a connection. */
static void fake_close(fp_conn_t *conn)
{
  fp_conn_free(conn);
}

static const fp_transport_t fake_transport = {
  .name = "fake",
  .write_events = POLLOUT,
  .open = fake_open,
  .write = fake_write,
  .poll_fd = fake_poll_fd,
  .drain = fake_drain,
  .close = fake_close,
};

/* What one run of the job left behind. */
typedef struct outcome_s
{
  int               rc;
  fp_device_state_t state;
  char              log[16384];
  int64_t           started, ended; /* wall clock, ms */
} outcome_t;

static char state_dir[64];

/* A fresh fake printer and state directory for each test. */
static void setup(void)
{
  memset(&fake, 0, sizeof(fake));
  snprintf(state_dir, sizeof(state_dir), "/tmp/fp-test-session-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(state_dir));
  setenv("FLUSHPRINTER_STATEDIR", state_dir, 1);
  ck_assert_int_eq(pipe2(fake.cancel_pipe, O_CLOEXEC | O_NONBLOCK), 0);
  ck_assert_int_ge(fake.always_ready = open("/dev/null", O_WRONLY | O_CLOEXEC), 0);
}

/* Remove the state directory and what the test left in it (state file, spool file, log). */
static void teardown(void)
{
  DIR           *dir = opendir(state_dir);
  struct dirent *entry;

  if (dir)
  {
    while ((entry = readdir(dir)))
      if (entry->d_name[0] != '.')
        unlinkat(dirfd(dir), entry->d_name, 0);
    closedir(dir);
  }
  rmdir(state_dir);
  close(fake.cancel_pipe[0]);
  close(fake.cancel_pipe[1]);
  close(fake.always_ready);
}

/* The ESC/POS job's JOB_BYTES bytes. */
static const uint8_t *job_bytes(void)
{
  static uint8_t job[JOB_BYTES];
  static const uint8_t header[HEADER_BYTES] = { 0x1b, '@', 0x1d, 'v', '0', 0, ROW_BYTES, 0,
                                                ROWS, 0 };

  memcpy(job, header, HEADER_BYTES);
  memset(job + HEADER_BYTES, 0xff, RASTER_BYTES);
  memcpy(job + HEADER_BYTES + RASTER_BYTES, TEXT, sizeof(TEXT) - 1);
  return job;
}

/* Options of a queue on the fake printer: ESC/POS, reset=hex:1b40, and `extra`; the image
   goes as the job has it (band=0: banding has its own tests, test-band and test_banding). */
static void parse_options(fp_options_t *opts, const char *extra)
{
  char uri[512], message[256];

  snprintf(uri, sizeof(uri), "flushprinter+file:/dev/null?language=escpos&reset=hex:1b40&band=0&%s",
           extra);
  ck_assert_msg(fp_options_parse(uri, opts, message, sizeof(message)) == FP_OK, "%s", message);
}

/* The device's state record as the store holds it now. */
static void read_state(const fp_options_t *opts, fp_device_state_t *state)
{
  fp_store_t *store;

  ck_assert_int_eq(fp_store_open(state_dir, opts->device_key, &store), FP_OK);
  ck_assert_int_eq(fp_store_read(store, state), FP_OK);
  fp_store_close(store);
}

/* Write `state` as the device's record, as an earlier job would have. */
static void write_state(const fp_options_t *opts, const fp_device_state_t *state)
{
  fp_store_t *store;

  ck_assert_int_eq(fp_store_open(state_dir, opts->device_key, &store), FP_OK);
  ck_assert_int_eq(fp_store_write(store, state, true), FP_OK);
  fp_store_close(store);
}

/* Run the first `len` bytes of the job as a raw queue's spool file, with the backend's log captured. */
static void run_job(const char *extra, size_t len, outcome_t *out)
{
  char          spool[64], log_path[64];
  fp_options_t  opts;
  fp_job_info_t job = { .job_id = JOB_ID, .side_fd = -1, .back_fd = -1,
                        .cancel_fd = fake.cancel_pipe[0], .canceled = &fake.canceled };
  int           log_fd, saved_stderr = dup(2);
  ssize_t       n;

  snprintf(spool, sizeof(spool), "%s/spool", state_dir);
  snprintf(log_path, sizeof(log_path), "%s/log", state_dir);
  ck_assert_int_ge(job.input_fd = open(spool, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), 0);
  ck_assert_int_eq(write(job.input_fd, job_bytes(), len), (ssize_t)len);
  ck_assert_int_eq(lseek(job.input_fd, 0, SEEK_SET), 0);
  ck_assert_int_ge(log_fd = open(log_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), 0);
  parse_options(&opts, extra);

  dup2(log_fd, 2);
  out->started = fp_realtime_ms();
  out->rc = fp_session_run(&opts, &fake_transport, &job);
  out->ended = fp_realtime_ms();
  dup2(saved_stderr, 2);

  n = pread(log_fd, out->log, sizeof(out->log) - 1, 0);
  out->log[n > 0 ? n : 0] = '\0';
  read_state(&opts, &out->state);
  fp_options_free(&opts);
  close(log_fd);
  close(job.input_fd);
  close(saved_stderr);
}

/* The captured log has a line containing `format`, formatted. */
static void assert_logged(const outcome_t *out, const char *format, ...)
  __attribute__((format(printf, 2, 3)));
static void assert_logged(const outcome_t *out, const char *format, ...)
{
  char    expected[256];
  va_list ap;

  va_start(ap, format);
  vsnprintf(expected, sizeof(expected), format, ap);
  va_end(ap);
  ck_assert_msg(strstr(out->log, expected), "no \"%s\" in the log:\n%s", expected, out->log);
}

/* The fake printer accepted `len` bytes at `offset` that are `expected`. */
static void assert_got(size_t offset, const void *expected, size_t len)
{
  ck_assert_uint_le(offset + len, fake.got_len);
  ck_assert_mem_eq(fake.got + offset, expected, len);
}

/* The fake printer accepted `count` white (0x00) raster bytes at `offset`. */
static void assert_white(size_t offset, size_t count)
{
  ck_assert_uint_le(offset + count, fake.got_len);
  for (size_t i = 0; i < count; i++)
    ck_assert_msg(fake.got[offset + i] == 0x00, "byte %zu of the completion is %#x", i,
                  fake.got[offset + i]);
}

/* After the job's first CUT bytes, only the rest of the image in white, then the reset. */
static void assert_flushed_after_cut(void)
{
  ck_assert_uint_eq(fake.got_len, HEADER_BYTES + RASTER_BYTES + 2);
  assert_got(0, job_bytes(), CUT);
  assert_white(CUT, HEADER_BYTES + RASTER_BYTES - CUT);
  assert_got(HEADER_BYTES + RASTER_BYTES, RESET, 2);
}

/* A clean record of `accepted` job bytes; a quiet window of `idle_ms` from the start, or none. */
static void assert_clean_record(const outcome_t *out, uint64_t accepted, int idle_ms)
{
  ck_assert(!out->state.dirty);
  ck_assert_uint_eq(out->state.accepted, accepted);
  if (idle_ms)
    ck_assert_int_ge(out->state.quiet_until, out->started + idle_ms);
  else
    ck_assert_int_eq(out->state.quiet_until, 0);
}

/* The job followed by nothing else: the bytes, OK, a clean record of all of it. */
START_TEST(done_sends_the_job_and_nothing_else)
{
  outcome_t out;

  run_job("idle=0", JOB_BYTES, &out);
  ck_assert_int_eq(out.rc, CUPS_BACKEND_OK);
  ck_assert_uint_eq(fake.got_len, JOB_BYTES);
  assert_got(0, job_bytes(), JOB_BYTES);
  assert_clean_record(&out, JOB_BYTES, 0);
  assert_logged(&out, "INFO: Job sent: %zu bytes", (size_t)JOB_BYTES);
}
END_TEST

/* A job that ends inside its image: the rest of the image in white, then the reset. */
START_TEST(done_mid_command_completes_and_resets)
{
  outcome_t out;

  run_job("idle=0", CUT, &out);
  ck_assert_int_eq(out.rc, CUPS_BACKEND_OK);
  assert_flushed_after_cut();
  assert_clean_record(&out, CUT, 0);
  assert_logged(&out, "WARNING: The job ended in the middle of a command (%d bytes owed)",
                HEADER_BYTES + RASTER_BYTES - CUT);
}
END_TEST

/*
 * Canceled while the printer takes nothing: no further job byte, the
 * image completed in white, the reset, a clean record with the quiet
 * window, which the backend waits out before it returns 0.
 */
START_TEST(canceled_completes_resets_and_holds_quiet)
{
  outcome_t out;

  stop_at_cut(FAKE_CANCEL);
  run_job("idle=150", JOB_BYTES, &out);
  ck_assert_int_eq(out.rc, CUPS_BACKEND_OK);
  assert_flushed_after_cut();
  ck_assert_int_eq(fake.opens, 1);
  assert_clean_record(&out, CUT, 150);
  ck_assert_int_ge(out.ended, out.state.quiet_until);
  assert_logged(&out, "INFO: Job canceled after %d bytes reached the printer", CUT);
}
END_TEST

/*
 * The connection breaks mid-image: the printer goes offline, the backend
 * reconnects, completes and resets on the new connection, arms the quiet
 * window and exits 1 for the queue's error policy.
 */
START_TEST(failed_write_reconnects_flushes_and_fails_the_job)
{
  outcome_t out;

  stop_at_cut(FAKE_BREAK);
  run_job("idle=150&retries=1", JOB_BYTES, &out);
  ck_assert_int_eq(out.rc, CUPS_BACKEND_FAILED);
  ck_assert_int_eq(fake.opens, 2);
  ck_assert_uint_eq(fake.second_start, CUT);
  assert_flushed_after_cut();
  assert_clean_record(&out, CUT, 150);
  assert_logged(&out, "STATE: +offline-report");
  assert_logged(&out, "ERROR: Printer failed after %d bytes of the job", CUT);
}
END_TEST

/* The printer does not come back: exit 1, and the journal keeps the debt for the next job. */
START_TEST(failed_write_unreachable_journals_the_debt)
{
  outcome_t out;

  stop_at_cut(FAKE_BREAK);
  fake.refuse_reopen = true;
  run_job("idle=150&retries=0", JOB_BYTES, &out);
  ck_assert_int_eq(out.rc, CUPS_BACKEND_FAILED);
  ck_assert_uint_eq(fake.got_len, CUT);
  assert_got(0, job_bytes(), CUT);
  ck_assert(out.state.dirty);
  ck_assert_int_eq(out.state.job_id, JOB_ID);
  ck_assert_str_eq(out.state.language, "escpos");
  ck_assert_uint_eq(out.state.accepted, CUT);
  ck_assert_uint_eq(fp_completion_size(&out.state.owed), HEADER_BYTES + RASTER_BYTES - CUT);
  assert_logged(&out, "ERROR: Printer still unreachable");
}
END_TEST

/* A debt journaled by an earlier job is paid, completion then reset, before this job's first byte. */
START_TEST(recovery_pays_a_journaled_debt_first)
{
  fp_options_t      opts;
  fp_device_state_t left = { .dirty = true, .job_id = 41, .pid = 1, .accepted = CUT,
                             .language = "escpos" };
  fp_tracker_t      tracker;
  outcome_t         out;
  size_t            debt = HEADER_BYTES + RASTER_BYTES - CUT;

  fp_tracker_init(&tracker, fp_language_find("escpos"));
  fp_tracker_feed(&tracker, job_bytes(), CUT);
  ck_assert(fp_tracker_completion(&tracker, &left.owed));
  parse_options(&opts, "idle=0");
  write_state(&opts, &left);
  fp_options_free(&opts);

  run_job("idle=0", JOB_BYTES, &out);
  ck_assert_int_eq(out.rc, CUPS_BACKEND_OK);
  ck_assert_uint_eq(fake.got_len, debt + 2 + JOB_BYTES);
  assert_white(0, debt);
  assert_got(debt, RESET, 2);
  assert_got(debt + 2, job_bytes(), JOB_BYTES);
  assert_clean_record(&out, JOB_BYTES, 0);
  assert_logged(&out, "INFO: Job 41 was interrupted after %d bytes without a flush", CUT);
}
END_TEST

int main(void)
{
  Suite *suite = suite_create("session");
  TCase *tc = tcase_create("endings");

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, done_sends_the_job_and_nothing_else);
  tcase_add_test(tc, done_mid_command_completes_and_resets);
  tcase_add_test(tc, canceled_completes_resets_and_holds_quiet);
  tcase_add_test(tc, failed_write_reconnects_flushes_and_fails_the_job);
  tcase_add_test(tc, failed_write_unreachable_journals_the_debt);
  tcase_add_test(tc, recovery_pays_a_journaled_debt_first);
  suite_add_tcase(suite, tc);
  return fp_run_suite(suite);
}

/*
 * Unit tests for the job API (lib/job.c) and its Win32 shapes (lib/win32.c),
 * against a fake backend thread on the other end of a data pipe and a side
 * channel socketpair: flush preconditions, cancellation before and during a
 * blocked write, a closed pipe, both flush routes, backend errors, timeouts.
 */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check-main.h"
#include "clock.h"
#include "flushprinter-win32.h"
#include "flushprinter.h"
#include "job-private.h"
#include "sidechannel.h"

#define BACKEND_URI  "flushprinter+socket://127.0.0.1:9100/"
#define STOCK_URI    "socket://127.0.0.1:9100/"
#define BIG_FLUSH    200000 /* more than three FLUSH DATA messages */
#define BIG_WRITE    (1024 * 1024)
#define CANCEL_AFTER 150 /* ms before the SIGTERM of the blocked-write tests */

/* How the fake backend answers the side channel. */
typedef enum fake_mode_e
{
  FAKE_ANSWER,    /* answer every request */
  FAKE_SILENT,    /* read requests, never answer */
  FAKE_REFUSE,    /* answer BEGIN with `refusal` as the status byte */
  FAKE_SHORT_END  /* answer END with only the status byte */
} fake_mode_t;

/* The fake backend: its behaviour, and what it saw (read only after fake_stop()). */
typedef struct fake_backend_s
{
  int            data_fd;        /* read end of the job data pipe, -1 for none */
  int            side_fd;        /* backend end of the side channel */
  fake_mode_t    mode;
  uint8_t        refusal;        /* FAKE_REFUSE: negated fp_status_t */
  uint64_t       withheld;       /* END reports this many bytes fewer than received */
  uint64_t       padding;        /* END reports this padding */
  uint32_t       idle_ms;        /* END reports this quiet window */
  pthread_t      thread;
  fp_sc_reader_t reader;
  fp_sc_message_t request;
  uint8_t       *inband;         /* job data read from the pipe */
  size_t         inband_len;
  uint8_t       *flushed;        /* FLUSH DATA payload, in order */
  size_t         flushed_len;
  int            begins, datas, ends, soft_resets, others;
  uint32_t       begin_idle, begin_total;
  size_t         inband_at_soft_reset; /* in-band bytes seen when SOFT_RESET arrived */
} fake_backend_t;

/* A job wired to a fake backend: job-side and backend-side descriptors. */
typedef struct rig_s
{
  fp_job_t      *job;
  int            data[2];  /* pipe: [0] backend reads, [1] job writes */
  int            side[2];  /* socketpair: [0] job, [1] backend */
  fake_backend_t backend;
  bool           running;
} rig_t;

static rig_t rig;

/* Close `*fd` if it is open and mark it closed. */
static void close_fd(int *fd)
{
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

/* Append `len` bytes to a growing buffer. */
static void append(uint8_t **buf, size_t *have, const void *data, size_t len)
{
  *buf = realloc(*buf, *have + len + 1);
  ck_assert_ptr_nonnull(*buf);
  memcpy(*buf + *have, data, len);
  *have += len;
}

/* Fill `buf` with a pattern whose every position is recognisable. */
static void fill_pattern(uint8_t *buf, size_t len)
{
  for (size_t i = 0; i < len; i++)
    buf[i] = (uint8_t)(i * 7 + i / 251);
}

/* Answer one FLUSH request the way the configured mode says. */
static void fake_flush(fake_backend_t *fb, const fp_sc_message_t *req)
{
  uint8_t reply[21] = {0};
  size_t reply_len = 1;

  if (req->len == 0)
    return;
  switch (req->data[0])
  {
    case FP_SC_FLUSH_BEGIN:
      fb->begins++;
      fb->begin_idle = fp_get_be32(req->data + 1);
      fb->begin_total = fp_get_be32(req->data + 5);
      reply[0] = fb->mode == FAKE_REFUSE ? fb->refusal : 0;
      break;
    case FP_SC_FLUSH_DATA:
      fb->datas++;
      append(&fb->flushed, &fb->flushed_len, req->data + 1, req->len - 1u);
      break;
    case FP_SC_FLUSH_END:
      fb->ends++;
      fp_put_be64(reply + 1, fb->flushed_len - fb->withheld);
      fp_put_be64(reply + 9, fb->padding);
      fp_put_be32(reply + 17, fb->idle_ms);
      reply_len = fb->mode == FAKE_SHORT_END ? 1 : sizeof(reply);
      break;
  }
  if (fb->mode != FAKE_SILENT)
    fp_sc_send(fb->side_fd, FP_SC_CMD_FLUSH, FP_SC_STATUS_OK, reply, reply_len, 1000);
}

/* Serve what arrived on the side channel; false once the job closed it. */
static bool fake_serve_side(fake_backend_t *fb)
{
  int filled = fp_sc_reader_fill(&fb->reader, fb->side_fd);

  while (fp_sc_reader_next(&fb->reader, &fb->request))
  {
    if (fb->request.command == FP_SC_CMD_FLUSH)
      fake_flush(fb, &fb->request);
    else if (fb->request.command == FP_SC_CMD_SOFT_RESET)
    {
      /* Like the stock network backends. */
      fb->soft_resets++;
      fb->inband_at_soft_reset = fb->inband_len;
      fp_sc_send(fb->side_fd, FP_SC_CMD_SOFT_RESET, FP_SC_STATUS_NOT_IMPLEMENTED, NULL, 0, 1000);
    }
    else
      fb->others++;
  }
  return filled == FP_OK;
}

/* Read what arrived on the data pipe; false at end of file. */
static bool fake_read_data(fake_backend_t *fb)
{
  uint8_t buf[65536];
  ssize_t n = read(fb->data_fd, buf, sizeof(buf));

  if (n > 0)
    append(&fb->inband, &fb->inband_len, buf, (size_t)n);
  return n > 0 || (n < 0 && errno == EINTR);
}

/* Fake backend thread: serve both channels until the job closes them. */
static void *fake_run(void *arg)
{
  fake_backend_t *fb = arg;
  bool data_open = fb->data_fd >= 0, side_open = true;

  while (data_open || side_open)
  {
    struct pollfd pfd[2] = {{.fd = data_open ? fb->data_fd : -1, .events = POLLIN},
                            {.fd = side_open ? fb->side_fd : -1, .events = POLLIN}};

    if (poll(pfd, 2, 10000) <= 0)
      break; /* a hung test: give up rather than block forever */
    if (pfd[0].revents)
      data_open = fake_read_data(fb);
    if (pfd[1].revents)
      side_open = fake_serve_side(fb);
  }
  return NULL;
}

/* Start `run` on a thread that cannot take SIGTERM (so the test thread takes it). */
static pthread_t spawn_without_sigterm(void *(*run)(void *), void *arg)
{
  sigset_t block, saved;
  pthread_t thread;

  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &saved);
  ck_assert_int_eq(pthread_create(&thread, NULL, run, arg), 0);
  pthread_sigmask(SIG_SETMASK, &saved, NULL);
  return thread;
}

/* Start the fake backend thread. */
static void fake_start(void)
{
  rig.backend.thread = spawn_without_sigterm(fake_run, &rig.backend);
  rig.running = true;
}

/* Close the job's ends and wait for the fake backend to finish. */
static void fake_stop(void)
{
  close_fd(&rig.data[1]);
  close_fd(&rig.side[0]);
  if (rig.running)
    pthread_join(rig.backend.thread, NULL);
  rig.running = false;
}

/* Open a job on fresh channels for `uri` with `timeout_ms`; the backend is not started. */
static void rig_open(const char *uri, int timeout_ms)
{
  fp_job_config_t config = {0};

  memset(&rig, 0, sizeof(rig));
  ck_assert_int_eq(pipe2(rig.data, O_CLOEXEC), 0);
  ck_assert_int_eq(socketpair(AF_LOCAL, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, rig.side),
                   0);
  rig.backend.data_fd = rig.data[0];
  rig.backend.side_fd = rig.side[1];
  rig.backend.idle_ms = 4321;
  config.data_fd = rig.data[1];
  config.side_fd = rig.side[0];
  config.device_uri = uri;
  config.timeout_ms = timeout_ms;
  ck_assert_int_eq(fp_job_open(&config, &rig.job), FP_OK);
}

/* Fixture: a SIGPIPE must kill the test, and nothing is open yet. */
static void setup(void)
{
  signal(SIGPIPE, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  memset(&rig, 0, sizeof(rig));
  rig.data[0] = rig.data[1] = rig.side[0] = rig.side[1] = -1;
}

/* Fixture: stop the backend, close the job and every descriptor. */
static void teardown(void)
{
  fake_stop();
  fp_job_close(rig.job);
  close_fd(&rig.data[0]);
  close_fd(&rig.side[1]);
  free(rig.backend.inband);
  free(rig.backend.flushed);
}

/* Make the job eligible for a flush: cancel it and let a write fail. */
static void fail_a_write(void)
{
  size_t written = 99;

  fp_job_cancel(rig.job);
  ck_assert_int_eq(fp_job_write(rig.job, "x", 1, &written), FP_ERROR_CANCELED);
  ck_assert_uint_eq(written, 0);
}

/* Bytes waiting in the data pipe. */
static int pipe_backlog(void)
{
  int queued = -1;

  ck_assert_int_eq(ioctl(rig.data[0], FIONREAD, &queued), 0);
  return queued;
}

/* Helper thread: SIGTERM to the whole process (as cupsd does) after CANCEL_AFTER ms. */
static void *delayed_sigterm(void *arg)
{
  struct timespec delay = {0, CANCEL_AFTER * 1000000L};

  (void)arg;
  nanosleep(&delay, NULL);
  kill(getpid(), SIGTERM);
  return NULL;
}

/* Check that exactly `written` bytes of `sent` sit in the pipe, in order. */
static void expect_pipe_holds(const uint8_t *sent, size_t written)
{
  uint8_t *got = malloc(written + 1);
  size_t have = 0;

  ck_assert_ptr_nonnull(got);
  ck_assert_int_eq(pipe_backlog(), (int)written);
  while (have < written)
  {
    ssize_t n = read(rig.data[0], got + have, written - have);

    ck_assert_int_gt(n, 0);
    have += (size_t)n;
  }
  ck_assert_mem_eq(got, sent, written);
  free(got);
}

/* ------------------------------------------------------------ open, URI */

/* Zeroed or NULL configuration means stdout, descriptor 4, DEVICE_URI, 30 s. */
START_TEST(test_open_defaults)
{
  fp_job_t *job = NULL;

  setenv("DEVICE_URI", BACKEND_URI, 1);
  ck_assert_int_eq(fp_job_open(NULL, &job), FP_OK);
  ck_assert_int_eq(job->data_fd, 1);
  ck_assert_int_eq(job->side_fd, 4);
  ck_assert_int_eq(job->timeout_ms, 30000);
  ck_assert_str_eq(job->device_uri, BACKEND_URI);
  ck_assert_str_eq(fp_job_message(job), "");
  ck_assert_int_eq(fp_job_canceled(job), 0);
  fp_job_close(job);

  ck_assert_int_eq(fp_job_open(NULL, NULL), FP_ERROR_INVALID_ARGUMENT);
  ck_assert_int_eq(fp_job_open(&(fp_job_config_t){.data_fd = -1}, &job), FP_ERROR_INVALID_ARGUMENT);
  ck_assert_ptr_null(job);
  unsetenv("DEVICE_URI");
}
END_TEST

/* Only flushprinter+SCHEME URIs (any case) name our backend; NULL reads DEVICE_URI. */
START_TEST(test_uri_is_flushprinter)
{
  ck_assert_int_ne(fp_uri_is_flushprinter("flushprinter+socket://h:9100/"), 0);
  ck_assert_int_ne(fp_uri_is_flushprinter("FlushPrinter+usb://Make/Model?serial=1"), 0);
  ck_assert_int_ne(fp_uri_is_flushprinter("flushprinter+file:/dev/usb/lp0"), 0);
  ck_assert_int_eq(fp_uri_is_flushprinter("socket://h:9100/"), 0);
  ck_assert_int_eq(fp_uri_is_flushprinter("flushprinter+"), 0);
  ck_assert_int_eq(fp_uri_is_flushprinter("flushprinter://h/"), 0);
  ck_assert_int_eq(fp_uri_is_flushprinter(""), 0);

  unsetenv("DEVICE_URI");
  ck_assert_int_eq(fp_uri_is_flushprinter(NULL), 0);
  setenv("DEVICE_URI", "flushprinter+socket://h/", 1);
  ck_assert_int_ne(fp_uri_is_flushprinter(NULL), 0);
  setenv("DEVICE_URI", "usb://Make/Model", 1);
  ck_assert_int_eq(fp_uri_is_flushprinter(NULL), 0);
  unsetenv("DEVICE_URI");
}
END_TEST

/* ------------------------------------------------------------ writes */

/* A large write reaches the backend whole; the descriptor's flags are left as they were. */
START_TEST(test_write_complete)
{
  static uint8_t data[BIG_WRITE];
  size_t written = 0;
  int flags;

  rig_open(STOCK_URI, 0);
  fake_start();
  fill_pattern(data, sizeof(data));
  flags = fcntl(rig.data[1], F_GETFL);
  ck_assert_int_eq(fp_job_write(rig.job, data, sizeof(data), &written), FP_OK);
  ck_assert_uint_eq(written, sizeof(data));
  ck_assert_int_eq(fcntl(rig.data[1], F_GETFL), flags);
  ck_assert_int_eq(fp_job_write(rig.job, NULL, 0, NULL), FP_OK);
  fake_stop();
  ck_assert_uint_eq(rig.backend.inband_len, sizeof(data));
  ck_assert_mem_eq(rig.backend.inband, data, sizeof(data));
  ck_assert_str_eq(fp_job_message(rig.job), "");
}
END_TEST

/* A write after fp_job_cancel() sends nothing and fails with CANCELED. */
START_TEST(test_write_after_cancel)
{
  size_t written = 99;

  rig_open(STOCK_URI, 0);
  fp_job_cancel(rig.job);
  ck_assert_int_ne(fp_job_canceled(rig.job), 0);
  ck_assert_int_eq(fp_job_write(rig.job, "hello", 5, &written), FP_ERROR_CANCELED);
  ck_assert_uint_eq(written, 0);
  ck_assert_int_eq(pipe_backlog(), 0);
  ck_assert_int_eq(fp_job_write(rig.job, NULL, 0, NULL), FP_ERROR_CANCELED);
  ck_assert_ptr_nonnull(strstr(fp_job_message(rig.job), "canceled"));
}
END_TEST

/* A write to a pipe nobody reads any more fails with BACKEND_GONE, without SIGPIPE. */
START_TEST(test_write_closed_pipe)
{
  sigset_t pending;
  size_t written = 99;

  rig_open(STOCK_URI, 0);
  close_fd(&rig.data[0]);
  ck_assert_int_eq(fp_job_write(rig.job, "hello", 5, &written), FP_ERROR_BACKEND_GONE);
  ck_assert_uint_eq(written, 0);
  sigpending(&pending);
  ck_assert_int_eq(sigismember(&pending, SIGPIPE), 0);
  ck_assert_ptr_nonnull(strstr(fp_job_message(rig.job), "gone"));
}
END_TEST

/* NULL with a length is refused and does not make the job eligible for a flush. */
START_TEST(test_write_null_buffer)
{
  rig_open(STOCK_URI, 0);
  ck_assert_int_eq(fp_job_write(rig.job, NULL, 3, NULL), FP_ERROR_INVALID_ARGUMENT);
  ck_assert_int_eq(fp_job_flush(rig.job, NULL, 0, 0, NULL), FP_ERROR_NO_FAILED_WRITE);
  ck_assert_int_eq(fp_job_write(NULL, "x", 1, NULL), FP_ERROR_INVALID_ARGUMENT);
}
END_TEST

/* SIGTERM while the pipe is full stops the write with the exact count handed over. */
START_TEST(test_cancel_during_blocked_write)
{
  static uint8_t data[BIG_WRITE];
  struct sigaction now;
  size_t written = 0;
  pthread_t killer;

  rig_open(STOCK_URI, 0);
  fill_pattern(data, sizeof(data));
  ck_assert_int_eq(fp_job_catch_sigterm(rig.job), FP_OK);
  killer = spawn_without_sigterm(delayed_sigterm, NULL);
  ck_assert_int_eq(fp_job_write(rig.job, data, sizeof(data), &written), FP_ERROR_CANCELED);
  pthread_join(killer, NULL);
  ck_assert_int_ne(fp_job_canceled(rig.job), 0);
  ck_assert_uint_gt(written, 0);
  ck_assert_uint_lt(written, sizeof(data));
  expect_pipe_holds(data, written);

  /* Closing the job gives SIGTERM back to its previous action. */
  fp_job_close(rig.job);
  rig.job = NULL;
  sigaction(SIGTERM, NULL, &now);
  ck_assert_ptr_eq((void *)now.sa_handler, (void *)SIG_DFL);
}
END_TEST

/* ------------------------------------------------------------ flush preconditions */

/* A flush before any failed write is refused and sends nothing. */
START_TEST(test_flush_needs_failed_write)
{
  fp_flush_result_t result;

  rig_open(BACKEND_URI, 0);
  fake_start();
  ck_assert_int_eq(fp_job_flush(rig.job, "\x1b@", 2, 100, &result), FP_ERROR_NO_FAILED_WRITE);
  ck_assert_str_eq(fp_job_message(rig.job), "flush refused: no write on this job has failed");
  ck_assert_uint_eq(result.written, 0);
  fake_stop();
  ck_assert_int_eq(rig.backend.begins + rig.backend.soft_resets + rig.backend.others, 0);
  ck_assert_uint_eq(rig.backend.inband_len, 0);
}
END_TEST

/* NULL with a length is refused without using up the flush; NULL/0 is then allowed. */
START_TEST(test_flush_null_buffer)
{
  fp_flush_result_t result;

  rig_open(BACKEND_URI, 2000);
  fake_start();
  fail_a_write();
  ck_assert_int_eq(fp_job_flush(rig.job, NULL, 5, 0, &result), FP_ERROR_INVALID_ARGUMENT);
  ck_assert_int_eq(fp_job_flush(rig.job, NULL, 0, 0, &result), FP_OK);
  ck_assert_int_eq(result.route, FP_ROUTE_BACKEND);
  ck_assert_uint_eq(result.written, 0);
  fake_stop();
  ck_assert_int_eq(rig.backend.begins, 1);
  ck_assert_uint_eq(rig.backend.begin_total, 0);
  ck_assert_int_eq(rig.backend.datas, 0);
  ck_assert_int_eq(rig.backend.ends, 1);
}
END_TEST

/* ------------------------------------------------------------ route 1: the backend */

/* A 200 kB buffer arrives whole and in order; the counts are the backend's. */
START_TEST(test_flush_backend_large)
{
  static uint8_t reset[BIG_FLUSH];
  fp_flush_result_t result;

  rig_open(BACKEND_URI, 5000);
  rig.backend.withheld = 7;
  rig.backend.padding = 3;
  fake_start();
  fill_pattern(reset, sizeof(reset));
  fail_a_write();
  ck_assert_int_eq(fp_job_flush(rig.job, reset, sizeof(reset), 1500, &result), FP_OK);
  ck_assert_int_eq(result.route, FP_ROUTE_BACKEND);
  ck_assert_uint_eq(result.written, sizeof(reset) - 7);
  ck_assert_uint_eq(result.padding, 3);
  ck_assert_uint_eq(result.idle_ms, 4321);

  /* Only one flush per job, and the refused second one sends nothing. */
  ck_assert_int_eq(fp_job_flush(rig.job, reset, 10, 0, &result), FP_ERROR_ALREADY_FLUSHED);
  ck_assert_str_eq(fp_job_message(rig.job), "flush refused: this job was flushed already");

  fake_stop();
  ck_assert_int_eq(rig.backend.begins, 1);
  ck_assert_uint_eq(rig.backend.begin_idle, 1500);
  ck_assert_uint_eq(rig.backend.begin_total, sizeof(reset));
  ck_assert_int_eq(rig.backend.datas, (BIG_FLUSH + FP_SC_FLUSH_CHUNK - 1) / FP_SC_FLUSH_CHUNK);
  ck_assert_int_eq(rig.backend.ends, 1);
  ck_assert_uint_eq(rig.backend.flushed_len, sizeof(reset));
  ck_assert_mem_eq(rig.backend.flushed, reset, sizeof(reset));
  ck_assert_uint_eq(rig.backend.inband_len, 0);
}
END_TEST

/* A status in the backend's reply is the flush's result, and the attempt counts. */
START_TEST(test_flush_backend_refuses)
{
  fp_flush_result_t result;

  rig_open(BACKEND_URI, 2000);
  rig.backend.mode = FAKE_REFUSE;
  rig.backend.refusal = (uint8_t)-FP_ERROR_BUSY;
  fake_start();
  fail_a_write();
  ck_assert_int_eq(fp_job_flush(rig.job, "\x1b@", 2, 100, &result), FP_ERROR_BUSY);
  ck_assert_ptr_nonnull(strstr(fp_job_message(rig.job), "BEGIN"));
  ck_assert_int_eq(fp_job_flush(rig.job, "\x1b@", 2, 100, &result), FP_ERROR_ALREADY_FLUSHED);
  fake_stop();
  ck_assert_int_eq(rig.backend.begins, 1);
  ck_assert_int_eq(rig.backend.datas, 0);
}
END_TEST

/* An END reply without the counts is a protocol error. */
START_TEST(test_flush_backend_short_reply)
{
  rig_open(BACKEND_URI, 2000);
  rig.backend.mode = FAKE_SHORT_END;
  fake_start();
  fail_a_write();
  ck_assert_int_eq(fp_job_flush(rig.job, "\x1b@", 2, 100, NULL), FP_ERROR_PROTOCOL);
}
END_TEST

/* A backend that never answers makes the flush time out, within the job's timeout. */
START_TEST(test_flush_backend_silent)
{
  int64_t start, elapsed;

  rig_open(BACKEND_URI, 300);
  rig.backend.mode = FAKE_SILENT;
  fake_start();
  fail_a_write();
  start = fp_monotonic_ms();
  ck_assert_int_eq(fp_job_flush(rig.job, "\x1b@", 2, 100, NULL), FP_ERROR_TIMEOUT);
  elapsed = fp_monotonic_ms() - start;
  ck_assert_int_ge(elapsed, 290);
  ck_assert_int_lt(elapsed, 2000);
  ck_assert_ptr_nonnull(strstr(fp_job_message(rig.job), "Timed out"));
}
END_TEST

/* A closed side channel means the backend is gone. */
START_TEST(test_flush_backend_gone)
{
  rig_open(BACKEND_URI, 2000);
  close_fd(&rig.side[1]);
  fail_a_write();
  ck_assert_int_eq(fp_job_flush(rig.job, "\x1b@", 2, 100, NULL), FP_ERROR_BACKEND_GONE);
}
END_TEST

/* ------------------------------------------------------------ route 2: stock backends */

/* SOFT_RESET first, then the buffer in band, then the quiet window in this process. */
START_TEST(test_flush_soft_reset)
{
  static const uint8_t reset[] = "\x1b@reset-bytes-in-band";
  fp_flush_result_t result;
  int64_t start;

  rig_open(STOCK_URI, 2000);
  fake_start();
  fail_a_write();
  start = fp_monotonic_ms();
  ck_assert_int_eq(fp_job_flush(rig.job, reset, sizeof(reset), 120, &result), FP_OK);
  ck_assert_int_ge(fp_monotonic_ms() - start, 120);
  ck_assert_int_eq(result.route, FP_ROUTE_SOFT_RESET);
  ck_assert_uint_eq(result.written, sizeof(reset));
  ck_assert_uint_eq(result.padding, 0);
  ck_assert_uint_eq(result.idle_ms, 120);
  ck_assert_ptr_nonnull(strstr(fp_job_message(rig.job), "does not implement SOFT_RESET"));
  fake_stop();
  ck_assert_int_eq(rig.backend.soft_resets, 1);
  ck_assert_uint_eq(rig.backend.inband_at_soft_reset, 0);
  ck_assert_int_eq(rig.backend.begins, 0);
  ck_assert_uint_eq(rig.backend.inband_len, sizeof(reset));
  ck_assert_mem_eq(rig.backend.inband, reset, sizeof(reset));
}
END_TEST

/* Without a side channel the buffer still goes in band. */
START_TEST(test_flush_soft_reset_no_side_channel)
{
  fp_flush_result_t result;

  rig_open(STOCK_URI, 1000);
  close_fd(&rig.side[1]);
  rig.backend.side_fd = -1;
  fail_a_write();
  ck_assert_int_eq(fp_job_flush(rig.job, "\x1b@", 2, 0, &result), FP_OK);
  ck_assert_uint_eq(result.written, 2);
  ck_assert_ptr_nonnull(strstr(fp_job_message(rig.job), "SOFT_RESET failed"));
  expect_pipe_holds((const uint8_t *)"\x1b@", 2);
}
END_TEST

/* A pipe that stays full makes the in-band flush time out. */
START_TEST(test_flush_soft_reset_timeout)
{
  static uint8_t reset[BIG_WRITE];
  fp_flush_result_t result;

  rig_open(STOCK_URI, 300);
  fail_a_write();
  ck_assert_int_eq(fp_job_flush(rig.job, reset, sizeof(reset), 0, &result), FP_ERROR_TIMEOUT);
  ck_assert_int_eq(result.route, FP_ROUTE_SOFT_RESET);
  ck_assert_uint_gt(result.written, 0);
  ck_assert_int_eq(pipe_backlog(), (int)result.written);
}
END_TEST

/* ------------------------------------------------------------ Win32 shapes */

/* FlushPrinter before a failed write: FALSE with ERROR_INVALID_HANDLE (MS-RPRN). */
START_TEST(test_win32_flush_refused)
{
  DWORD written = 99;

  rig_open(BACKEND_URI, 0);
  ck_assert_int_eq(FlushPrinter(rig.job, "\x1b@", 2, &written, 0), FALSE);
  ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
  ck_assert_uint_eq(written, 0);
  ck_assert_int_eq(FlushPrinter(NULL, NULL, 0, &written, 0), FALSE);
  ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
}
END_TEST

/* WritePrinter after a cancel: ERROR_PRINT_CANCELLED; then FlushPrinter once. */
START_TEST(test_win32_cancel_then_flush)
{
  DWORD written = 99;

  rig_open(BACKEND_URI, 2000);
  rig.backend.withheld = 1;
  fake_start();
  ck_assert_int_eq(WritePrinter(rig.job, "abc", 3, &written), TRUE);
  ck_assert_uint_eq(written, 3);
  fp_job_cancel(rig.job);
  ck_assert_int_eq(WritePrinter(rig.job, "def", 3, &written), FALSE);
  ck_assert_uint_eq(GetLastError(), ERROR_PRINT_CANCELLED);
  ck_assert_uint_eq(written, 0);

  ck_assert_int_eq(FlushPrinter(rig.job, NULL, 4, &written, 0), FALSE);
  ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
  ck_assert_int_eq(FlushPrinter(rig.job, "\x1b@\x1b@", 4, &written, 250), TRUE);
  ck_assert_uint_eq(written, 3);
  ck_assert_int_eq(FlushPrinter(rig.job, "\x1b@", 2, &written, 0), FALSE);
  ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
  fake_stop();
  ck_assert_uint_eq(rig.backend.inband_len, 3);
  ck_assert_uint_eq(rig.backend.begin_idle, 250);
}
END_TEST

/* OpenPrinterA uses the CUPS defaults and catches SIGTERM: a cancel mid-write is exact. */
START_TEST(test_win32_open_and_cancel_mid_write)
{
  static uint8_t data[BIG_WRITE];
  struct sigaction now;
  HANDLE printer = NULL;
  DWORD written = 0;
  pthread_t killer;
  int saved_stdout = dup(STDOUT_FILENO);

  rig_open(STOCK_URI, 0);
  fill_pattern(data, sizeof(data));
  setenv("DEVICE_URI", STOCK_URI, 1);
  ck_assert_int_ge(dup2(rig.data[1], STDOUT_FILENO), 0);
  ck_assert_int_eq(OpenPrinterA("receipt", &printer, NULL), TRUE);
  ck_assert_ptr_nonnull(printer);
  ck_assert_int_eq(((fp_job_t *)printer)->data_fd, STDOUT_FILENO);
  ck_assert_int_eq(((fp_job_t *)printer)->side_fd, 4);
  ck_assert_str_eq(((fp_job_t *)printer)->device_uri, STOCK_URI);

  killer = spawn_without_sigterm(delayed_sigterm, NULL);
  ck_assert_int_eq(WritePrinter(printer, data, sizeof(data), &written), FALSE);
  pthread_join(killer, NULL);
  ck_assert_uint_eq(GetLastError(), ERROR_PRINT_CANCELLED);
  ck_assert_uint_gt(written, 0);
  ck_assert_uint_lt(written, sizeof(data));
  ck_assert_int_eq(ClosePrinter(printer), TRUE);
  dup2(saved_stdout, STDOUT_FILENO);
  close(saved_stdout);
  unsetenv("DEVICE_URI");

  expect_pipe_holds(data, written);
  sigaction(SIGTERM, NULL, &now);
  ck_assert_ptr_eq((void *)now.sa_handler, (void *)SIG_DFL);
}
END_TEST

/* Argument errors and the status-to-error table. */
START_TEST(test_win32_errors)
{
  DWORD written = 99;

  ck_assert_int_eq(OpenPrinterA("x", NULL, NULL), FALSE);
  ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
  ck_assert_int_eq(ClosePrinter(NULL), FALSE);
  ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
  ck_assert_int_eq(WritePrinter(NULL, "x", 1, &written), FALSE);
  ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
  ck_assert_uint_eq(written, 0);

  ck_assert_uint_eq(fp_win32_error_from_status(FP_OK), ERROR_SUCCESS);
  ck_assert_uint_eq(fp_win32_error_from_status(FP_ERROR_INVALID_ARGUMENT), ERROR_INVALID_PARAMETER);
  ck_assert_uint_eq(fp_win32_error_from_status(FP_ERROR_NO_FAILED_WRITE), ERROR_INVALID_HANDLE);
  ck_assert_uint_eq(fp_win32_error_from_status(FP_ERROR_ALREADY_FLUSHED), ERROR_INVALID_HANDLE);
  ck_assert_uint_eq(fp_win32_error_from_status(FP_ERROR_CANCELED), ERROR_PRINT_CANCELLED);
  ck_assert_uint_eq(fp_win32_error_from_status(FP_ERROR_IO), ERROR_WRITE_FAULT);
  ck_assert_uint_eq(fp_win32_error_from_status(FP_ERROR_TIMEOUT), ERROR_TIMEOUT);
  ck_assert_uint_eq(fp_win32_error_from_status(FP_ERROR_NO_MEMORY), ERROR_NOT_ENOUGH_MEMORY);
  ck_assert_uint_eq(fp_win32_error_from_status(FP_ERROR_NOT_SUPPORTED), ERROR_NOT_SUPPORTED);
  ck_assert_uint_eq(fp_win32_error_from_status(FP_ERROR_BACKEND_GONE), ERROR_WRITE_FAULT);
  ck_assert_uint_eq(fp_win32_error_from_status(FP_ERROR_BUSY), ERROR_BUSY);
}
END_TEST

/* The job suite. */
static Suite *job_suite(void)
{
  Suite *s = suite_create("job");
  TCase *basics = tcase_create("basics");
  TCase *writes = tcase_create("writes");
  TCase *flush = tcase_create("flush");
  TCase *win32 = tcase_create("win32");
  TCase *all[] = {basics, writes, flush, win32};

  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
  {
    tcase_add_checked_fixture(all[i], setup, teardown);
    tcase_set_timeout(all[i], 20);
    suite_add_tcase(s, all[i]);
  }
  tcase_add_test(basics, test_open_defaults);
  tcase_add_test(basics, test_uri_is_flushprinter);

  tcase_add_test(writes, test_write_complete);
  tcase_add_test(writes, test_write_after_cancel);
  tcase_add_test(writes, test_write_closed_pipe);
  tcase_add_test(writes, test_write_null_buffer);
  tcase_add_test(writes, test_cancel_during_blocked_write);

  tcase_add_test(flush, test_flush_needs_failed_write);
  tcase_add_test(flush, test_flush_null_buffer);
  tcase_add_test(flush, test_flush_backend_large);
  tcase_add_test(flush, test_flush_backend_refuses);
  tcase_add_test(flush, test_flush_backend_short_reply);
  tcase_add_test(flush, test_flush_backend_silent);
  tcase_add_test(flush, test_flush_backend_gone);
  tcase_add_test(flush, test_flush_soft_reset);
  tcase_add_test(flush, test_flush_soft_reset_no_side_channel);
  tcase_add_test(flush, test_flush_soft_reset_timeout);

  tcase_add_test(win32, test_win32_flush_refused);
  tcase_add_test(win32, test_win32_cancel_then_flush);
  tcase_add_test(win32, test_win32_open_and_cancel_mid_write);
  tcase_add_test(win32, test_win32_errors);
  return s;
}

/* Run the suite; exit status 0 only if every test passed. */
int main(void)
{
  return fp_run_suite(job_suite());
}

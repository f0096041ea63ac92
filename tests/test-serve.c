/*
 * Unit tests for the backend's side-channel server (backend/serve.c) against
 * a fake job: every standard request is answered from the job's operations,
 * a filter's FLUSH is reassembled and carried out once, only for a canceled
 * job, and never during the quiet window; a stale partial request gets
 * BAD_MESSAGE; a peer that never reads its replies is dropped.
 */

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../backend/serve.h"
#include "check-main.h"
#include "flushprinter.h"
#include "sidechannel.h"

/* The fake job the server asks. */
typedef struct fake_job_s
{
  bool     canceled, quiet, bidi, connected;
  uint8_t  state;
  int      drains, flushes, holds;
  uint8_t  reset[64];
  size_t   reset_len;
  int      idle_ms;
  bool     default_reset;
} fake_job_t;

/* Canceled, as the fake says. */
static bool fake_canceled(void *job, bool wait)
{
  return ((fake_job_t *)job)->canceled;
}

/* Quiet window running, as the fake says. */
static bool fake_quiet(void *job)
{
  return ((fake_job_t *)job)->quiet;
}

/* Counts DRAIN_OUTPUT. */
static int fake_drain(void *job)
{
  ((fake_job_t *)job)->drains++;
  return FP_OK;
}

/* Records a flush. */
static int fake_flush(void *job, const uint8_t *reset, size_t len, int idle_ms,
                      fp_flush_report_t *report)
{
  fake_job_t *j = job;

  j->flushes++;
  j->default_reset = reset == NULL;
  j->reset_len = len < sizeof(j->reset) ? len : sizeof(j->reset);
  if (reset)
    memcpy(j->reset, reset, j->reset_len);
  j->idle_ms = idle_ms;
  if (report)
  {
    report->written = len;
    report->padding = 77;
    report->idle_ms = idle_ms;
  }
  return FP_OK;
}

/* Counts the waits after SOFT_RESET. */
static void fake_hold(void *job)
{
  ((fake_job_t *)job)->holds++;
}

/* GET_BIDI from the fake. */
static bool fake_bidi(void *job)
{
  return ((fake_job_t *)job)->bidi;
}

/* A fixed device ID. */
static int fake_device_id(void *job, char *buf, size_t size)
{
  snprintf(buf, size, "MFG:Fake;MDL:Printer;CMD:ESC/POS;");
  return FP_OK;
}

/* GET_STATE from the fake. */
static uint8_t fake_state(void *job)
{
  return ((fake_job_t *)job)->state;
}

/* GET_CONNECTED from the fake. */
static bool fake_connected(void *job)
{
  return ((fake_job_t *)job)->connected;
}

static const fp_serve_ops_t fake_ops = {
  .canceled = fake_canceled, .quiet = fake_quiet, .drain_output = fake_drain,
  .flush = fake_flush, .hold_quiet = fake_hold, .bidirectional = fake_bidi,
  .device_id = fake_device_id, .state = fake_state, .connected = fake_connected,
};

/* A server on one end of a socketpair; `peer` is the filters' end. */
typedef struct rig_s
{
  fp_server_t   *server;
  int            peer;
  fp_sc_reader_t reader;
  fake_job_t     job;
} rig_t;

/* Set up a rig with a fresh fake job. */
static void rig_open(rig_t *r)
{
  int sv[2];

  memset(r, 0, sizeof(*r));
  ck_assert_int_eq(socketpair(AF_LOCAL, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  r->peer = sv[1];
  r->server = fp_server_new(sv[0], &fake_ops, &r->job);
  ck_assert_ptr_nonnull(r->server);
}

/* Tear a rig down. */
static void rig_close(rig_t *r)
{
  if (fp_server_fd(r->server) >= 0)
    close(fp_server_fd(r->server));
  fp_server_free(r->server);
  close(r->peer);
}

/* Send a request from the filters' end and let the server answer it. */
static void request(rig_t *r, uint8_t command, const void *data, size_t len)
{
  ck_assert_int_eq(fp_sc_send(r->peer, command, FP_SC_STATUS_NONE, data, len, 1000), FP_OK);
  fp_server_serve(r->server);
}

/* The next reply on the filters' end. */
static fp_sc_message_t reply(rig_t *r)
{
  fp_sc_message_t m;

  fp_sc_reader_fill(&r->reader, r->peer);
  ck_assert_msg(fp_sc_reader_next(&r->reader, &m), "no reply");
  return m;
}

START_TEST(standard_requests_are_answered_from_the_job)
{
  rig_t           r;
  fp_sc_message_t m;

  rig_open(&r);
  r.job.bidi = true;
  r.job.state = FP_SC_STATE_ONLINE | FP_SC_STATE_BUSY;
  r.job.connected = true;
  request(&r, FP_SC_CMD_GET_BIDI, NULL, 0);
  m = reply(&r);
  ck_assert_uint_eq(m.command, FP_SC_CMD_GET_BIDI);
  ck_assert_uint_eq(m.len, 1);
  ck_assert_uint_eq(m.data[0], 1);
  request(&r, FP_SC_CMD_GET_STATE, NULL, 0);
  m = reply(&r);
  ck_assert_uint_eq(m.data[0], FP_SC_STATE_ONLINE | FP_SC_STATE_BUSY);
  request(&r, FP_SC_CMD_GET_CONNECTED, NULL, 0);
  ck_assert_uint_eq(reply(&r).data[0], 1);
  request(&r, FP_SC_CMD_GET_DEVICE_ID, NULL, 0);
  m = reply(&r);
  ck_assert_uint_eq(m.status, FP_SC_STATUS_OK);
  ck_assert_int_eq(memcmp(m.data, "MFG:Fake;", 9), 0);
  request(&r, FP_SC_CMD_DRAIN_OUTPUT, NULL, 0);
  ck_assert_uint_eq(reply(&r).status, FP_SC_STATUS_OK);
  ck_assert_int_eq(r.job.drains, 1);
  request(&r, FP_SC_CMD_SNMP_GET, "x", 1);
  ck_assert_uint_eq(reply(&r).status, FP_SC_STATUS_NOT_IMPLEMENTED);
  request(&r, 200, NULL, 0);
  ck_assert_uint_eq(reply(&r).status, FP_SC_STATUS_BAD_MESSAGE);
  rig_close(&r);
}
END_TEST

START_TEST(soft_reset_flushes_with_the_queue_defaults_and_holds_quiet)
{
  rig_t r;

  rig_open(&r);
  request(&r, FP_SC_CMD_SOFT_RESET, NULL, 0);
  ck_assert_uint_eq(reply(&r).status, FP_SC_STATUS_OK);
  ck_assert_int_eq(r.job.flushes, 1);
  ck_assert(r.job.default_reset);
  ck_assert_int_eq(r.job.idle_ms, -1);
  ck_assert_int_eq(r.job.holds, 1);
  /* During the quiet window the device is left alone. */
  r.job.quiet = true;
  request(&r, FP_SC_CMD_SOFT_RESET, NULL, 0);
  ck_assert_uint_eq(reply(&r).status, FP_SC_STATUS_OK);
  ck_assert_int_eq(r.job.flushes, 1);
  rig_close(&r);
}
END_TEST

/* Send a whole FLUSH request (BEGIN, DATA, END) for `reset` and `idle`. */
static void send_flush(rig_t *r, const char *reset, uint32_t idle)
{
  uint8_t begin[9] = { FP_SC_FLUSH_BEGIN }, data[64] = { FP_SC_FLUSH_DATA };
  uint8_t end = FP_SC_FLUSH_END;
  size_t  len = strlen(reset);

  fp_put_be32(begin + 1, idle);
  fp_put_be32(begin + 5, (uint32_t)len);
  request(r, FP_SC_CMD_FLUSH, begin, sizeof(begin));
  memcpy(data + 1, reset, len);
  request(r, FP_SC_CMD_FLUSH, data, len + 1);
  request(r, FP_SC_CMD_FLUSH, &end, 1);
}

START_TEST(a_filters_flush_is_carried_out_once_for_a_canceled_job)
{
  rig_t           r;
  fp_sc_message_t m;

  rig_open(&r);
  /* Not canceled: refused at BEGIN. */
  send_flush(&r, "\x1b@", 500);
  m = reply(&r);
  ck_assert_uint_ne(m.status, FP_SC_STATUS_OK);
  ck_assert_uint_eq(m.data[0], (uint8_t)-FP_ERROR_NO_FAILED_WRITE);
  while (fp_sc_reader_fill(&r.reader, r.peer) == FP_OK && fp_sc_reader_next(&r.reader, &m))
    continue;
  ck_assert_int_eq(r.job.flushes, 0);

  r.job.canceled = true;
  send_flush(&r, "\x1b@", 700);
  ck_assert_uint_eq(reply(&r).status, FP_SC_STATUS_OK);  /* BEGIN */
  ck_assert_uint_eq(reply(&r).status, FP_SC_STATUS_OK);  /* DATA */
  m = reply(&r);                                          /* END, with the counts */
  ck_assert_uint_eq(m.status, FP_SC_STATUS_OK);
  ck_assert_uint_eq(m.len, 21);
  ck_assert_uint_eq(fp_get_be64(m.data + 1), 2);
  ck_assert_uint_eq(fp_get_be64(m.data + 9), 77);
  ck_assert_uint_eq(fp_get_be32(m.data + 17), 700);
  ck_assert_int_eq(r.job.flushes, 1);
  ck_assert_uint_eq(r.job.reset_len, 2);
  ck_assert_int_eq(memcmp(r.job.reset, "\x1b@", 2), 0);
  ck_assert(fp_server_filter_flushed(r.server));
  ck_assert(!fp_server_flush_open(r.server));

  /* Once only. */
  send_flush(&r, "\x1b@", 700);
  ck_assert_uint_eq(reply(&r).data[0], (uint8_t)-FP_ERROR_ALREADY_FLUSHED);
  ck_assert_int_eq(r.job.flushes, 1);
  rig_close(&r);
}
END_TEST

START_TEST(a_stale_partial_request_gets_bad_message)
{
  rig_t   r;
  uint8_t half[3] = { FP_SC_CMD_GET_BIDI, 0, 0 };

  rig_open(&r);
  ck_assert_int_eq(write(r.peer, half, sizeof(half)), 3);
  fp_server_serve(r.server);
  ck_assert_int_ge(fp_server_timeout(r.server), 0);
  ck_assert_int_le(fp_server_timeout(r.server), FP_SERVE_STALE_MS);
  ck_assert(!fp_server_expire(r.server));
  usleep((FP_SERVE_STALE_MS + 50) * 1000);
  ck_assert(fp_server_expire(r.server));
  ck_assert_uint_eq(reply(&r).status, FP_SC_STATUS_BAD_MESSAGE);
  ck_assert_int_eq(fp_server_timeout(r.server), -1);
  rig_close(&r);
}
END_TEST

START_TEST(a_peer_that_never_reads_is_dropped)
{
  rig_t   r;
  uint8_t request_bytes[4] = { FP_SC_CMD_GET_BIDI, 0, 0, 0 };
  int     sent = 0;

  rig_open(&r);
  /* Requests, never a read, until the server gives up on the peer. */
  while (fp_server_fd(r.server) >= 0 && sent < 1000000)
  {
    if (write(r.peer, request_bytes, sizeof(request_bytes)) == sizeof(request_bytes))
      sent++;
    fp_server_serve(r.server);
  }
  ck_assert_int_eq(fp_server_fd(r.server), -1);
  ck_assert_int_gt(sent, 10);
  fp_server_serve(r.server); /* a closed server does nothing */
  fp_server_free(r.server);
  close(r.peer);
}
END_TEST

/* The suite. */
static Suite *serve_suite(void)
{
  Suite *s = suite_create("serve");
  TCase *c = tcase_create("server");

  tcase_add_test(c, standard_requests_are_answered_from_the_job);
  tcase_add_test(c, soft_reset_flushes_with_the_queue_defaults_and_holds_quiet);
  tcase_add_test(c, a_filters_flush_is_carried_out_once_for_a_canceled_job);
  tcase_add_test(c, a_stale_partial_request_gets_bad_message);
  tcase_add_test(c, a_peer_that_never_reads_is_dropped);
  suite_add_tcase(s, c);
  return s;
}

/* Run the suite; exit status 0 only when every test passed. */
int main(void)
{
  return fp_run_suite(serve_suite());
}

/*
 * Unit tests for the side-channel codec (lib/sidechannel.c): framing of
 * split and coalesced messages, expiry of stale partial messages, sending to
 * a closed peer, and request/reply matching with timeouts.
 */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check-main.h"
#include "clock.h"
#include "flushprinter.h"
#include "sidechannel.h"

/* Both ends of a fresh non-blocking side channel. */
static int sc[2];

/* The reader and one message buffer (too big for a test's stack frame). */
static fp_sc_reader_t  reader;
static fp_sc_message_t message;

/* Fixture: a non-blocking stream socketpair like the one cupsd creates. */
static void setup(void)
{
  ck_assert_int_eq(socketpair(AF_LOCAL, SOCK_STREAM | SOCK_NONBLOCK, 0, sc), 0);
  memset(&reader, 0, sizeof(reader));
  memset(&message, 0, sizeof(message));
  signal(SIGPIPE, SIG_DFL); /* a SIGPIPE must kill the test, not pass unnoticed */
}

/* Fixture: close whatever end is still open. */
static void teardown(void)
{
  for (int i = 0; i < 2; i++)
  {
    if (sc[i] >= 0)
      close(sc[i]);
  }
}

/* Write `len` raw bytes to `fd` in one call, as a peer would. */
static void raw_write(int fd, const void *buf, size_t len)
{
  ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
}

/* Fill the reader from `fd` and expect the next message to be `command`/`status`/`data`. */
static void expect_message(int fd, uint8_t command, uint8_t status, const void *data, size_t len)
{
  ck_assert_int_eq(fp_sc_reader_fill(&reader, fd), FP_OK);
  ck_assert(fp_sc_reader_next(&reader, &message));
  ck_assert_uint_eq(message.command, command);
  ck_assert_uint_eq(message.status, status);
  ck_assert_uint_eq(message.len, len);
  if (len)
    ck_assert_mem_eq(message.data, data, len);
}

/* Process CPU time (user + system) in milliseconds. */
static int64_t cpu_ms(void)
{
  struct rusage ru;

  getrusage(RUSAGE_SELF, &ru);
  return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000
         + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/* The big-endian helpers write and read most significant byte first. */
START_TEST(test_big_endian)
{
  static const uint8_t be32[4] = {0x12, 0x34, 0x56, 0x78};
  static const uint8_t be64[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  uint8_t              buf[8];

  fp_put_be32(buf, 0x12345678u);
  ck_assert_mem_eq(buf, be32, 4);
  ck_assert_uint_eq(fp_get_be32(be32), 0x12345678u);
  fp_put_be64(buf, UINT64_C(0x0123456789abcdef));
  ck_assert_mem_eq(buf, be64, 8);
  ck_assert(fp_get_be64(be64) == UINT64_C(0x0123456789abcdef));
  fp_put_be64(buf, UINT64_MAX);
  ck_assert(fp_get_be64(buf) == UINT64_MAX);
}
END_TEST

/* A sent message arrives with its header and data intact, and the wire format is CUPS'. */
START_TEST(test_round_trip)
{
  static const uint8_t wire[] = {FP_SC_CMD_GET_DEVICE_ID, FP_SC_STATUS_OK, 0, 3, 'M', 'F', 'G'};
  uint8_t              raw[sizeof(wire)];

  ck_assert_int_eq(fp_sc_send(sc[0], FP_SC_CMD_GET_DEVICE_ID, FP_SC_STATUS_OK, "MFG", 3, 1000),
                   FP_OK);
  ck_assert_int_eq(read(sc[1], raw, sizeof(raw)), (ssize_t)sizeof(wire));
  ck_assert_mem_eq(raw, wire, sizeof(wire));

  ck_assert_int_eq(fp_sc_send(sc[0], FP_SC_CMD_GET_STATE, FP_SC_STATUS_NONE, NULL, 0, 1000), FP_OK);
  expect_message(sc[1], FP_SC_CMD_GET_STATE, FP_SC_STATUS_NONE, NULL, 0);
  ck_assert(!fp_sc_reader_next(&reader, &message));
  ck_assert_uint_eq(reader.have, 0);
  ck_assert(reader.partial_since == 0);
}
END_TEST

/* A message of the largest size goes through, and a larger one is refused. */
START_TEST(test_max_size)
{
  static uint8_t data[FP_SC_MAX_DATA + 1];

  for (size_t i = 0; i < sizeof(data); i++)
    data[i] = (uint8_t)(i * 7);
  ck_assert_int_eq(fp_sc_send(sc[0], FP_SC_CMD_FLUSH, 0, data, FP_SC_MAX_DATA + 1, 1000),
                   FP_ERROR_INVALID_ARGUMENT);
  ck_assert_int_eq(fp_sc_send(sc[0], FP_SC_CMD_FLUSH, FP_SC_STATUS_NONE, NULL, 1, 1000),
                   FP_ERROR_INVALID_ARGUMENT);
  ck_assert_int_eq(fp_sc_send(sc[0], FP_SC_CMD_FLUSH, 0, data, FP_SC_MAX_DATA, 1000), FP_OK);
  /* A second message behind it must stay in the socket: the buffer holds one maximal message. */
  ck_assert_int_eq(fp_sc_send(sc[0], FP_SC_CMD_GET_STATE, FP_SC_STATUS_OK, "\x01", 1, 1000), FP_OK);

  ck_assert_int_eq(fp_sc_reader_fill(&reader, sc[1]), FP_OK);
  ck_assert_uint_eq(reader.have, sizeof(reader.buf));
  ck_assert(fp_sc_reader_next(&reader, &message));
  ck_assert_uint_eq(message.len, FP_SC_MAX_DATA);
  ck_assert_mem_eq(message.data, data, FP_SC_MAX_DATA);
  expect_message(sc[1], FP_SC_CMD_GET_STATE, FP_SC_STATUS_OK, "\x01", 1);
}
END_TEST

/* A message written one byte at a time appears only once its last byte is in. */
START_TEST(test_split_bytes)
{
  static const uint8_t wire[] = {FP_SC_CMD_FLUSH, FP_SC_STATUS_NONE, 0, 5, 3, 'a', 'b', 'c', 'd'};

  for (size_t i = 0; i + 1 < sizeof(wire); i++)
  {
    raw_write(sc[1], wire + i, 1);
    ck_assert_int_eq(fp_sc_reader_fill(&reader, sc[0]), FP_OK);
    ck_assert_uint_eq(reader.have, i + 1);
    ck_assert(!fp_sc_reader_next(&reader, &message));
    ck_assert(reader.partial_since != 0);
  }
  raw_write(sc[1], wire + sizeof(wire) - 1, 1);
  expect_message(sc[0], FP_SC_CMD_FLUSH, FP_SC_STATUS_NONE, wire + 4, 5);
  ck_assert_uint_eq(reader.have, 0);
}
END_TEST

/* Two messages (and the start of a third) read at once come out one by one. */
START_TEST(test_coalesced)
{
  static const uint8_t wire[] = {FP_SC_CMD_GET_STATE, FP_SC_STATUS_OK, 0x00, 0x01, 0x03,
                                 FP_SC_CMD_GET_BIDI,  FP_SC_STATUS_OK, 0x00, 0x01, 0x01,
                                 FP_SC_CMD_FLUSH,     FP_SC_STATUS_OK, 0x00};

  raw_write(sc[1], wire, sizeof(wire));
  expect_message(sc[0], FP_SC_CMD_GET_STATE, FP_SC_STATUS_OK, "\x03", 1);
  ck_assert(fp_sc_reader_next(&reader, &message));
  ck_assert_uint_eq(message.command, FP_SC_CMD_GET_BIDI);
  ck_assert_uint_eq(message.data[0], 1);
  ck_assert(!fp_sc_reader_next(&reader, &message));
  ck_assert_uint_eq(reader.have, 3);

  raw_write(sc[1], "\x02xy", 3);
  expect_message(sc[0], FP_SC_CMD_FLUSH, FP_SC_STATUS_OK, "xy", 2);
}
END_TEST

/* Garbage claiming a huge length is dropped once stale, and the channel works again. */
START_TEST(test_expire_garbage)
{
  static const uint8_t garbage[] = {0x99, 0x00, 0xff, 0xff, 'j', 'u', 'n', 'k'};

  raw_write(sc[1], garbage, sizeof(garbage));
  ck_assert_int_eq(fp_sc_reader_fill(&reader, sc[0]), FP_OK);
  ck_assert(!fp_sc_reader_next(&reader, &message));
  ck_assert(!fp_sc_reader_expire(&reader, 60000)); /* not stale yet */
  ck_assert_uint_eq(reader.have, sizeof(garbage));

  reader.partial_since -= 5000; /* as if it had been stuck for five seconds */
  ck_assert(fp_sc_reader_expire(&reader, 1000));
  ck_assert_uint_eq(reader.have, 0);
  ck_assert(!fp_sc_reader_expire(&reader, 0)); /* nothing left to drop */

  ck_assert_int_eq(fp_sc_send(sc[1], FP_SC_CMD_GET_STATE, FP_SC_STATUS_OK, "\x01", 1, 1000), FP_OK);
  expect_message(sc[0], FP_SC_CMD_GET_STATE, FP_SC_STATUS_OK, "\x01", 1);
}
END_TEST

/* A complete message waiting in the reader is never expired, however old. */
START_TEST(test_expire_keeps_complete)
{
  ck_assert_int_eq(fp_sc_send(sc[1], FP_SC_CMD_GET_STATE, FP_SC_STATUS_OK, "\x01", 1, 1000), FP_OK);
  ck_assert_int_eq(fp_sc_reader_fill(&reader, sc[0]), FP_OK);
  reader.partial_since -= 5000;
  ck_assert(!fp_sc_reader_expire(&reader, 0));
  ck_assert(fp_sc_reader_next(&reader, &message));
}
END_TEST

/* Sending to a closed peer fails with an error instead of raising SIGPIPE. */
START_TEST(test_send_closed_peer)
{
  /* The peer leaves a message of ours unread. */
  ck_assert_int_eq(fp_sc_send(sc[0], FP_SC_CMD_GET_STATE, FP_SC_STATUS_NONE, NULL, 0, 1000), FP_OK);
  close(sc[1]);
  sc[1] = -1;
  ck_assert_int_eq(fp_sc_send(sc[0], FP_SC_CMD_GET_STATE, FP_SC_STATUS_NONE, NULL, 0, 1000),
                   FP_ERROR_BACKEND_GONE);
  ck_assert_int_eq(fp_sc_reader_fill(&reader, sc[0]), FP_ERROR_BACKEND_GONE);
}
END_TEST

/* A full socket makes fp_sc_send time out instead of blocking forever. */
START_TEST(test_send_timeout)
{
  static uint8_t data[FP_SC_MAX_DATA];
  int            status, sent = 0;
  int64_t        start;

  while ((status = fp_sc_send(sc[0], FP_SC_CMD_FLUSH, 0, data, sizeof(data), 0)) == FP_OK)
    ck_assert_int_lt(++sent, 10000);
  ck_assert_int_eq(status, FP_ERROR_TIMEOUT);
  start = fp_monotonic_ms();
  ck_assert_int_eq(fp_sc_send(sc[0], FP_SC_CMD_FLUSH, FP_SC_STATUS_NONE, data, sizeof(data), 100),
                   FP_ERROR_TIMEOUT);
  ck_assert_int_ge(fp_monotonic_ms() - start, 95);
}
END_TEST

/* fp_sc_request skips replies to other commands and returns the matching one. */
START_TEST(test_request_skips_unrelated)
{
  ck_assert_int_eq(fp_sc_send(sc[1], FP_SC_CMD_GET_STATE, FP_SC_STATUS_OK, "\x01", 1, 1000), FP_OK);
  ck_assert_int_eq(fp_sc_send(sc[1], FP_SC_CMD_GET_BIDI, FP_SC_STATUS_OK, "\x00", 1, 1000), FP_OK);
  ck_assert_int_eq(fp_sc_send(sc[1], FP_SC_CMD_FLUSH, FP_SC_STATUS_OK, "\x00\x07", 2, 1000), FP_OK);
  ck_assert_int_eq(fp_sc_send(sc[1], FP_SC_CMD_GET_STATE, FP_SC_STATUS_OK, "\x02", 1, 1000), FP_OK);

  ck_assert_int_eq(fp_sc_request(sc[0], &reader, FP_SC_CMD_FLUSH, "\x03", 1, &message, 1000),
                   FP_OK);
  ck_assert_uint_eq(message.command, FP_SC_CMD_FLUSH);
  ck_assert_uint_eq(message.len, 2);
  ck_assert_uint_eq(message.data[1], 7);

  /* The request reached the peer as one whole message... */
  memset(&reader, 0, sizeof(reader));
  expect_message(sc[1], FP_SC_CMD_FLUSH, FP_SC_STATUS_NONE, "\x03", 1);
}
END_TEST

/* A reply that arrives later, split in pieces behind an unrelated message, is awaited. */
START_TEST(test_request_waits_for_split_reply)
{
  pid_t child = fork();
  int   status;

  ck_assert_int_ge(child, 0);
  if (child == 0)
  {
    static const uint8_t reply[] = {FP_SC_CMD_GET_DEVICE_ID, FP_SC_STATUS_OK, 0x00, 0x02, 'I', 'D'};
    struct timespec      delay = {0, 30 * 1000000};
    static fp_sc_reader_t  peer;
    static fp_sc_message_t request;

    /* Wait for the request, then answer something else, then the reply in two parts. */
    while (!fp_sc_reader_next(&peer, &request))
    {
      if (fp_sc_reader_fill(&peer, sc[1]) != FP_OK)
        _exit(2);
      nanosleep(&delay, NULL);
    }
    if (fp_sc_send(sc[1], FP_SC_CMD_GET_STATE, FP_SC_STATUS_OK, "\x01", 1, 1000) != FP_OK
        || nanosleep(&delay, NULL) || write(sc[1], reply, 3) != 3 || nanosleep(&delay, NULL)
        || write(sc[1], reply + 3, sizeof(reply) - 3) != (ssize_t)sizeof(reply) - 3)
      _exit(3);
    _exit(request.command == FP_SC_CMD_GET_DEVICE_ID ? 0 : 4);
  }

  ck_assert_int_eq(fp_sc_request(sc[0], &reader, FP_SC_CMD_GET_DEVICE_ID, NULL, 0, &message, 5000),
                   FP_OK);
  ck_assert_uint_eq(message.command, FP_SC_CMD_GET_DEVICE_ID);
  ck_assert_uint_eq(message.len, 2);
  ck_assert_mem_eq(message.data, "ID", 2);
  ck_assert_int_eq(waitpid(child, &status, 0), child);
  ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

/* With no reply, fp_sc_request times out after about `timeout_ms`, sleeping meanwhile. */
START_TEST(test_request_timeout)
{
  int64_t start, elapsed, cpu;

  ck_assert_int_eq(fp_sc_send(sc[1], FP_SC_CMD_GET_STATE, FP_SC_STATUS_OK, "\x01", 1, 1000), FP_OK);
  start = fp_monotonic_ms();
  cpu = cpu_ms();
  ck_assert_int_eq(fp_sc_request(sc[0], &reader, FP_SC_CMD_FLUSH, NULL, 0, &message, 300),
                   FP_ERROR_TIMEOUT);
  elapsed = fp_monotonic_ms() - start;
  cpu = cpu_ms() - cpu;
  ck_assert_int_ge(elapsed, 295);
  ck_assert_int_lt(elapsed, 5000);
  ck_assert_int_lt(cpu, elapsed / 2); /* waited in poll(), did not spin */

  ck_assert_int_eq(fp_sc_request(sc[0], &reader, FP_SC_CMD_FLUSH, NULL, 0, &message, 0),
                   FP_ERROR_TIMEOUT);
}
END_TEST

/* A reply already received counts even if the peer then closed; without one, it is "gone". */
START_TEST(test_request_peer_closed)
{
  ck_assert_int_eq(fp_sc_send(sc[1], FP_SC_CMD_FLUSH, FP_SC_STATUS_OK, "\x00", 1, 1000), FP_OK);
  ck_assert_int_eq(shutdown(sc[1], SHUT_WR), 0);
  ck_assert_int_eq(fp_sc_request(sc[0], &reader, FP_SC_CMD_FLUSH, NULL, 0, &message, 1000), FP_OK);
  ck_assert_uint_eq(message.command, FP_SC_CMD_FLUSH);

  ck_assert_int_eq(fp_sc_request(sc[0], &reader, FP_SC_CMD_FLUSH, NULL, 0, &message, 1000),
                   FP_ERROR_BACKEND_GONE);
  close(sc[1]);
  sc[1] = -1;
  ck_assert_int_eq(fp_sc_request(sc[0], &reader, FP_SC_CMD_FLUSH, NULL, 0, &message, 1000),
                   FP_ERROR_BACKEND_GONE);
}
END_TEST

/* The test suite. */
static Suite *sidechannel_suite(void)
{
  Suite *s = suite_create("sidechannel");
  TCase *codec = tcase_create("codec");
  TCase *request = tcase_create("request");

  tcase_add_checked_fixture(codec, setup, teardown);
  tcase_add_test(codec, test_big_endian);
  tcase_add_test(codec, test_round_trip);
  tcase_add_test(codec, test_max_size);
  tcase_add_test(codec, test_split_bytes);
  tcase_add_test(codec, test_coalesced);
  tcase_add_test(codec, test_expire_garbage);
  tcase_add_test(codec, test_expire_keeps_complete);
  tcase_add_test(codec, test_send_closed_peer);
  tcase_add_test(codec, test_send_timeout);
  suite_add_tcase(s, codec);

  tcase_add_checked_fixture(request, setup, teardown);
  tcase_add_test(request, test_request_skips_unrelated);
  tcase_add_test(request, test_request_waits_for_split_reply);
  tcase_add_test(request, test_request_timeout);
  tcase_add_test(request, test_request_peer_closed);
  suite_add_tcase(s, request);
  return s;
}

/* Run the suite; exit status 0 only if every test passed. */
int main(void)
{
  return fp_run_suite(sidechannel_suite());
}

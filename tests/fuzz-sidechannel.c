/*
 * fuzz-sidechannel: properties of the side-channel codec (lib/sidechannel.c)
 * on any input, taken as the bytes a peer writes to the side channel.  The
 * reader reads them from a stream socket pair, as the backend does.  See
 * fuzz-main.h for how it runs.
 *
 * The properties:
 *   1. fed whole or in pseudo-random pieces (derived from the input), the
 *      reader gives the same messages and keeps the same incomplete rest;
 *   2. it never buffers more than one message of the framing maximum, and
 *      each message it gives is exactly the next header and data of the
 *      input (so encode(decode(x)) is x's prefix);
 *   3. each message given, sent again with fp_sc_send(), is the same bytes,
 *      and read back is the same message;
 *   4. no crash, hang or sanitizer report (the fuzzer's part).
 */

#define FUZZ_NAME "sidechannel"

#include "flushprinter.h"
#include "sidechannel.h"
#include "fuzz-main.h"
#include "fuzz-split.h"

#include <sys/socket.h>
#include <unistd.h>

#define ROUND_TRIPS 32          /* messages per input sent again (property 3) */
#define SEND_TIMEOUT_MS 1000

/* A stream socket pair: [0] the peer writes, [1] the reader reads. */
static int pair[2] = { -1, -1 };

/* What a feed of the input gave: the messages laid end to end as on the wire. */
typedef struct feed_s
{
  uint8_t *wire;
  size_t   len;
  size_t   count;  /* messages */
  size_t   rest;   /* bytes left in the reader */
} feed_t;

static fp_sc_reader_t  reader;
static fp_sc_message_t message;

/* The socket pair, made once. */
static void open_pair(void)
{
  if (pair[0] >= 0)
    return;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair))
  {
    perror("socketpair");
    abort();
  }
}

/* Write all `len` bytes to the peer's end (the pair has room for any input). */
static void peer_write(const uint8_t *data, size_t len)
{
  while (len)
  {
    ssize_t n = write(pair[0], data, len);

    if (n <= 0)
    {
      perror("write to the socket pair");
      abort();
    }
    data += n;
    len -= (size_t)n;
  }
}

/* Read what the reader has, take out every complete message, checking property 2. */
static void drain(feed_t *feed, const uint8_t *input, size_t fed)
{
  int status = fp_sc_reader_fill(&reader, pair[1]);

  if (status != FP_OK)
    fuzz_fail("fp_sc_reader_fill() returned %d on an open socket", status);
  if (reader.have > sizeof(reader.buf))
    fuzz_fail("the reader holds %zu bytes, more than its buffer", reader.have);
  while (fp_sc_reader_next(&reader, &message))
  {
    size_t size = FP_SC_HEADER_SIZE + message.len;

    /* message.len has 16 bits: the framing maximum holds by its type */
    if (feed->len + size > fed)
      fuzz_fail("a message of %u data bytes, more than was fed", (unsigned)message.len);
    if (input[feed->len] != message.command || input[feed->len + 1] != message.status
        || ((size_t)input[feed->len + 2] << 8 | input[feed->len + 3]) != message.len
        || memcmp(input + feed->len + FP_SC_HEADER_SIZE, message.data, message.len))
      fuzz_fail("message %zu is not the input's bytes at offset %zu", feed->count, feed->len);
    memcpy(feed->wire + feed->len, input + feed->len, size);
    feed->len += size;
    feed->count++;
  }
  if (reader.have >= FP_SC_HEADER_SIZE
      && reader.have >= FP_SC_HEADER_SIZE + ((size_t)reader.buf[2] << 8 | reader.buf[3]))
    fuzz_fail("a complete message stays in the reader");
}

/* Feed the input in pieces (all of it at once when `whole`). */
static feed_t feed(const uint8_t *data, size_t size, bool whole)
{
  feed_t   f = { fuzz_alloc(size), 0, 0, 0 };
  uint64_t seed = hash(data, size);
  size_t   at = 0;

  memset(&reader, 0, sizeof(reader));
  while (at < size)
  {
    uint64_t r = next_random(&seed);
    size_t   piece = whole ? size : (r & 3) ? 1 + (r >> 8) % 16 : 1 + (r >> 8) % 8192;

    if (piece > size - at)
      piece = size - at;
    /* The reader buffers at most one whole message: feed no faster than it takes them. */
    if (piece > sizeof(reader.buf) - reader.have)
      piece = sizeof(reader.buf) - reader.have;
    peer_write(data + at, piece);
    at += piece;
    drain(&f, data, at);
  }
  f.rest = reader.have;
  if (f.len + f.rest != size || memcmp(reader.buf, data + f.len, f.rest))
    fuzz_fail("the reader's rest is not the input's last %zu bytes", size - f.len);
  return f;
}

/* Property 3 on the message at `wire`: sent again it is the same bytes, and read back the same. */
static void check_round_trip(const uint8_t *wire)
{
  size_t  len = (size_t)wire[2] << 8 | wire[3];
  uint8_t back[FP_SC_HEADER_SIZE + FP_SC_MAX_DATA];
  size_t  got = 0;
  int     status = fp_sc_send(pair[0], wire[0], wire[1], wire + FP_SC_HEADER_SIZE, len,
                              SEND_TIMEOUT_MS);

  if (status != FP_OK)
    fuzz_fail("fp_sc_send() of a %zu-byte message returned %d", len, status);
  while (got < FP_SC_HEADER_SIZE + len)
  {
    ssize_t n = read(pair[1], back + got, sizeof(back) - got);

    if (n <= 0)
      fuzz_fail("fp_sc_send() wrote %zu bytes of a %zu-byte message", got,
                FP_SC_HEADER_SIZE + len);
    got += (size_t)n;
  }
  if (got != FP_SC_HEADER_SIZE + len || memcmp(back, wire, got))
    fuzz_fail("fp_sc_send() encoded a message as other bytes");
  memset(&reader, 0, sizeof(reader));
  memcpy(reader.buf, back, got);
  reader.have = got;
  if (!fp_sc_reader_next(&reader, &message) || reader.have != 0
      || message.command != wire[0] || message.status != wire[1] || message.len != len
      || memcmp(message.data, wire + FP_SC_HEADER_SIZE, len))
    fuzz_fail("an encoded message reads back as another");
}

/* Check every property on one input. */
static void check_input(const uint8_t *data, size_t size)
{
  feed_t whole, pieces;
  size_t at = 0;

  open_pair();
  whole = feed(data, size, true);
  pieces = feed(data, size, false);
  if (whole.count != pieces.count || whole.len != pieces.len || whole.rest != pieces.rest
      || memcmp(whole.wire, pieces.wire, whole.len))
    fuzz_fail("fed whole and in pieces, the messages differ (%zu and %zu messages)", whole.count,
              pieces.count);
  for (size_t i = 0; i < whole.count && i < ROUND_TRIPS; i++)
  {
    check_round_trip(whole.wire + at);
    at += FP_SC_HEADER_SIZE + ((size_t)whole.wire[at + 2] << 8 | whole.wire[at + 3]);
  }
  free(whole.wire);
  free(pieces.wire);
}

/* Append one message, encoded by fp_sc_send(), to `stream`; the bytes it took. */
static size_t encode(uint8_t *stream, uint8_t command, uint8_t status, const void *data,
                     size_t len)
{
  size_t got = 0;

  open_pair();
  if (fp_sc_send(pair[0], command, status, data, len, SEND_TIMEOUT_MS) != FP_OK)
  {
    fputs("fuzz-sidechannel: fp_sc_send() failed while generating seeds\n", stderr);
    exit(2);
  }
  while (got < FP_SC_HEADER_SIZE + len)
  {
    ssize_t n = read(pair[1], stream + got, FP_SC_HEADER_SIZE + len - got);

    if (n <= 0)
      exit(2);
    got += (size_t)n;
  }
  return got;
}

/*
 * Generated seeds, encoded by fp_sc_send(): every standard request and its
 * reply, the FLUSH exchange the library sends (BEGIN, DATA, END and their
 * replies), each alone and all as one stream, and one message of the
 * largest size.
 */
static void generate_seeds(void)
{
  static uint8_t stream[8 * (FP_SC_HEADER_SIZE + FP_SC_MAX_DATA)];
  static uint8_t big[FP_SC_MAX_DATA];
  uint8_t        payload[64];
  size_t         total = 0, n;

  for (uint8_t command = FP_SC_CMD_SOFT_RESET; command <= FP_SC_CMD_GET_CONNECTED; command++)
  {
    static const char device_id[] = "MFG:EPSON;CMD:ESC/POS;MDL:TM-T20;CLS:PRINTER;";

    n = encode(stream + total, command, FP_SC_STATUS_NONE, NULL, 0);
    emit(stream + total, n);
    total += n;
    payload[0] = FP_SC_STATE_ONLINE;
    n = command == FP_SC_CMD_GET_DEVICE_ID
          ? encode(stream + total, command, FP_SC_STATUS_OK, device_id, strlen(device_id))
          : encode(stream + total, command, FP_SC_STATUS_OK, payload, 1);
    emit(stream + total, n);
    total += n;
  }
  payload[0] = FP_SC_FLUSH_BEGIN;
  fp_put_be32(payload + 1, 2000);
  fp_put_be32(payload + 5, 2);
  n = encode(stream + total, FP_SC_CMD_FLUSH, FP_SC_STATUS_NONE, payload, 9);
  emit(stream + total, n);
  total += n;
  payload[0] = FP_SC_FLUSH_DATA;
  payload[1] = 0x1b;
  payload[2] = '@';
  n = encode(stream + total, FP_SC_CMD_FLUSH, FP_SC_STATUS_NONE, payload, 3);
  emit(stream + total, n);
  total += n;
  payload[0] = FP_SC_FLUSH_END;
  n = encode(stream + total, FP_SC_CMD_FLUSH, FP_SC_STATUS_NONE, payload, 1);
  emit(stream + total, n);
  total += n;
  payload[0] = 0;
  n = encode(stream + total, FP_SC_CMD_FLUSH, FP_SC_STATUS_OK, payload, 1);
  emit(stream + total, n);
  total += n;
  fp_put_be64(payload + 1, 1234567);
  fp_put_be64(payload + 9, 4333);
  fp_put_be32(payload + 17, 2000);
  n = encode(stream + total, FP_SC_CMD_FLUSH, FP_SC_STATUS_OK, payload, 21);
  emit(stream + total, n);
  total += n;
  emit(stream, total);
  memset(big, 0, sizeof(big));
  big[0] = FP_SC_FLUSH_DATA;
  n = encode(stream, FP_SC_CMD_FLUSH, FP_SC_STATUS_NONE, big, sizeof(big));
  emit(stream, n);
}

/*
 * CUPS side-channel codec: a reader that frames messages by their length
 * field (whatever way the stream split or joined them), a sender that hands
 * each message to the socket in one call, and a request/reply helper.
 */

#include "sidechannel.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "clock.h"
#include "flushprinter.h"
#include "wait.h"

/* Total size of the message whose header starts `p`. */
static size_t message_size(const uint8_t *p)
{
  return FP_SC_HEADER_SIZE + (((size_t)p[2] << 8) | p[3]);
}

/* Milliseconds left before `deadline` (monotonic), or -1 when `deadline` is < 0 (no limit). */
static int time_left(int64_t deadline)
{
  return deadline < 0 ? -1 : fp_ms_until(deadline);
}

/* The monotonic deadline `timeout_ms` from now, or -1 when `timeout_ms` is < 0 (no limit). */
static int64_t deadline_after(int timeout_ms)
{
  return timeout_ms < 0 ? -1 : fp_monotonic_ms() + timeout_ms;
}

/* Wait up to `timeout_ms` for `events` on `fd`; 1 when ready, 0 on timeout, <0 on error. */
static int wait_fd(int fd, short events, int timeout_ms)
{
  switch (fp_wait_once(fd, events, -1, timeout_ms, NULL))
  {
    case FP_WAIT_READY: return 1;
    case FP_WAIT_FAILED: return FP_ERROR_IO; /* `fd` is not open */
    default: return 0; /* the time passed, or a signal: the caller looks again */
  }
}

/* Read what is available on non-blocking `fd` (does not wait). */
int fp_sc_reader_fill(fp_sc_reader_t *reader, int fd)
{
  bool got = false;
  int  status = FP_OK;

  while (reader->have < sizeof(reader->buf))
  {
    uint8_t *free_space = reader->buf + reader->have;
    size_t   room = sizeof(reader->buf) - reader->have;
    ssize_t  n = recv(fd, free_space, room, MSG_DONTWAIT);

    if (n < 0 && errno == ENOTSOCK)
      n = read(fd, free_space, room); /* not a socket (a pipe in a test harness) */

    if (n > 0)
    {
      reader->have += (size_t)n;
      got = true;
    }
    else if (n == 0)
    {
      status = FP_ERROR_BACKEND_GONE;
      break;
    }
    else if (errno == EINTR)
      continue;
    else
    {
      /* ECONNRESET: the peer closed with our data unread. */
      if (errno == ECONNRESET)
        status = FP_ERROR_BACKEND_GONE;
      else if (errno != EAGAIN && errno != EWOULDBLOCK)
        status = FP_ERROR_IO;
      break;
    }
  }
  if (got && reader->partial_since == 0)
    reader->partial_since = fp_monotonic_ms();
  return status;
}

/* Take the next complete message out of the reader; false if none yet. */
bool fp_sc_reader_next(fp_sc_reader_t *reader, fp_sc_message_t *message)
{
  size_t size;

  if (reader->have < FP_SC_HEADER_SIZE)
    return false;
  size = message_size(reader->buf);
  if (reader->have < size)
    return false;

  message->command = reader->buf[0];
  message->status = reader->buf[1];
  message->len = (uint16_t)(size - FP_SC_HEADER_SIZE);
  memcpy(message->data, reader->buf + FP_SC_HEADER_SIZE, message->len);

  reader->have -= size;
  memmove(reader->buf, reader->buf + size, reader->have);
  /* What is left arrived no later than now: date any partial message from here. */
  reader->partial_since = reader->have ? fp_monotonic_ms() : 0;
  return true;
}

/* Drop an incomplete message older than `stale_ms`; true if one was dropped. */
bool fp_sc_reader_expire(fp_sc_reader_t *reader, int stale_ms)
{
  if (reader->have == 0)
    return false;
  if (reader->have >= FP_SC_HEADER_SIZE && reader->have >= message_size(reader->buf))
    return false; /* a complete message waits: nothing is stuck */
  if (reader->partial_since == 0 || fp_monotonic_ms() - reader->partial_since < stale_ms)
    return false;

  /* The stream has lost its framing: whatever is buffered belongs to the bad message. */
  reader->have = 0;
  reader->partial_since = 0;
  return true;
}

/* Hand the unsent part of `iov` to `fd` once; the bytes taken, or -1 with errno. */
static ssize_t send_once(int fd, struct iovec *iov, int iovcnt)
{
  struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)iovcnt};
  ssize_t       n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);

  if (n < 0 && errno == ENOTSOCK)
    n = writev(fd, iov, iovcnt); /* not a socket (a pipe in a test harness) */
  return n;
}

/* Advance `iov` past `n` sent bytes; returns the index of the first unsent entry. */
static int iov_advance(struct iovec *iov, int iovcnt, int first, size_t n)
{
  while (first < iovcnt && n >= iov[first].iov_len)
  {
    n -= iov[first].iov_len;
    iov[first].iov_len = 0;
    first++;
  }
  if (first < iovcnt)
  {
    iov[first].iov_base = (uint8_t *)iov[first].iov_base + n;
    iov[first].iov_len -= n;
  }
  return first;
}

/*
 * Write one whole message, waiting up to `timeout_ms` (-1: forever) for room
 * on non-blocking `fd`.  FP_ERROR_BACKEND_GONE when the peer closed its end.
 */
int fp_sc_send(int fd, uint8_t command, uint8_t status, const void *data, size_t len,
               int timeout_ms)
{
  uint8_t      header[FP_SC_HEADER_SIZE] = {command, status, (uint8_t)(len >> 8), (uint8_t)len};
  struct iovec iov[2] = {{header, sizeof(header)}, {(void *)data, len}};
  int          first = 0;
  int64_t      deadline = deadline_after(timeout_ms);

  if (len > FP_SC_MAX_DATA || (data == NULL && len > 0) || fd < 0)
    return FP_ERROR_INVALID_ARGUMENT;

  while (first < 2)
  {
    ssize_t n = send_once(fd, iov + first, 2 - first);
    int     ready;

    if (n >= 0)
    {
      first = iov_advance(iov, 2, first, (size_t)n);
      continue;
    }
    if (errno == EINTR)
      continue;
    if (errno == EPIPE || errno == ECONNRESET)
      return FP_ERROR_BACKEND_GONE;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      return FP_ERROR_IO;
    if (deadline >= 0 && fp_ms_until(deadline) == 0)
      return FP_ERROR_TIMEOUT;
    if ((ready = wait_fd(fd, POLLOUT, time_left(deadline))) < 0)
      return ready;
  }
  return FP_OK;
}

/*
 * Send a request and wait up to `timeout_ms` (-1: forever) for the reply with
 * the same command, skipping replies to other commands.
 */
int fp_sc_request(int fd, fp_sc_reader_t *reader, uint8_t command, const void *data, size_t len,
                  fp_sc_message_t *reply, int timeout_ms)
{
  int64_t deadline = deadline_after(timeout_ms);
  int     status;

  if (reader == NULL || reply == NULL)
    return FP_ERROR_INVALID_ARGUMENT;
  if ((status = fp_sc_send(fd, command, FP_SC_STATUS_NONE, data, len, timeout_ms)))
    return status;

  for (;;)
  {
    int filled, ready;

    filled = fp_sc_reader_fill(reader, fd);
    /* Messages that arrived before an end of file still count. */
    while (fp_sc_reader_next(reader, reply))
    {
      if (reply->command == command)
        return FP_OK;
    }
    if (filled)
      return filled;
    if (deadline >= 0 && fp_ms_until(deadline) == 0)
      return FP_ERROR_TIMEOUT;
    if ((ready = wait_fd(fd, POLLIN, time_left(deadline))) < 0)
      return ready;
  }
}

/* Store `v` big-endian in 4 bytes at `p`. */
void fp_put_be32(uint8_t *p, uint32_t v)
{
  for (int i = 3; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t)v;
}

/* Store `v` big-endian in 8 bytes at `p`. */
void fp_put_be64(uint8_t *p, uint64_t v)
{
  fp_put_be32(p, (uint32_t)(v >> 32));
  fp_put_be32(p + 4, (uint32_t)v);
}

/* The big-endian 32-bit value at `p`. */
uint32_t fp_get_be32(const uint8_t *p)
{
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The big-endian 64-bit value at `p`. */
uint64_t fp_get_be64(const uint8_t *p)
{
  return ((uint64_t)fp_get_be32(p) << 32) | fp_get_be32(p + 4);
}

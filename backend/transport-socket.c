/*
 * AppSocket/JetDirect transport: flushprinter+socket://HOST[:PORT]/.
 *
 * Unsent data in the kernel is kept small so that a cancel stops the
 * printer within moments: what is queued still reaches the printer (and was
 * counted as accepted) before the completion and the reset can.  How small
 * follows the printer's speed: the rate at which the unsent queue drains
 * (SIOCOUTQNSD against the bytes handed over) is measured over windows of
 * RATE_WINDOW_MS, and the kernel may hold about UNSENT_DRAIN_MS of it, from
 * UNSENT_MIN to UNSENT_MAX bytes (TCP_NOTSENT_LOWAT, and each send() cut
 * to what is left below it).  A window in which the queue ran dry measured
 * the job, not the printer, and only counts when it shows a faster drain:
 * the estimate rises at once and falls slowly, so an error costs a little
 * latency, never throughput.  The first window starts at UNSENT_START: a
 * queue that large drains within a fraction of a second even at a few kB/s
 * (a larger first backlog would leave a slow printer accepting nothing for
 * seconds once the limit falls, which timeout= counts as a stall); a fast
 * printer lifts the limit at the end of the first window.  At the maximum
 * sends are as large as the kernel takes, as they always were.  In-flight
 * data stays bounded by the printer's window.
 *
 * A printer whose TCP stack acknowledges nothing -- not even the window
 * probes that a printer paused with a full buffer (paper out) answers --
 * for three times timeout=, at least DEAD_PEER_MIN_MS, is gone
 * (TCP_USER_TIMEOUT): the connection ends with "The device went away"
 * instead of after TCP's own quarter of an hour, which matters while a
 * reported paper-out holds the job without a time limit.  A live printer's
 * stack acknowledges within moments, busy or paused.
 */

#include "transport.h"

#include <ctype.h>
#include <cups/backend.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "flushprinter.h"
#include "status.h"
#include "text.h"

#define UNSENT_MAX       16384 /* unsent bytes the kernel may hold for the printer, at most */
#define DEAD_PEER_MIN_MS 30000 /* least time without an acknowledgement before the printer is gone */
#define UNSENT_MIN       256   /* and at least (a slow printer still gets whole packets) */
#define UNSENT_START     2048  /* until the first drain rate is measured */
#define DRAIN_PATIENCE_MS 500  /* a queue that did not move this long (at most a third of
                                  timeout=) may grow to UNSENT_MAX */
#define UNSENT_DRAIN_MS  10    /* what the kernel may hold, in ms of the printer's drain */
#define RATE_WINDOW_MS   50    /* the drain rate is measured over windows this long */
#define CONNECT_TIMEOUT  10000 /* ms for one connection attempt */

#define PEER_BUFFER_GUESS 65536 /* bytes a printer may have acknowledged but not read */

/* Where the printer is: flushprinter+socket://HOST[:PORT]/. */
typedef struct socket_address_s
{
  char host[256]; /* percent-decoded; an IPv6 literal without its brackets */
  int  port;
} socket_address_t;

/* An open connection. */
typedef struct socket_conn_s
{
  int      fd;
  uint64_t sent;          /* bytes handed to the kernel on this connection */
  int      limit;         /* unsent bytes the kernel may hold now */
  uint64_t rate;          /* measured drain rate, bytes/s (0: not yet) */
  int64_t  window_at;     /* monotonic ms the current window began (0: none yet) */
  uint64_t window_drained; /* bytes drained from the unsent queue when it began */
  bool     window_backlog; /* the queue held unsent bytes at every look since */
  uint64_t drained;       /* bytes drained from the unsent queue at the last write */
  int64_t  moved_at;      /* monotonic ms the unsent queue was last seen to drain */
  int      patience_ms;   /* DRAIN_PATIENCE_MS, or a third of timeout= if that is less */
} socket_conn_t;

/* ---- The URI --------------------------------------------------------------- */

/*
 * Whether a decoded host can name a printer: letters, digits, '-', '.' and
 * '_' (a name or an IPv4 address), or in brackets an IPv6 address (hex
 * digits, ':' and '.', with an optional "%zone").  Anything else ('/',
 * spaces, control bytes from %XX) would only fail to resolve, and waiting
 * for it to resolve would hold the job for the whole contimeout.
 */
static bool host_is_valid(const char *host, bool bracketed)
{
  const char *zone = bracketed ? strchr(host, '%') : NULL;

  for (const char *p = host; *p; p++)
  {
    unsigned char c = (unsigned char)*p;

    if (zone && p > zone)
    {
      if (!isalnum(c) && !strchr("-._~", c))
        return false;
    }
    else if (bracketed ? !(isxdigit(c) || c == ':' || c == '.' || p == zone)
                       : !(isalnum(c) || c == '-' || c == '.' || c == '_'))
      return false;
  }
  return *host && (!zone || zone[1]);
}

/* Parse "//HOST[:PORT][/]": IPv6 literals in brackets, port 9100 by default. */
static int socket_parse(void *address, const char *rest, size_t len, char *message, size_t size)
{
  socket_address_t *a = address;
  const char *host, *host_end, *port = NULL, *tail;
  const char *end = rest + len;
  bool        bracketed;

  if (len < 3 || strncmp(rest, "//", 2))
    goto bad;
  host = rest + 2;
  if ((bracketed = *host == '['))
  {
    host++;
    if (!(host_end = memchr(host, ']', (size_t)(end - host))))
      goto bad;
    tail = host_end + 1;
    if (tail < end && *tail == ':')
      port = tail + 1;
  }
  else
  {
    host_end = host + strcspn(host, ":/");
    if (host_end > end)
      host_end = end;
    tail = host_end;
    if (host_end < end && *host_end == ':')
      port = host_end + 1;
  }
  if (host_end == host
      || fp_percent_decode(host, (size_t)(host_end - host), a->host, sizeof(a->host)))
    goto bad;
  a->port = 9100;
  if (port)
  {
    char digits[8];
    size_t n = strcspn(port, "/");

    if (port + n > end)
      n = (size_t)(end - port);
    if (n == 0 || n >= sizeof(digits))
      goto bad_port;
    memcpy(digits, port, n);
    digits[n] = '\0';
    if (fp_options_number(digits, 1, 65535, &a->port))
      goto bad_port;
    tail = port + n;
  }
  if (tail < end && !(tail + 1 == end && *tail == '/'))
  {
    snprintf(message, size, "unexpected path '%.*s' in device URI: expected "
             "flushprinter+socket://HOST[:PORT]/?OPTIONS", (int)(end - tail), tail);
    return FP_ERROR_SYNTAX;
  }
  if (!host_is_valid(a->host, bracketed))
  {
    snprintf(message, size, "bad host '%s' in device URI: expected a host name, an IPv4 "
             "address or an IPv6 address in brackets", a->host);
    return FP_ERROR_SYNTAX;
  }
  return FP_OK;

bad_port:
  snprintf(message, size, "bad port in device URI: expected 1 to 65535");
  return FP_ERROR_SYNTAX;
bad:
  snprintf(message, size, "bad host in device URI: expected flushprinter+socket://HOST[:PORT]/");
  return FP_ERROR_SYNTAX;
}

/* The device key: "socket://HOST:PORT", case-folded (host names are case-insensitive). */
static void socket_device_key(const void *address, char key[FP_DEVICE_KEY_MAX])
{
  const socket_address_t *a = address;

  fp_options_device_key(key, true, "socket://%s:%d", a->host, a->port);
}

/* ---- The connection -------------------------------------------------------- */

/* List the generic network entry, as the stock socket backend does. */
static void socket_list(void)
{
  cupsBackendReport("network", "flushprinter+socket", "Unknown",
                    "AppSocket/HP JetDirect with flush on cancel (flushprinter)", NULL, NULL);
}

/*
 * Connect a non-blocking socket to one address by the monotonic `deadline`,
 * honouring cancel; returns fd or -errno.
 */
static int connect_one(const struct addrinfo *ai, int cancel_fd, int64_t deadline, int *canceled)
{
  int       fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        ai->ai_protocol);
  int       unsent = UNSENT_START, one = 1, err = 0;
  socklen_t len = sizeof(err);

  if (fd < 0)
    return -errno;
  setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &unsent, sizeof(unsent));
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
    return fd;
  if (errno != EINPROGRESS)
    err = errno;
  else
  {
    switch (fp_wait_fd(fd, POLLOUT, cancel_fd, fp_ms_until(deadline)))
    {
      case -1: *canceled = 1; err = EINTR; break;
      case 0: err = ETIMEDOUT; break;
      default:
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
          err = errno;
        break;
    }
  }
  if (!err)
    return fd;
  close(fd);
  return -err;
}

/* Connect to the printer once, trying each address it resolves to, within `attempt_ms`. */
static int socket_open(const fp_options_t *o, int cancel_fd, int attempt_ms, fp_conn_t **conn,
                       char *message, size_t size)
{
  const socket_address_t *a = o->address;
  int64_t                 deadline = fp_monotonic_ms()
                                     + (attempt_ms < 0 || attempt_ms > CONNECT_TIMEOUT
                                          ? CONNECT_TIMEOUT
                                          : attempt_ms);
  struct addrinfo         hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
  struct addrinfo        *list, *ai;
  char                    port[8];
  int                     fd = -ECONNREFUSED, canceled = 0, rc;

  snprintf(port, sizeof(port), "%d", a->port);
  if ((rc = getaddrinfo(a->host, port, &hints, &list)))
  {
    snprintf(message, size, "cannot resolve '%s': %s", a->host, gai_strerror(rc));
    return FP_ERROR_IO;
  }
  for (ai = list; ai && !canceled; ai = ai->ai_next)
    if ((fd = connect_one(ai, cancel_fd, deadline, &canceled)) >= 0)
      break;
  freeaddrinfo(list);
  if (canceled)
    return FP_ERROR_CANCELED;
  if (fd < 0)
  {
    snprintf(message, size, "cannot connect to %s:%d: %s", a->host, a->port, strerror(-fd));
    return fd == -ETIMEDOUT ? FP_ERROR_TIMEOUT : FP_ERROR_IO;
  }
  if (!(*conn = fp_conn_new(sizeof(socket_conn_t))))
  {
    close(fd);
    return FP_ERROR_NO_MEMORY;
  }
  {
    /* Past INT_MAX / 3 the bound is just very long (timeout= is bounded by the options). */
    unsigned dead = o->timeout_ms > INT32_MAX / 3 ? INT32_MAX : (unsigned)o->timeout_ms * 3;

    if (dead < DEAD_PEER_MIN_MS)
      dead = DEAD_PEER_MIN_MS;
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &dead, sizeof(dead));
  }
  ((socket_conn_t *)fp_conn_state(*conn))->fd = fd;
  ((socket_conn_t *)fp_conn_state(*conn))->limit = UNSENT_START;
  ((socket_conn_t *)fp_conn_state(*conn))->patience_ms =
    o->timeout_ms / 3 < DRAIN_PATIENCE_MS ? o->timeout_ms / 3 : DRAIN_PATIENCE_MS;
  return FP_OK;
}

/*
 * Follow the drain rate with `unsent` bytes in the kernel's unsent queue
 * now, and size the queue's limit to it (see the top of this file).
 */
static void follow_drain(socket_conn_t *c, int unsent)
{
  int64_t  now = fp_monotonic_ms(), elapsed = now - c->window_at;
  uint64_t drained = c->sent - (uint64_t)unsent, sample, limit;

  if (c->window_at && elapsed < RATE_WINDOW_MS)
  {
    c->window_backlog = c->window_backlog && unsent > 0;
    return;
  }
  if (c->window_at)
  {
    sample = (drained - c->window_drained) * 1000 / (uint64_t)elapsed;
    if (sample > c->rate)
      c->rate = sample;
    else if (c->window_backlog)
      c->rate = (c->rate * 3 + sample) / 4;
    limit = c->rate * UNSENT_DRAIN_MS / 1000;
    limit = limit < UNSENT_MIN ? UNSENT_MIN : limit > UNSENT_MAX ? UNSENT_MAX : limit;
    if ((int)limit != c->limit)
    {
      c->limit = (int)limit;
      setsockopt(c->fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &c->limit, sizeof(c->limit));
    }
  }
  c->window_at = now;
  c->window_drained = drained;
  c->window_backlog = unsent > 0;
}

/* What a failed send() or recv() means for the printer. */
static int socket_error(int err)
{
  switch (err)
  {
    case ECONNRESET: return FP_ERROR_DEVICE_RESET;
    case EPIPE: return FP_ERROR_DEVICE_CLOSED;
    case ETIMEDOUT: return FP_ERROR_DEVICE_GONE; /* TCP_USER_TIMEOUT: nothing acknowledged */
    default: return FP_ERROR_IO;
  }
}

/* Hand the kernel what it takes now. */
static int socket_write(fp_conn_t *conn, const uint8_t *buf, size_t len, size_t *accepted)
{
  socket_conn_t *c = fp_conn_state(conn);
  int            unsent = 0, lowat = UNSENT_MAX;
  bool           grown = false;
  ssize_t        n;
  /* At the ceiling the queue is looked at once a window, not on every write (a hot path). */
  bool           at_ceiling = c->limit >= UNSENT_MAX && c->window_at
                              && fp_monotonic_ms() - c->window_at < RATE_WINDOW_MS;

  if (!at_ceiling && ioctl(c->fd, SIOCOUTQNSD, &unsent) == 0 && unsent >= 0
      && (uint64_t)unsent <= c->sent)
  {
    uint64_t drained = c->sent - (uint64_t)unsent, room;

    follow_drain(c, unsent);
    if (c->limit < UNSENT_MAX)
    {
      /*
       * Below the limit, what is left of it (POLLOUT says when).  Above
       * it, what drained since the last write, and once the queue has not
       * moved for patience_ms, up to UNSENT_MAX as it always could: a
       * printer whose TCP window opens only every second or two (a slow
       * printer with a small buffer) shows no progress in between, and
       * timeout= must go on meaning that the printer took nothing, not
       * that the backend held back.  poll() wakes for these only at the
       * stall deadline, so a printer that drains settles at the limit.
       */
      room = (uint64_t)unsent < (uint64_t)c->limit ? (uint64_t)(c->limit - unsent) : 0;
      if (drained != c->drained || !c->moved_at)
        c->moved_at = fp_monotonic_ms();
      if (room == 0 && drained != c->drained)
        room = drained - c->drained;
      else if (room == 0 && fp_monotonic_ms() - c->moved_at >= c->patience_ms
               && unsent < UNSENT_MAX)
        room = (uint64_t)(UNSENT_MAX - unsent);
      c->drained = drained;
      if (room > 0 && (uint64_t)unsent + room > (uint64_t)c->limit)
        grown = setsockopt(c->fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat)) == 0;
      if (room == 0)
      {
        *accepted = 0;
        return FP_OK;
      }
      if (len > room)
        len = (size_t)room;
    }
    c->drained = drained;
  }
  n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (grown) /* the kernel takes no more than TCP_NOTSENT_LOWAT: lifted for this send only */
    setsockopt(c->fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &c->limit, sizeof(c->limit));

  *accepted = n > 0 ? (size_t)n : 0;
  c->sent += *accepted;
  if (n >= 0 || errno == EAGAIN || errno == EINTR)
    return FP_OK;
  return socket_error(errno);
}

/*
 * Bytes possibly lost with a broken connection: those the printer never
 * acknowledged, plus what it may have acknowledged into its buffer without
 * reading (unknowable from here: bounded by a generous guess).
 */
static uint64_t socket_in_doubt(fp_conn_t *conn)
{
  socket_conn_t  *c = fp_conn_state(conn);
  struct tcp_info info;
  socklen_t       len = sizeof(info);
  uint64_t        unacked = c->sent, acked;

  memset(&info, 0, sizeof(info));
  if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0
      && len >= offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof(info.tcpi_bytes_acked)
      && info.tcpi_bytes_acked <= c->sent)
    unacked = c->sent - info.tcpi_bytes_acked;
  acked = c->sent - unacked;
  return unacked + (acked < PEER_BUFFER_GUESS ? acked : PEER_BUFFER_GUESS);
}

/* Read back-channel data; end of stream means the printer closed the connection. */
static int socket_read(fp_conn_t *conn, uint8_t *buf, size_t len, size_t *got)
{
  socket_conn_t *c = fp_conn_state(conn);
  ssize_t        n = recv(c->fd, buf, len, MSG_DONTWAIT);

  *got = n > 0 ? (size_t)n : 0;
  if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
    return FP_OK;
  if (n == 0)
    return FP_ERROR_DEVICE_CLOSED;
  return socket_error(errno);
}

/* The socket, for poll(). */
static int socket_poll_fd(fp_conn_t *conn)
{
  socket_conn_t *c = fp_conn_state(conn);

  return c->fd;
}

/*
 * Wait until the printer has acknowledged every byte (SIOCOUTQ drops to 0).
 * Like a write, this fails only when the printer takes nothing for
 * `stall_ms`: a slow printer emptying a large window is not a failure.
 */
static int socket_drain(fp_conn_t *conn, int stall_ms)
{
  socket_conn_t *c = fp_conn_state(conn);
  int64_t        deadline = fp_monotonic_ms() + stall_ms;
  int            queued = 0, last = -1;

  while (ioctl(c->fd, SIOCOUTQ, &queued) == 0 && queued > 0)
  {
    if (last < 0 || queued < last)
      deadline = fp_monotonic_ms() + stall_ms;
    else if (fp_ms_until(deadline) == 0)
      return FP_ERROR_TIMEOUT;
    last = queued;
    poll(NULL, 0, 10);
  }
  return FP_OK;
}

/* Bytes in the kernel's send queue, unsent or not yet acknowledged by the printer. */
static uint64_t socket_queued(fp_conn_t *conn)
{
  int queued = 0;

  if (ioctl(((socket_conn_t *)fp_conn_state(conn))->fd, SIOCOUTQ, &queued) != 0 || queued < 0)
    return 0;
  return (uint64_t)queued;
}

/* AppSocket has no device ID or soft reset. */
static int socket_device_id(fp_conn_t *c, char *buf, size_t size)
{
  return FP_ERROR_NOT_SUPPORTED;
}

/* AppSocket has no printer-class soft reset. */
static int socket_soft_reset(fp_conn_t *c)
{
  return FP_ERROR_NOT_SUPPORTED;
}

/*
 * Close the connection; data still queued is delivered by the kernel.  Unread
 * back-channel data is consumed first: closing with unread data would make
 * the kernel reset the connection and drop what is still queued.
 */
static void socket_close(fp_conn_t *conn)
{
  uint8_t        discard[1024];
  socket_conn_t *c;

  if (conn)
  {
    c = fp_conn_state(conn);
    while (recv(c->fd, discard, sizeof(discard), MSG_DONTWAIT) > 0)
      ;
    shutdown(c->fd, SHUT_WR);
    close(c->fd);
    fp_conn_free(conn);
  }
}

const fp_transport_t fp_transport_socket = {
  .name = "socket",
  .address_size = sizeof(socket_address_t),
  .parse = socket_parse,
  .device_key = socket_device_key,
  .write_events = POLLOUT,
  .list = socket_list,
  .open = socket_open,
  .write = socket_write,
  .read = socket_read,
  .poll_fd = socket_poll_fd,
  .drain = socket_drain,
  .queued = socket_queued,
  .in_doubt = socket_in_doubt,
  .device_id = socket_device_id,
  .soft_reset = socket_soft_reset,
  .close = socket_close,
};

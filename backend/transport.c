/*
 * What every transport shares: the registry, the connection handle and
 * waiting writes.
 */

#include "config.h"
#include "transport.h"

#include <poll.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "flushprinter.h"
#include "status.h"

/* The registry: every transport (usb's URI is known even when libusb is not built in). */
extern const fp_transport_t fp_transport_socket, fp_transport_file, fp_transport_usb;
static const fp_transport_t *const transports[] = { &fp_transport_socket, &fp_transport_file,
                                                    &fp_transport_usb, NULL };

/* An open connection: the transport's own state, aligned for any struct. */
struct fp_conn_s
{
  size_t size;                                /* bytes of `state` */
  alignas(max_align_t) unsigned char state[]; /* the transport's own struct */
};

/* All transports, NULL-terminated. */
const fp_transport_t *const *fp_transport_list(void)
{
  return transports;
}

/* The transport for `name`, or NULL. */
const fp_transport_t *fp_transport_find(const char *name)
{
  for (int i = 0; transports[i]; i++)
    if (!strcasecmp(transports[i]->name, name))
      return transports[i];
  return NULL;
}

/* A connection holding `size` bytes of a transport's own state, zeroed. */
fp_conn_t *fp_conn_new(size_t size)
{
  fp_conn_t *conn = calloc(1, sizeof(*conn) + size);

  if (conn)
    conn->size = size;
  return conn;
}

/* The transport's own state in `conn`. */
void *fp_conn_state(fp_conn_t *conn)
{
  return conn->state;
}

/* Free a connection made by fp_conn_new(). */
void fp_conn_free(fp_conn_t *conn)
{
  free(conn);
}

/* Stop a write left in flight; `*accepted` gets the bytes of it the device took. */
int fp_transport_cancel_write(const fp_transport_t *t, fp_conn_t *conn, size_t *accepted)
{
  *accepted = 0;
  return conn && t->cancel_write ? t->cancel_write(conn, accepted) : FP_OK;
}

/* true when the connection has a back channel. */
bool fp_transport_bidirectional(const fp_transport_t *t, fp_conn_t *conn)
{
  return t->bidirectional ? conn && t->bidirectional(conn) : t->read != NULL;
}

short fp_transport_read_events(const fp_transport_t *t, fp_conn_t *conn)
{
  if (!t->read)
    return 0;
  return (t->write_events & POLLIN) || fp_transport_bidirectional(t, conn) ? POLLIN : 0;
}

/* Give up on a waiting write: count what the write in flight delivered, return `status`. */
static int stop_writing(const fp_transport_t *t, fp_conn_t *conn, int status, size_t *accepted)
{
  size_t n = 0;
  int    stopped = fp_transport_cancel_write(t, conn, &n);

  *accepted += n;
  return fp_status_device_lost(stopped) ? stopped : status;
}

/* Write all of `buf`, waiting for the device, with stall detection and cancel. */
int fp_transport_write_all(const fp_transport_t *t, fp_conn_t *conn, const uint8_t *buf,
                           size_t len, int stall_ms, int cancel_fd, size_t *accepted)
{
  int64_t stall_deadline = fp_monotonic_ms() + stall_ms;

  *accepted = 0;
  while (*accepted < len)
  {
    size_t n = 0;
    int    status = t->write(conn, buf + *accepted, len - *accepted, &n);

    *accepted += n;
    if (status)
      return status; /* a failed write leaves nothing in flight */
    if (n > 0)
    {
      stall_deadline = fp_monotonic_ms() + stall_ms;
      continue;
    }
    switch (fp_wait_fd(t->poll_fd(conn), t->write_events, cancel_fd, fp_ms_until(stall_deadline)))
    {
      case -1: return stop_writing(t, conn, FP_ERROR_CANCELED, accepted);
      case 0: return stop_writing(t, conn, FP_ERROR_TIMEOUT, accepted);
      default: break;
    }
    if (fp_ms_until(stall_deadline) == 0)
      return stop_writing(t, conn, FP_ERROR_TIMEOUT, accepted);
  }
  return FP_OK;
}

/*
 * The transports, one file each (transport-socket.c, transport-file.c,
 * transport-usb.c), listed in one registry (transport.c).  A transport is a
 * table of entry points in two parts:
 *
 * - Its URI, flushprinter+NAME:ADDRESS?OPTIONS.  options.c parses the
 *   prefix, the scheme and the options every transport shares; the
 *   transport parses ADDRESS and its own options (usb's serial=) into its
 *   own address struct, which options.c allocates with `address_size`
 *   bytes, zeroed, and keeps opaque (fp_options_t.address), and names the
 *   device in the state store.
 *
 * - Its connection.  The session holds one opaque fp_conn_t; each
 *   transport keeps its own connection struct in it (fp_conn_new() with its
 *   size, fp_conn_state() to reach it), as libusb sizes each backend's
 *   private state.
 *
 * Writes are non-blocking attempts that report exactly the bytes the device
 * (or its kernel queue, which delivers them in order) accepted;
 * fp_transport_write_all() adds waiting, stall detection and cancellation
 * on top, for every transport alike.
 *
 * Adding a transport: one transport-NAME.c defining `fp_transport_NAME`,
 * and a line for it in the registry.
 */

#ifndef FP_TRANSPORT_H
#define FP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "wait.h" /* fp_wait_fd(), which every transport and the session use */

typedef struct fp_conn_s fp_conn_t;   /* a transport's open connection */

typedef struct fp_transport_s
{
  const char *name;   /* "socket", "file", "usb": the scheme after FP_URI_PREFIX */

  /* ---- The URI ---- */

  /* Bytes of the transport's address struct (fp_options_t.address). */
  size_t address_size;

  /*
   * Parse ADDRESS, the `len` bytes after "flushprinter+NAME:" up to "?",
   * into `address`; FP_ERROR_SYNTAX with a sentence in `message`.
   */
  int (*parse)(void *address, const char *text, size_t len, char *message, size_t size);

  /*
   * Apply query option `name`=`value` that is none of the shared ones:
   * FP_OK, FP_ERROR_SYNTAX with a sentence in `message`, or
   * FP_ERROR_NOT_SUPPORTED when it is not this transport's either (NULL:
   * the transport has no options of its own).
   */
  int (*option)(void *address, const char *name, const char *value, char *message, size_t size);

  /* The device's name in the state store, once every option is in (fp_options_device_key()). */
  void (*device_key)(const void *address, char key[FP_DEVICE_KEY_MAX]);

  /*
   * Before the job starts: FP_ERROR_SYNTAX with a sentence in `message`
   * when `address` can never name a printer, however long one waits (NULL:
   * any address may come to).
   */
  int (*check)(const void *address, char *message, size_t size);

  /* ---- The connection: NULL from here on when the transport is not in this build ---- */

  /* poll() events on poll_fd() that mean a write may progress: POLLOUT, or POLLIN for an event set. */
  short write_events;

  /* Print the devices this transport can see, one lpinfo -v line each. */
  void (*list)(void);

  /*
   * Connect once (no retries), taking at most `attempt_ms` (-1: the
   * transport's own limit, which also caps `attempt_ms`).  FP_ERROR_CANCELED
   * as soon as `cancel_fd` is readable; otherwise FP_ERROR_IO,
   * FP_ERROR_TIMEOUT or FP_ERROR_BUSY with a sentence in `message`.
   */
  int (*open)(const fp_options_t *options, int cancel_fd, int attempt_ms, fp_conn_t **conn,
              char *message, size_t size);

  /*
   * Write what the device takes now without waiting; `*accepted` may be 0.
   * FP_ERROR_IO (message in errno), or when the device went away
   * FP_ERROR_DEVICE_CLOSED, FP_ERROR_DEVICE_RESET or FP_ERROR_DEVICE_GONE
   * (status.h).
   */
  int (*write)(fp_conn_t *conn, const uint8_t *buf, size_t len, size_t *accepted);

  /*
   * For transports that keep a write in flight between calls (USB: the
   * caller offers the unaccepted bytes again until they are accepted), stop
   * it; `*accepted` gets how many of the bytes offered last it delivered.
   * NULL when write() never leaves anything in flight.
   */
  int (*cancel_write)(fp_conn_t *conn, size_t *accepted);

  /* Read back-channel data available now; `*got` 0 if none.  NULL if unidirectional. */
  int (*read)(fp_conn_t *conn, uint8_t *buf, size_t len, size_t *got);

  /* true when this device has a back channel (NULL: when `read` is set). */
  bool (*bidirectional)(fp_conn_t *conn);

  /* Descriptor to poll(): POLLOUT when writable, POLLIN for back channel/hang-up. */
  int (*poll_fd)(fp_conn_t *conn);

  /* Wait until the device really has the data; fails only after `stall_ms` without progress. */
  int (*drain)(fp_conn_t *conn, int stall_ms);

  /*
   * Bytes accepted that the device has not yet taken, as far as the transport
   * sees (a wait that drains in steps measures progress by it); NULL: unknown.
   */
  uint64_t (*queued)(fp_conn_t *conn);

  /* The IEEE-1284 device ID; FP_ERROR_NOT_SUPPORTED when the device has none. */
  int (*device_id)(fp_conn_t *conn, char *buf, size_t size);

  /*
   * After a broken connection: how many bytes counted as accepted may never
   * have reached the printer (NULL: none can be lost).
   */
  uint64_t (*in_doubt)(fp_conn_t *conn);

  /* The device's own state as FP_SC_STATE_* bits (NULL or an error: unknown). */
  int (*device_state)(fp_conn_t *conn, uint8_t *bits);

  /*
   * The printer's condition from a path beside the data, whatever its
   * language (USB: GET_PORT_STATUS on the control endpoint), as FP_COND_*
   * bits (printer-status.h) in `*conditions`: 0 while nothing is known.  The
   * first call starts the watch: from then on, while a write makes no
   * progress and while the last answer named a condition, the transport asks
   * the device about once a second (and at once when a write progresses
   * again after a condition), never blocking its caller; each call gives the
   * latest answer.  FP_ERROR_NOT_SUPPORTED when this connection
   * has no such path (NULL: never).
   */
  int (*condition)(fp_conn_t *conn, unsigned *conditions);

  /* Printer-class soft reset; FP_ERROR_NOT_SUPPORTED when not applicable. */
  int (*soft_reset)(fp_conn_t *conn);

  void (*close)(fp_conn_t *conn);
} fp_transport_t;

/* The transport for `name` ("socket", ...), or NULL. */
const fp_transport_t *fp_transport_find(const char *name);

/* All transports, NULL-terminated. */
const fp_transport_t *const *fp_transport_list(void);

/* A connection holding `size` bytes of a transport's own state, zeroed; NULL without memory. */
fp_conn_t *fp_conn_new(size_t size);

/* The transport's own state in `conn`. */
void *fp_conn_state(fp_conn_t *conn);

/* Free a connection made by fp_conn_new() (what its state holds is the transport's to release). */
void fp_conn_free(fp_conn_t *conn);

/*
 * Write all of `buf`, waiting for the device.  Fails with FP_ERROR_TIMEOUT
 * when the device takes nothing for `stall_ms`, with FP_ERROR_CANCELED when
 * `cancel_fd` (if >= 0) becomes readable; `*accepted` is exact either way.
 */
int fp_transport_write_all(const fp_transport_t *t, fp_conn_t *conn, const uint8_t *buf,
                           size_t len, int stall_ms, int cancel_fd, size_t *accepted);

/* Stop a write left in flight; `*accepted` gets the bytes of it the device took. */
int fp_transport_cancel_write(const fp_transport_t *t, fp_conn_t *conn, size_t *accepted);

/* true when the connection has a back channel. */
bool fp_transport_bidirectional(const fp_transport_t *t, fp_conn_t *conn);

/*
 * The poll() events on poll_fd() that say the back channel has bytes or the
 * device hung up: POLLIN on a connection that has a back channel, and always
 * on an event set (write_events POLLIN); 0 otherwise.
 */
short fp_transport_read_events(const fp_transport_t *t, fp_conn_t *conn);

#endif /* FP_TRANSPORT_H */

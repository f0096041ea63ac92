/*
 * CUPS side-channel codec, framed by the length field.  Wire format: 1 byte
 * command, 1 byte status, 2 bytes big-endian data length, then the data
 * (as libcups frames it: cups/sidechannel.c).  libcups reads one message per read(); this
 * reader reassembles messages split or coalesced by the stream socket.
 *
 * Also defines flushprinter's private FLUSH command, sent only to a backend
 * known to be flushprinter's (fp_uri_is_flushprinter()).
 */

#ifndef FP_SIDECHANNEL_H
#define FP_SIDECHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FP_SC_HEADER_SIZE 4
#define FP_SC_MAX_DATA    65535

/* Standard commands and statuses; values equal libcups' CUPS_SC_* enums. */
enum
{
  FP_SC_CMD_SOFT_RESET = 1, FP_SC_CMD_DRAIN_OUTPUT = 2, FP_SC_CMD_GET_BIDI = 3,
  FP_SC_CMD_GET_DEVICE_ID = 4, FP_SC_CMD_GET_STATE = 5, FP_SC_CMD_SNMP_GET = 6,
  FP_SC_CMD_SNMP_GET_NEXT = 7, FP_SC_CMD_GET_CONNECTED = 8,
  FP_SC_CMD_FLUSH = 0x46       /* flushprinter private: 'F' */
};
enum
{
  FP_SC_STATUS_NONE = 0, FP_SC_STATUS_OK = 1, FP_SC_STATUS_IO_ERROR = 2,
  FP_SC_STATUS_TIMEOUT = 3, FP_SC_STATUS_NO_RESPONSE = 4,
  FP_SC_STATUS_BAD_MESSAGE = 5, FP_SC_STATUS_TOO_BIG = 6,
  FP_SC_STATUS_NOT_IMPLEMENTED = 7
};
enum { FP_SC_STATE_ONLINE = 1, FP_SC_STATE_BUSY = 2, FP_SC_STATE_ERROR = 4,
       FP_SC_STATE_MEDIA_LOW = 16, FP_SC_STATE_MEDIA_EMPTY = 32 };

/*
 * The FLUSH command.  Requests carry an operation byte first:
 *   BEGIN: op, idle_ms (BE32), total buffer length (BE32)
 *   DATA:  op, up to FP_SC_FLUSH_CHUNK buffer bytes
 *   END:   op
 * Every request gets one reply with command FP_SC_CMD_FLUSH whose data starts
 * with the fp_status_t as a negated byte (0 = FP_OK); the reply to END then
 * carries written (BE64), padding (BE64) and idle_ms (BE32).
 */
enum { FP_SC_FLUSH_BEGIN = 1, FP_SC_FLUSH_DATA = 2, FP_SC_FLUSH_END = 3 };
#define FP_SC_FLUSH_CHUNK (FP_SC_MAX_DATA - 1)

typedef struct fp_sc_message_s
{
  uint8_t  command;
  uint8_t  status;
  uint16_t len;
  uint8_t  data[FP_SC_MAX_DATA];
} fp_sc_message_t;

/* Reassembles messages from a stream; plain data, zero-initialize to start. */
typedef struct fp_sc_reader_s
{
  uint8_t buf[FP_SC_HEADER_SIZE + FP_SC_MAX_DATA];
  size_t  have;            /* bytes buffered */
  int64_t partial_since;   /* monotonic ms when an incomplete message began, 0 if none */
} fp_sc_reader_t;

/*
 * Read what is available on non-blocking `fd` (does not wait).  FP_OK when
 * something or nothing was read, FP_ERROR_BACKEND_GONE at end of file,
 * FP_ERROR_IO on a read error.
 */
int fp_sc_reader_fill(fp_sc_reader_t *reader, int fd);

/* Take the next complete message out of the reader; false if none yet. */
bool fp_sc_reader_next(fp_sc_reader_t *reader, fp_sc_message_t *message);

/* Drop an incomplete message older than `stale_ms`; true if one was dropped. */
bool fp_sc_reader_expire(fp_sc_reader_t *reader, int stale_ms);

/* Write one whole message, waiting up to `timeout_ms` for room (non-blocking fd). */
int fp_sc_send(int fd, uint8_t command, uint8_t status, const void *data,
               size_t len, int timeout_ms);

/*
 * Send a request and wait up to `timeout_ms` for the reply with the same
 * command, skipping replies to other commands.  FP_ERROR_TIMEOUT,
 * FP_ERROR_BACKEND_GONE or FP_ERROR_IO on failure.
 */
int fp_sc_request(int fd, fp_sc_reader_t *reader, uint8_t command,
                  const void *data, size_t len, fp_sc_message_t *reply,
                  int timeout_ms);

/* Big-endian helpers for message payloads. */
void     fp_put_be32(uint8_t *p, uint32_t v);
void     fp_put_be64(uint8_t *p, uint64_t v);
uint32_t fp_get_be32(const uint8_t *p);
uint64_t fp_get_be64(const uint8_t *p);

#endif /* FP_SIDECHANNEL_H */

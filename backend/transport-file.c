/*
 * Character-device transport: flushprinter+file:/dev/usb/lp0 (usblp),
 * /dev/lp0, /dev/ttyS0, a FIFO, or a plain file for tests.  The path must
 * exist: a missing device is waited for, never created.
 *
 * The back channel: a usblp device (/dev/usb/lp*, character major 180) and
 * a tty are opened for reading too, as CUPS's usb backend opens usblp, and
 * what the printer sends is read like a socket's.  usblp answers EINVAL to
 * a read on a printer without a bulk IN endpoint (then the device is
 * write-only) and EIO to a failed transfer it restarts by itself; a read of
 * 0 bytes is a zero-length packet there, not the end.  A tty is switched to
 * raw mode for the connection (no CR/LF translation, no echo of the
 * printer's replies back to it, 8 data bits; the line speed is left as
 * set) and restored at close.  Other devices (/dev/lp*, FIFOs, files) stay
 * write-only: reading a parallel port is a slow negotiation of its own.
 */

#include "transport.h"

#include <cups/backend.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../engine/device-id.h"
#include "clock.h"
#include "flushprinter.h"
#include "text.h"
#include "status.h"

/* usblp ioctls (linux/drivers/usb/class/usblp.c). */
#define LPIOC_GET_DEVICE_ID(len) _IOC(_IOC_READ, 'P', 1, len)
#define LPIOC_SOFT_RESET         _IOC(_IOC_NONE, 'P', 7, 0)
#define LPIOC_GET_PROTOCOLS(len) _IOC(_IOC_READ, 'P', 2, len)
#define USBLP_UNIDIRECTIONAL     1 /* the interface protocol usblp drives (7/1/1) */
#define READ_ERRORS_MAX          3 /* usblp: failed reads in a row before it is written only */
#define TTY_DRAIN_STEP_MS        20 /* how often a tty's drain looks at its output queue */
#define USB_CHAR_MAJOR           180 /* usblp's character devices */
#define LP_CHAR_MAJOR            6   /* parallel ports (lp) */

/* Where the device is: flushprinter+file:/PATH. */
typedef struct file_address_s
{
  char path[1024]; /* percent-decoded, absolute */
} file_address_t;

/* An open device. */
typedef struct file_conn_s
{
  int            fd;
  bool           regular;  /* a plain file */
  bool           tty;
  bool           usblp;
  bool           raw;      /* a tty switched to raw mode: restored at close */
  bool           readable; /* open for reading: the printer's back channel is read */
  unsigned       read_errors; /* usblp: failed reads in a row */
  struct termios line;     /* a tty's settings before the connection, restored at close */
} file_conn_t;

/* ---- The URI --------------------------------------------------------------- */

/* Parse "/PATH" or "///PATH". */
static int file_parse(void *address, const char *rest, size_t len, char *message, size_t size)
{
  file_address_t *a = address;

  if (len >= 2 && !strncmp(rest, "//", 2))
  {
    rest += 2;
    len -= 2;
  }
  if (len == 0 || *rest != '/' || fp_percent_decode(rest, len, a->path, sizeof(a->path)))
  {
    snprintf(message, size, "bad path in device URI: expected flushprinter+file:/ABSOLUTE/PATH");
    return FP_ERROR_SYNTAX;
  }
  return FP_OK;
}

/* The device key: "file:PATH". */
static void file_device_key(const void *address, char key[FP_DEVICE_KEY_MAX])
{
  const file_address_t *a = address;

  fp_options_device_key(key, false, "file:%s", a->path);
}

/* A directory never becomes a printer: waiting for it would not help. */
static int file_check(const void *address, char *message, size_t size)
{
  const file_address_t *a = address;
  struct stat           st;

  if (stat(a->path, &st) == 0 && S_ISDIR(st.st_mode))
  {
    snprintf(message, size, "bad path in device URI: %s is a directory, not a device", a->path);
    return FP_ERROR_SYNTAX;
  }
  return FP_OK;
}

/* ---- The connection -------------------------------------------------------- */


/* Read the IEEE-1284 device ID of an open usblp device into `buf`. */
static int read_device_id(int fd, char *buf, size_t size)
{
  uint8_t raw[FP_DEVICE_ID_MAX] = { 0 };

  if (size == 0 || ioctl(fd, LPIOC_GET_DEVICE_ID(sizeof(raw)), raw) < 0)
    return FP_ERROR_NOT_SUPPORTED;
  return fp_device_id_decode(raw, sizeof(raw), buf, size);
}

/* List printer character devices: usblp and parallel ports that answer. */
static void file_list(void)
{
  glob_t g;

  if (glob("/dev/usb/lp[0-9]*", 0, NULL, &g) != 0)
    return;
  for (size_t i = 0; i < g.gl_pathc; i++)
  {
    char        uri[1100], id[1024] = "", make[128], model[128], info[300];
    struct stat st;
    int         fd;

    if (stat(g.gl_pathv[i], &st) || !S_ISCHR(st.st_mode))
      continue;
    if ((fd = open(g.gl_pathv[i], O_RDWR | O_NONBLOCK | O_CLOEXEC)) >= 0)
    {
      read_device_id(fd, id, sizeof(id));
      close(fd);
    }
    fp_device_id_field(id, "MFG", "MANUFACTURER", make, sizeof(make));
    fp_device_id_field(id, "MDL", "MODEL", model, sizeof(model));
    snprintf(uri, sizeof(uri), "flushprinter+file:%s", g.gl_pathv[i]);
    snprintf(info, sizeof(info), "%s%s%s (flushprinter, %s)", make, make[0] ? " " : "",
             model[0] ? model : "USB printer", g.gl_pathv[i]);
    cupsBackendReport("direct", uri, make[0] ? info : "Unknown", info, id, NULL);
  }
  globfree(&g);
}

/* A character device other than a parallel port: one that may be read (usblp, a tty). */
static bool may_read(const char *path)
{
  struct stat st;

  return stat(path, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) != LP_CHAR_MAJOR;
}

/* A usblp device driving its printer's unidirectional protocol (7/1/1). */
static bool unidirectional(int fd)
{
  int protocols[2] = { 0, 0 }; /* the current protocol, and the ones the printer offers */

  return ioctl(fd, LPIOC_GET_PROTOCOLS(sizeof(protocols)), protocols) == 0
         && protocols[0] == USBLP_UNIDIRECTIONAL;
}

/*
 * Raw mode for the connection: the bytes pass as they are (no CR/LF
 * translation, no output processing, no line editing or signals) and the
 * printer's replies are not echoed back to it.  What the line is set up for
 * stays: speed, character size and parity, XON/XOFF and RTS/CTS flow
 * control, modem lines.  false when the line does not take it.
 */
static bool make_raw(file_conn_t *c)
{
  struct termios raw, now;

  if (tcgetattr(c->fd, &c->line))
    return false;
  raw = c->line;
  raw.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | INLCR | IGNCR | ICRNL | IUCLC | IMAXBEL);
  raw.c_oflag &= ~(tcflag_t)OPOST;
  raw.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL | ICANON | ISIG | IEXTEN);
  raw.c_cflag |= CREAD;
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  /* tcsetattr() succeeds when any of it took: check what did. */
  if (tcsetattr(c->fd, TCSANOW, &raw) || tcgetattr(c->fd, &now) || (now.c_lflag & (ICANON | ECHO))
      || (now.c_oflag & OPOST))
  {
    tcsetattr(c->fd, TCSANOW, &c->line);
    return false;
  }
  return true;
}

/* Open the device once; a missing device or a FIFO without a reader is "not yet". */
static int file_open(const fp_options_t *o, int cancel_fd, int attempt_ms, fp_conn_t **conn,
                     char *message, size_t size)
{
  const file_address_t *a = o->address;
  struct stat           st = { 0 }; /* all zero where fstat() fails: no file type */
  file_conn_t          *c;
  int                   flags = O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
  int                   fd = may_read(a->path) ? open(a->path, O_RDWR | flags) : -1;

  /* A device that refuses readers is written only, as before. */
  if (fd < 0 && (fd = open(a->path, O_WRONLY | flags)) < 0)
  {
    snprintf(message, size, "cannot open %s: %s", a->path, strerror(errno));
    return errno == EBUSY ? FP_ERROR_BUSY : FP_ERROR_IO;
  }
  if (!(*conn = fp_conn_new(sizeof(*c))))
  {
    close(fd);
    return FP_ERROR_NO_MEMORY;
  }
  c = fp_conn_state(*conn);
  c->fd = fd;
  c->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  c->usblp = S_ISCHR(st.st_mode) && major(st.st_rdev) == USB_CHAR_MAJOR;
  c->tty = isatty(fd);
  c->raw = c->tty && make_raw(c); /* a line that will not go raw is written as it is, not read */
  c->readable = (c->usblp || c->raw) && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR
                && !(c->usblp && unidirectional(fd));
  if (c->regular)
    lseek(fd, 0, SEEK_END);
  return FP_OK;
}

/* Write what the device takes now. */
static int file_write(fp_conn_t *conn, const uint8_t *buf, size_t len, size_t *accepted)
{
  file_conn_t *c = fp_conn_state(conn);
  ssize_t      n = write(c->fd, buf, len);

  *accepted = n > 0 ? (size_t)n : 0;
  if (n >= 0 || errno == EAGAIN || errno == EINTR)
    return FP_OK;
  return (errno == EPIPE || errno == ENODEV || errno == ENXIO) ? FP_ERROR_DEVICE_GONE
                                                                : FP_ERROR_IO;
}

/* Read what the printer has sent; nothing from a write-only device. */
static int file_read(fp_conn_t *conn, uint8_t *buf, size_t len, size_t *got)
{
  file_conn_t *c = fp_conn_state(conn);
  ssize_t      n = c->readable ? read(c->fd, buf, len) : 0;

  *got = n > 0 ? (size_t)n : 0;
  if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
    return FP_OK;
  if (c->usblp && n == 0)
    return FP_OK; /* a zero-length packet */
  if (c->usblp && n > 0)
    c->read_errors = 0;
  if (c->usblp && n < 0 && (errno == EIO || errno == EINVAL))
  {
    /* EINVAL: no bulk IN endpoint; EIO again and again: an IN pipe that only fails (usblp
       restarts the read at once, and poll() would wake for each) -- written only, then. */
    if (errno == EINVAL || ++c->read_errors >= READ_ERRORS_MAX)
      c->readable = false;
    return FP_OK;
  }
  if (!c->readable)
    return FP_OK;
  if (n == 0)
    return FP_ERROR_DEVICE_CLOSED; /* a tty hung up */
  return errno == ENODEV || errno == EIO ? FP_ERROR_DEVICE_GONE : FP_ERROR_IO;
}

/* Whether the printer's back channel is read on this connection. */
static bool file_bidirectional(fp_conn_t *conn)
{
  return ((file_conn_t *)fp_conn_state(conn))->readable;
}

/* The device, for poll(). */
static int file_poll_fd(fp_conn_t *conn)
{
  file_conn_t *c = fp_conn_state(conn);

  return c->fd;
}

/* Bytes a tty still holds for the line (TIOCOUTQ); 0 for anything else. */
static uint64_t file_queued(fp_conn_t *conn)
{
  file_conn_t *c = fp_conn_state(conn);
  int          n = 0;

  return c->tty && ioctl(c->fd, TIOCOUTQ, &n) == 0 && n > 0 ? (uint64_t)n : 0;
}

/*
 * Wait until the device has the data: a tty's output queue empty (asked in
 * steps of TTY_DRAIN_STEP_MS: a line stopped by flow control -- a printer
 * out of paper -- fails after `stall_ms` without progress, as a write does,
 * where tcdrain() would wait for ever), fsync() for a file.
 */
static int file_drain(fp_conn_t *conn, int stall_ms)
{
  file_conn_t *c = fp_conn_state(conn);

  if (c->tty)
  {
    uint64_t left = file_queued(conn), now_left;
    int64_t  deadline = fp_monotonic_ms() + stall_ms;

    while (left)
    {
      struct timespec step = { 0, TTY_DRAIN_STEP_MS * 1000000L };

      nanosleep(&step, NULL);
      if ((now_left = file_queued(conn)) < left)
        deadline = fp_monotonic_ms() + stall_ms;
      else if (fp_ms_until(deadline) == 0)
        return FP_ERROR_TIMEOUT;
      left = now_left;
    }
    return FP_OK;
  }
  if (c->regular)
    return fsync(c->fd) ? FP_ERROR_IO : FP_OK;
  return FP_OK;
}

/* The usblp device ID, if the device is one. */
static int file_device_id(fp_conn_t *conn, char *buf, size_t size)
{
  file_conn_t *c = fp_conn_state(conn);

  return read_device_id(c->fd, buf, size);
}

/* The usblp soft reset, if the device is one. */
static int file_soft_reset(fp_conn_t *conn)
{
  file_conn_t *c = fp_conn_state(conn);

  return ioctl(c->fd, LPIOC_SOFT_RESET) < 0 ? FP_ERROR_NOT_SUPPORTED : FP_OK;
}

/* Close the device. */
static void file_close(fp_conn_t *conn)
{
  if (conn)
  {
    file_conn_t *c = fp_conn_state(conn);

    if (c->raw)
      tcsetattr(c->fd, TCSANOW, &c->line);
    close(c->fd);
    fp_conn_free(conn);
  }
}

const fp_transport_t fp_transport_file = {
  .name = "file",
  .address_size = sizeof(file_address_t),
  .parse = file_parse,
  .device_key = file_device_key,
  .check = file_check,
  .write_events = POLLOUT,
  .list = file_list,
  .open = file_open,
  .write = file_write,
  .read = file_read,
  .bidirectional = file_bidirectional,
  .poll_fd = file_poll_fd,
  .drain = file_drain,
  .queued = file_queued,
  .device_id = file_device_id,
  .soft_reset = file_soft_reset,
  .close = file_close,
};

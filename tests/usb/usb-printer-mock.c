/*
 * usb-printer-mock.c: emulates USB printers at the usbdevfs level (with
 * umockdev) and runs a command under them, for tests of USB code paths on
 * machines without USB hardware or USB in the kernel.
 *
 * Usage:
 *   usb-printer-mock [--printer VID:PID:MAKE:MODEL:SERIAL[:PROTOCOL]]...
 *                    [--out FILE | --fifo PATH | --socket PORT] [--device-id STRING]
 *                    [--rate N] [--stall-after N [--stall-for MS]] [--hang-after N [--resume-after MS]]
 *                    [--paper-out-after N [--paper-out-for MS]]
 *                    [--unplug-after N [--replug-after MS]] [--absent-for MS]
 *                    [--soft-reset X] [--port-status X] [--back-channel STRING]
 *                    -- COMMAND ARGS...
 *
 *   --printer ...     one printer (repeatable; default 04b8:0e15:EPSON:TM-T20:0001):
 *                     vendor and product id in hex, the manufacturer, product
 *                     and serial strings, the interface protocol (1
 *                     unidirectional, 2 bidirectional: the default).
 *   --out FILE        append all bulk OUT data (print data) to FILE.
 *   --fifo PATH       write bulk OUT data into the FIFO PATH (e.g. one read by
 *                     tests/fp-emulator --fifo PATH); opened at a device's
 *                     first bulk OUT transfer, closed when the device is
 *                     closed, so that each open..close is one connection.
 *   --socket PORT     a printer whose engine is tests/fp-emulator --listen on
 *                     127.0.0.1:PORT: connected at a device's first bulk OUT
 *                     transfer and closed with the device, like --fifo; bulk
 *                     OUT data goes to it only as fast as it reads (the OUT
 *                     endpoint NAKs meanwhile, as a printer whose buffer is
 *                     full does), and what it sends back answers bulk IN
 *                     transfers at once (its status replies).
 *   --device-id STR   the IEEE 1284 device ID of every printer (default
 *                     "MFG:make;MDL:model;CMD:ESC/POS;CLS:PRINTER;SN:serial;").
 *   --rate N          a printer takes bulk OUT data at N bytes/s (default:
 *                     at once); a discarded transfer reports the bytes taken.
 *   --stall-after N   once N bytes are taken, the bulk OUT endpoint halts
 *                     (EPIPE) until the client clears it;
 *   --stall-for MS    ... and halts again at every transfer for MS ms (paper
 *                     out: the printer takes nothing for a while).
 *   --hang-after N    once N bytes are taken, the printer takes nothing more
 *   --resume-after MS ... until MS ms later (default: never).
 *   --paper-out-after N  once N bytes are taken, the printer is out of paper:
 *                     it takes nothing more (its bulk OUT transfers NAK until
 *                     the host's timeout), and GET_PORT_STATUS adds paper
 *                     empty (0x20) to --port-status (0x18 gives 0x38: paper
 *                     empty, selected, no error);
 *   --paper-out-for MS ... until MS ms later (default: never): then it takes
 *                     data again and reports --port-status alone.  Not with
 *                     --hang-after: the same pause, reported.
 *   --unplug-after N  once N bytes are taken, the printer is unplugged:
 *                     pending transfers end with ESHUTDOWN, every request
 *                     fails with ENODEV, the device leaves the bus;
 *   --replug-after MS ... and comes back MS ms later with a new device number.
 *   --absent-for MS   the printers are plugged in only MS ms after COMMAND starts.
 *   --soft-reset X    SOFT_RESET works only with bmRequestType X (hex: 21 or
 *                     23; the other stalls, as on devices that need 0x21).
 *   --port-status X   the GET_PORT_STATUS byte (hex, default 18: selected, no error).
 *   --back-channel S  the printer's first bulk IN answer (then it is idle).
 *
 * A PROTOCOL of 1-4 is a printer-class interface (class 7, subclass 1);
 * "hid" makes the device a keyboard (class 3), for discovery tests.  The
 * rate, stall, hang and unplug options apply to every printer.
 *
 * Printers are on bus 001 with device numbers 002, 003, ...  COMMAND runs
 * with LD_PRELOAD=libumockdev-preload.so.0 and UMOCKDEV_DIR set, so that
 * libusb in it sees the printers; the exit status is COMMAND's (128 + signal
 * number when it was killed); SIGTERM is passed on to it.  Control requests, transfer sizes, kernel
 * driver changes and soft resets are logged to stderr with the prefix
 * "usb-printer-mock: ".
 *
 * The printer answers GET_DEVICE_ID, GET_PORT_STATUS (0x18: selected, no
 * error; 0x38 while out of paper) and SOFT_RESET, the standard descriptor
 * requests, and completes each bulk IN transfer with no data after
 * IN_DELAY_MS (an idle printer).  The kernel usblp driver is emulated as
 * bound to the interface until detached.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/usbdevice_fs.h>

#include <glib.h>
#include <glib-unix.h>
#include <umockdev.h>

#define PREFIX "usb-printer-mock: "
#define IN_DELAY_MS 100     /* an idle printer's bulk IN: no data after this */
#define EAGAIN_SLEEP_US 2000 /* before answering EAGAIN to a reap (libusb polls) */
#define CLOSE_POLL_MS 20    /* how often to check whether a client closed the device */
#define EP_OUT 0x01
#define EP_IN 0x82

enum driver
{
  DRIVER_NONE,  /* no driver bound to the interface */
  DRIVER_USBLP, /* the kernel printer driver */
  DRIVER_USBFS  /* claimed by a usbdevfs client */
};

struct printer
{
  unsigned vid, pid;
  char *make, *model, *serial;
  unsigned protocol;
  int devnum;
  char *name;      /* "001/002" */
  char *devnode;   /* "/dev/bus/usb/001/002" */
  char *device_id; /* IEEE 1284 device ID */
  GByteArray *descriptors;
  UMockdevIoctlBase *handler;
  enum driver driver;
  unsigned soft_resets;
  int fifo_fd; /* --fifo: open while a client writes, else -1 */
  int sock_fd; /* --socket: connected while a client writes, else -1 */
  unsigned iface_class;
  char *syspath;
  guint64 taken;      /* bulk OUT bytes taken so far (all connections) */
  gboolean halted;    /* bulk OUT endpoint halted: fails until CLEAR_HALT */
  gboolean stalled;   /* --stall-after happened */
  gint64 stalled_at;  /* when */
  gint64 hang_since;  /* --hang-after: when it began (0: not yet) */
  gboolean resumed;
  gboolean unplugged;
  gboolean back_sent; /* --back-channel data went out */
};

/* Data on its way to the printer: taken at --rate, or not at all while hanging. */
struct pending_out
{
  UMockdevIoctlData *urb; /* owned */
  UMockdevIoctlData *buf; /* owned: the data */
  gint64 start;           /* when the printer began on it */
  int done;               /* bytes taken */
};

/* What every printer does beyond answering (--rate, --stall-after, ...); -1: never. */
struct behaviour
{
  double rate;
  gint64 stall_after, hang_after, unplug_after;
  int resume_after_ms, replug_after_ms, stall_for_ms;
  unsigned port_status;
  unsigned soft_reset_type; /* 0: both 0x21 and 0x23 work */
  const char *back_channel;
  gboolean paper_out; /* the --hang-after pause is a paper-out (--paper-out-after) */
};

static struct behaviour behaviour = {0, -1, -1, -1, -1, -1, 0, 0x18, 0, NULL, FALSE};
static UMockdevTestbed *testbed;
static int next_devnum = 2;

struct pending_in
{
  UMockdevIoctlData *urb; /* owned */
  gint64 due;             /* monotonic time of the empty completion */
};

struct client_state
{
  GQueue done;        /* completed URBs (UMockdevIoctlData *, owned), in order */
  GList *pending_in;  /* struct pending_in *, in submission order */
  GList *pending_out; /* struct pending_out *, in submission order */
};

struct options
{
  GPtrArray *printers; /* struct printer * */
  const char *out;
  const char *fifo;
  int socket_port;
  const char *device_id;
  int absent_for_ms;
  char **command;
};

static int out_fd = -1;
static const char *fifo_path;
static int socket_port; /* --socket: 0 when not */

/* Prints a usage message to stderr and exits with status 2. */
static void usage(void)
{
  fputs("Usage: usb-printer-mock [--printer VID:PID:MAKE:MODEL:SERIAL[:PROTOCOL]]...\n"
        "                        [--out FILE | --fifo PATH | --socket PORT] [--device-id STRING]\n"
        "                        [--rate N] [--stall-after N [--stall-for MS]]\n"
        "                        [--hang-after N [--resume-after MS]]\n"
        "                        [--paper-out-after N [--paper-out-for MS]]\n"
        "                        [--unplug-after N [--replug-after MS]] [--absent-for MS]\n"
        "                        [--soft-reset X] [--port-status X] [--back-channel STRING]\n"
        "                        -- COMMAND ARGS...\n",
        stderr);
  exit(2);
}

/* Parses a hexadecimal 16-bit id, exiting on garbage. */
static unsigned parse_id(const char *s)
{
  char *end;
  unsigned long v;

  errno = 0;
  v = strtoul(s, &end, 16);
  if (errno != 0 || end == s || *end != '\0' || v > 0xffff)
  {
    fprintf(stderr, PREFIX "bad USB id \"%s\"\n", s);
    exit(2);
  }
  return (unsigned)v;
}

/* Parses a decimal count (bytes, ms), exiting on garbage. */
static gint64 parse_count(const char *s)
{
  char *end;
  long long v;

  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < 0 || v > (long long)1 << 40)
  {
    fprintf(stderr, PREFIX "bad number \"%s\"\n", s);
    exit(2);
  }
  return (gint64)v;
}

/* Parses a --printer argument into a new printer. */
static struct printer *parse_printer(const char *arg)
{
  char **f = g_strsplit(arg, ":", -1);
  guint n = g_strv_length(f);
  struct printer *p;

  if (n != 5 && n != 6)
  {
    fprintf(stderr, PREFIX "bad --printer \"%s\" (VID:PID:MAKE:MODEL:SERIAL[:PROTOCOL])\n", arg);
    exit(2);
  }
  p = g_new0(struct printer, 1);
  p->vid = parse_id(f[0]);
  p->pid = parse_id(f[1]);
  p->make = g_strdup(f[2]);
  p->model = g_strdup(f[3]);
  p->serial = g_strdup(f[4]);
  p->protocol = 2;
  p->iface_class = 7;
  if (n == 6 && !strcmp(f[5], "hid"))
  {
    p->iface_class = 3;
    p->protocol = 1;
  }
  else if (n == 6)
  {
    if (strlen(f[5]) != 1 || f[5][0] < '1' || f[5][0] > '4')
    {
      fprintf(stderr, PREFIX "bad protocol \"%s\" (1-4 or hid)\n", f[5]);
      exit(2);
    }
    p->protocol = (unsigned)(f[5][0] - '0');
  }
  p->fifo_fd = -1;
  p->sock_fd = -1;
  g_strfreev(f);
  return p;
}

/* Parses the command line; exits on errors. */
static void parse_options(int argc, char **argv, struct options *o)
{
  static const struct option longopts[] = {
    {"printer", required_argument, NULL, 'p'},
    {"out", required_argument, NULL, 'o'},
    {"fifo", required_argument, NULL, 'f'},
    {"socket", required_argument, NULL, 'k'},
    {"device-id", required_argument, NULL, 'd'},
    {"rate", required_argument, NULL, 'r'},
    {"stall-after", required_argument, NULL, 'S'},
    {"hang-after", required_argument, NULL, 'H'},
    {"resume-after", required_argument, NULL, 'R'},
    {"unplug-after", required_argument, NULL, 'U'},
    {"replug-after", required_argument, NULL, 'P'},
    {"port-status", required_argument, NULL, 's'},
    {"absent-for", required_argument, NULL, 'a'},
    {"soft-reset", required_argument, NULL, 'x'},
    {"stall-for", required_argument, NULL, 'F'},
    {"back-channel", required_argument, NULL, 'b'},
    {"paper-out-after", required_argument, NULL, 'O'},
    {"paper-out-for", required_argument, NULL, 'Q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};
  int c;

  memset(o, 0, sizeof(*o));
  o->printers = g_ptr_array_new();
  while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1)
  {
    switch (c)
    {
      case 'p':
        g_ptr_array_add(o->printers, parse_printer(optarg));
        break;
      case 'o':
        o->out = optarg;
        break;
      case 'f':
        o->fifo = optarg;
        break;
      case 'k':
        o->socket_port = (int)parse_count(optarg);
        if (o->socket_port < 1 || o->socket_port > 65535)
          usage();
        break;
      case 'd':
        o->device_id = optarg;
        break;
      case 'r':
        behaviour.rate = (double)parse_count(optarg);
        break;
      case 'S':
        behaviour.stall_after = parse_count(optarg);
        break;
      case 'H':
      case 'O':
        if (behaviour.hang_after >= 0)
          usage(); /* one pause: --hang-after or --paper-out-after */
        behaviour.hang_after = parse_count(optarg);
        behaviour.paper_out = c == 'O';
        break;
      case 'R':
      case 'Q':
        behaviour.resume_after_ms = (int)parse_count(optarg);
        break;
      case 'U':
        behaviour.unplug_after = parse_count(optarg);
        break;
      case 'P':
        behaviour.replug_after_ms = (int)parse_count(optarg);
        break;
      case 's':
        behaviour.port_status = parse_id(optarg) & 0xff;
        break;
      case 'b':
        behaviour.back_channel = optarg;
        break;
      case 'a':
        o->absent_for_ms = (int)parse_count(optarg);
        break;
      case 'x':
        behaviour.soft_reset_type = parse_id(optarg);
        break;
      case 'F':
        behaviour.stall_for_ms = (int)parse_count(optarg);
        break;
      default:
        usage();
    }
  }
  if (optind >= argc || (o->out && o->fifo) || ((o->fifo || o->out) && o->socket_port))
    usage();
  o->command = argv + optind;
  if (o->printers->len == 0)
    g_ptr_array_add(o->printers, parse_printer("04b8:0e15:EPSON:TM-T20:0001"));
}

/* Appends the USB descriptors (device, configuration, interface, endpoints). */
static void build_descriptors(struct printer *p)
{
  const guint8 device[18] = {18, 1, 0x00, 0x02, 0, 0, 0, 64,
                             p->vid & 0xff, p->vid >> 8, p->pid & 0xff, p->pid >> 8,
                             0x00, 0x01, 1, 2, 3, 1};
  const guint8 config[9] = {9, 2, 32, 0, 1, 1, 0, 0xc0, 50};
  const guint8 iface[9] = {9, 4, 0, 0, 2, (guint8)p->iface_class, 1, (guint8)p->protocol, 0};
  const guint8 ep_out[7] = {7, 5, EP_OUT, 2, 0x00, 0x02, 0};
  const guint8 ep_in[7] = {7, 5, EP_IN, 2, 0x00, 0x02, 0};

  p->descriptors = g_byte_array_new();
  g_byte_array_append(p->descriptors, device, sizeof(device));
  g_byte_array_append(p->descriptors, config, sizeof(config));
  g_byte_array_append(p->descriptors, iface, sizeof(iface));
  g_byte_array_append(p->descriptors, ep_out, sizeof(ep_out));
  g_byte_array_append(p->descriptors, ep_in, sizeof(ep_in));
}

/* Returns the umockdev sysfs description of a printer (to be freed). */
static char *describe_printer(const struct printer *p)
{
  GString *s = g_string_new(NULL);
  guint i;

  g_string_append_printf(s, "P: /devices/pci0000:00/0000:00:14.0/usb1/1-%d\n", p->devnum - 1);
  g_string_append_printf(s, "N: bus/usb/%s\n", p->name);
  g_string_append_printf(s, "E: DEVNAME=%s\n", p->devnode);
  g_string_append(s, "E: DEVTYPE=usb_device\nE: DRIVER=usb\nE: SUBSYSTEM=usb\n");
  g_string_append_printf(s, "E: PRODUCT=%x/%x/100\nE: TYPE=0/0/0\n", p->vid, p->pid);
  g_string_append_printf(s, "E: BUSNUM=001\nE: DEVNUM=%03d\n", p->devnum);
  g_string_append_printf(s, "A: busnum=1\nA: devnum=%d\n", p->devnum);
  g_string_append(s, "A: bConfigurationValue=1\nA: bNumConfigurations=1\nA: bDeviceClass=00\n");
  g_string_append_printf(s, "A: idVendor=%04x\nA: idProduct=%04x\nA: bcdDevice=0100\n", p->vid,
                         p->pid);
  g_string_append_printf(s, "A: manufacturer=%s\nA: product=%s\nA: serial=%s\n", p->make, p->model,
                         p->serial);
  g_string_append(s, "A: speed=480\nA: maxchild=0\nH: descriptors=");
  for (i = 0; i < p->descriptors->len; i++)
    g_string_append_printf(s, "%02X", p->descriptors->data[i]);
  g_string_append(s, "\n");
  return g_string_free(s, FALSE);
}

/* Writes all of buf to fd; returns 0 or -1 (errno set). */
static int write_all(int fd, const guint8 *buf, size_t len)
{
  while (len > 0)
  {
    ssize_t n = write(fd, buf, len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* --socket: the connection to the printer's engine, opened on first use; -1 if it fails. */
static int engine_socket(struct printer *p)
{
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)socket_port)};
  int fd, small = 4096; /* a printer's input buffer is small: back-pressure comes soon */

  if (p->sock_fd >= 0)
    return p->sock_fd;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
  {
    fprintf(stderr, PREFIX "%s: connecting to 127.0.0.1:%d: %s\n", p->name, socket_port,
            strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  return p->sock_fd = fd;
}

/* Closes what print data went to for a client that is gone. */
static void close_sinks(struct printer *p)
{
  if (p->fifo_fd >= 0)
  {
    close(p->fifo_fd);
    p->fifo_fd = -1;
  }
  if (p->sock_fd >= 0)
  {
    close(p->sock_fd);
    p->sock_fd = -1;
  }
}

/* Delivers print data to --out, --fifo or --socket (or nowhere); returns the bytes taken
   (--socket: what the engine's connection takes now, else all). */
static size_t sink_data(struct printer *p, const guint8 *buf, size_t len)
{
  if (len == 0)
    return 0;
  if (socket_port)
  {
    int fd = engine_socket(p);
    ssize_t n = fd < 0 ? (ssize_t)len : send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
      return 0;
    if (n < 0)
      fprintf(stderr, PREFIX "%s: writing to the printer's engine: %s\n", p->name, strerror(errno));
    return n < 0 ? len : (size_t)n; /* an engine gone takes everything, as a sink would */
  }
  if (out_fd >= 0 && write_all(out_fd, buf, len) != 0)
    fprintf(stderr, PREFIX "%s: writing the output: %s\n", p->name, strerror(errno));
  if (fifo_path)
  {
    if (p->fifo_fd < 0)
    {
      p->fifo_fd = open(fifo_path, O_WRONLY | O_CLOEXEC);
      if (p->fifo_fd < 0)
        fprintf(stderr, PREFIX "%s: %s: %s\n", p->name, fifo_path, strerror(errno));
    }
    if (p->fifo_fd >= 0 && write_all(p->fifo_fd, buf, len) != 0)
      fprintf(stderr, PREFIX "%s: writing the FIFO: %s\n", p->name, strerror(errno));
  }
  return len;
}

/* true while the pause of --hang-after (--paper-out-after) lasts at `now`; notes its end. */
static gboolean hanging(struct printer *p, gint64 now)
{
  if (p->hang_since == 0 || p->resumed)
    return FALSE;
  if (behaviour.resume_after_ms < 0 || now - p->hang_since < (gint64)behaviour.resume_after_ms * 1000)
    return TRUE;
  p->resumed = TRUE;
  fprintf(stderr, PREFIX "%s: taking data again%s\n", p->name,
          behaviour.paper_out ? " (paper back)" : "");
  return FALSE;
}

/* Copies a reply into an IN control transfer's data stage; returns its length. */
static int reply(guint8 *data, unsigned wlength, const guint8 *src, size_t len)
{
  if (len > wlength)
    len = wlength;
  memcpy(data, src, len);
  return (int)len;
}

/* Answers a string descriptor request into data; returns the length or -1. */
static int string_descriptor(const struct printer *p, unsigned index, guint8 *data,
                             unsigned wlength)
{
  guint8 d[256];
  const char *s;
  size_t i, n;

  if (index == 0)
  {
    const guint8 langs[4] = {4, 3, 0x09, 0x04};

    return reply(data, wlength, langs, sizeof(langs));
  }
  s = index == 1 ? p->make : index == 2 ? p->model : index == 3 ? p->serial : NULL;
  if (s == NULL)
    return -1;
  n = strlen(s);
  if (n > 126)
    n = 126;
  d[0] = (guint8)(2 + 2 * n);
  d[1] = 3;
  for (i = 0; i < n; i++)
  {
    d[2 + 2 * i] = (guint8)s[i];
    d[3 + 2 * i] = 0;
  }
  return reply(data, wlength, d, 2 + 2 * n);
}

/* Emulates one control transfer; data is the data stage; returns its length or -1 (stall). */
static int control_transfer(struct printer *p, const guint8 *setup, guint8 *data)
{
  unsigned type = setup[0], request = setup[1];
  unsigned wvalue = setup[2] | (unsigned)setup[3] << 8;
  unsigned windex = setup[4] | (unsigned)setup[5] << 8;
  unsigned wlength = setup[6] | (unsigned)setup[7] << 8;
  int len = -1;

  if (type == 0xa1 && request == 0)
  {
    size_t idlen = strlen(p->device_id);
    guint8 *id = g_malloc(idlen + 2);

    id[0] = (guint8)((idlen + 2) >> 8);
    id[1] = (guint8)((idlen + 2) & 0xff);
    memcpy(id + 2, p->device_id, idlen);
    len = reply(data, wlength, id, idlen + 2);
    g_free(id);
    fprintf(stderr, PREFIX "%s: GET_DEVICE_ID config=%u interface=%u alt=%u wLength=%u -> %d\n",
            p->name, wvalue, windex >> 8, windex & 0xff, wlength, len);
    return len;
  }
  if (type == 0xa1 && request == 1)
  {
    const gboolean paper_out = behaviour.paper_out && hanging(p, g_get_monotonic_time());
    const guint8 status = (guint8)(behaviour.port_status | (paper_out ? 0x20 : 0));

    len = reply(data, wlength, &status, 1);
    fprintf(stderr, PREFIX "%s: GET_PORT_STATUS -> 0x%02x\n", p->name, status);
    return len;
  }
  if ((type == 0x23 || type == 0x21) && request == 2)
  {
    if (behaviour.soft_reset_type && type != behaviour.soft_reset_type)
    {
      fprintf(stderr, PREFIX "%s: SOFT_RESET bmRequestType=0x%02x refused (stall)\n", p->name, type);
      return -1;
    }
    p->soft_resets++;
    fprintf(stderr, PREFIX "%s: SOFT_RESET bmRequestType=0x%02x interface=%u (#%u)\n", p->name,
            type, windex, p->soft_resets);
    return 0;
  }
  if (type == 0x80 && request == 6)
  {
    unsigned dtype = wvalue >> 8;

    if (dtype == 1)
      len = reply(data, wlength, p->descriptors->data, 18);
    else if (dtype == 2 && (wvalue & 0xff) == 0)
      len = reply(data, wlength, p->descriptors->data + 18, p->descriptors->len - 18);
    else if (dtype == 3)
      len = string_descriptor(p, wvalue & 0xff, data, wlength);
  }
  else if (type == 0x80 && request == 0)
  {
    const guint8 status[2] = {0, 0};

    len = reply(data, wlength, status, 2);
  }
  else if (type == 0x80 && request == 8)
  {
    const guint8 config = 1;

    len = reply(data, wlength, &config, 1);
  }
  else if ((type & 0x80) == 0 && (type & 0x60) == 0)
    len = (int)wlength; /* standard OUT requests: SET_CONFIGURATION, CLEAR_FEATURE, ... */
  fprintf(stderr,
          PREFIX "%s: control bmRequestType=0x%02x bRequest=%u wValue=0x%04x wIndex=0x%04x "
                 "wLength=%u -> %s%d\n",
          p->name, type, request, wvalue, windex, wlength, len < 0 ? "stall " : "",
          len < 0 ? 0 : len);
  return len;
}

/* Returns the per-client URB state, creating it on first use. */
static struct client_state *client_state(UMockdevIoctlClient *client)
{
  struct client_state *st = g_object_get_data(G_OBJECT(client), "usb-printer-mock");

  if (st == NULL)
  {
    st = g_new0(struct client_state, 1);
    g_queue_init(&st->done);
    g_object_set_data(G_OBJECT(client), "usb-printer-mock", st);
  }
  return st;
}

/* Frees a pending bulk OUT transfer. */
static void pending_out_free(gpointer data)
{
  struct pending_out *po = data;

  g_clear_object(&po->urb);
  g_clear_object(&po->buf);
  g_free(po);
}

/* Frees a client's URB state (when the client goes away). */
static void client_state_free(struct client_state *st)
{
  GList *l;

  if (st == NULL)
    return;
  while (!g_queue_is_empty(&st->done))
    g_object_unref(g_queue_pop_head(&st->done));
  for (l = st->pending_in; l; l = l->next)
  {
    struct pending_in *pi = l->data;

    g_object_unref(pi->urb);
    g_free(pi);
  }
  g_list_free(st->pending_in);
  g_list_free_full(st->pending_out, pending_out_free);
  g_free(st);
}

/* Moves a finished bulk OUT transfer to the completed queue. */
static void finish_out(struct client_state *st, struct pending_out *po, int status)
{
  struct usbdevfs_urb *urb = (struct usbdevfs_urb *)po->urb->data;

  urb->status = status;
  urb->actual_length = po->done;
  g_queue_push_tail(&st->done, g_object_ref(po->urb));
  st->pending_out = g_list_remove(st->pending_out, po);
  pending_out_free(po);
}

/* How many more bytes the printer takes now, within --hang-after and --rate. */
static gint64 out_budget(struct printer *p, const struct pending_out *po, gint64 want, gint64 now)
{
  if (behaviour.hang_after >= 0 && !p->resumed && p->taken + want >= (guint64)behaviour.hang_after)
  {
    if (p->hang_since == 0 && p->taken >= (guint64)behaviour.hang_after)
    {
      p->hang_since = now;
      fprintf(stderr, PREFIX "%s: hanging after %" G_GUINT64_FORMAT " bytes%s\n", p->name, p->taken,
              behaviour.paper_out ? " (out of paper)" : "");
    }
    if (p->hang_since == 0 || hanging(p, now))
      want = (gint64)behaviour.hang_after - (gint64)p->taken;
  }
  if (behaviour.rate > 0)
  {
    gint64 allowed = (gint64)((double)(now - po->start) * behaviour.rate / 1e6) - po->done;

    want = MIN(want, MAX(allowed, 0));
  }
  return want;
}

/* Pulls the device off the bus: what is pending ends with ESHUTDOWN, requests fail with ENODEV. */
static void unplug(struct printer *p, struct client_state *st);

/* Lets the printer take bulk OUT data: --rate, --stall-after, --hang-after, --unplug-after. */
static void advance_out(struct printer *p, struct client_state *st)
{
  gint64 now = g_get_monotonic_time();

  /* A halted endpoint takes nothing until the halt is cleared (or the URBs are discarded). */
  while (st->pending_out && !p->unplugged && !p->halted)
  {
    struct pending_out *po = st->pending_out->data;
    struct usbdevfs_urb *urb = (struct usbdevfs_urb *)po->urb->data;
    gint64 take = out_budget(p, po, urb->buffer_length - po->done, now);
    gboolean stall = FALSE, pull = FALSE;

    if (behaviour.stall_after >= 0 && !p->stalled
        && p->taken + take >= (guint64)behaviour.stall_after)
    {
      take = (gint64)behaviour.stall_after - (gint64)p->taken;
      stall = p->stalled = p->halted = TRUE;
      p->stalled_at = now;
    }
    if (behaviour.unplug_after >= 0 && p->taken + take >= (guint64)behaviour.unplug_after)
    {
      take = (gint64)behaviour.unplug_after - (gint64)p->taken;
      pull = TRUE;
    }
    if (take > 0 && po->buf)
    {
      gint64 sunk = (gint64)sink_data(p, po->buf->data + po->done, (size_t)take);

      if (sunk < take) /* the engine takes no more now: the rest waits (NAK) */
      {
        take = sunk;
        if (stall)
          p->stalled = p->halted = FALSE; /* its byte count is not reached yet */
        stall = pull = FALSE;
      }
    }
    po->done += (int)take;
    p->taken += (guint64)take;
    if (pull)
    {
      unplug(p, st);
      return;
    }
    if (stall)
      fprintf(stderr, PREFIX "%s: bulk OUT stalled after %" G_GUINT64_FORMAT " bytes\n", p->name,
              p->taken);
    if (!stall && po->done < urb->buffer_length)
      break;
    finish_out(st, po, stall ? -EPIPE : 0);
    if (st->pending_out)
      ((struct pending_out *)st->pending_out->data)->start = now;
  }
}

/* Handles USBDEVFS_SUBMITURB: control and bulk OUT complete now, bulk IN later. */
static void submit_urb(struct printer *p, UMockdevIoctlClient *client)
{
  UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
  struct client_state *st = client_state(client);
  UMockdevIoctlData *urbdata, *buf = NULL;
  struct usbdevfs_urb *urb;
  GError *err = NULL;

  urbdata = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_urb), &err);
  if (urbdata == NULL)
  {
    fprintf(stderr, PREFIX "%s: SUBMITURB: %s\n", p->name, err ? err->message : "null URB");
    g_clear_error(&err);
    umockdev_ioctl_client_complete(client, -1, EFAULT);
    return;
  }
  urb = (struct usbdevfs_urb *)urbdata->data;
  if (urb->buffer_length > 0)
  {
    buf = umockdev_ioctl_data_resolve(urbdata, offsetof(struct usbdevfs_urb, buffer),
                                      (gsize)urb->buffer_length, &err);
    if (buf == NULL)
    {
      fprintf(stderr, PREFIX "%s: SUBMITURB buffer: %s\n", p->name,
              err ? err->message : "null buffer");
      g_clear_error(&err);
      g_object_unref(urbdata);
      umockdev_ioctl_client_complete(client, -1, EFAULT);
      return;
    }
  }
  urb = (struct usbdevfs_urb *)urbdata->data; /* resolve may not move it, but be safe */
  urb->status = 0;
  urb->actual_length = 0;
  if (urb->type == USBDEVFS_URB_TYPE_CONTROL)
  {
    int len;

    if (buf == NULL || urb->buffer_length < 8)
    {
      g_clear_object(&buf);
      g_object_unref(urbdata);
      umockdev_ioctl_client_complete(client, -1, EINVAL);
      return;
    }
    len = control_transfer(p, buf->data, buf->data + 8);
    if (len < 0)
      urb->status = -EPIPE;
    else
      urb->actual_length = len;
    g_queue_push_tail(&st->done, urbdata);
  }
  else if (urb->type == USBDEVFS_URB_TYPE_BULK && (urb->endpoint & 0x80) == 0)
  {
    struct pending_out *po = g_new0(struct pending_out, 1);

    fprintf(stderr, PREFIX "%s: bulk OUT ep 0x%02x %d bytes%s\n", p->name, urb->endpoint,
            urb->buffer_length, p->halted ? " (halted)" : "");
    po->urb = urbdata;
    po->buf = buf;
    buf = NULL;
    po->start = g_get_monotonic_time();
    st->pending_out = g_list_append(st->pending_out, po);
    if (p->stalled && g_get_monotonic_time() - p->stalled_at < (gint64)behaviour.stall_for_ms * 1000)
      p->halted = TRUE; /* --stall-for: still out of paper */
    if (p->halted)
      finish_out(st, po, -EPIPE);
    else
      advance_out(p, st);
  }
  else if (urb->type == USBDEVFS_URB_TYPE_BULK)
  {
    struct pending_in *pi = g_new0(struct pending_in, 1);

    fprintf(stderr, PREFIX "%s: bulk IN ep 0x%02x %d bytes requested\n", p->name, urb->endpoint,
            urb->buffer_length);
    pi->urb = urbdata;
    pi->due = g_get_monotonic_time() + IN_DELAY_MS * 1000;
    st->pending_in = g_list_append(st->pending_in, pi);
  }
  else
  {
    fprintf(stderr, PREFIX "%s: unsupported URB type %u ep 0x%02x\n", p->name, urb->type,
            urb->endpoint);
    g_clear_object(&buf);
    g_object_unref(urbdata);
    umockdev_ioctl_client_complete(client, -1, EINVAL);
    return;
  }
  g_clear_object(&buf);
  umockdev_ioctl_client_complete(client, 0, 0);
}

/* --socket: what the printer's engine sent answers the first pending bulk IN, or NULL. */
static UMockdevIoctlData *answer_from_engine(struct printer *p, struct client_state *st)
{
  struct pending_in *pi;
  struct usbdevfs_urb *urb;
  UMockdevIoctlData *urbdata, *buf;
  GError *err = NULL;
  ssize_t n;

  if (p->sock_fd < 0 || st->pending_in == NULL)
    return NULL;
  pi = st->pending_in->data;
  urb = (struct usbdevfs_urb *)pi->urb->data;
  buf = umockdev_ioctl_data_resolve(pi->urb, offsetof(struct usbdevfs_urb, buffer),
                                    (gsize)urb->buffer_length, &err);
  if (buf == NULL)
  {
    g_clear_error(&err);
    return NULL;
  }
  n = recv(p->sock_fd, buf->data, (size_t)urb->buffer_length, MSG_DONTWAIT);
  g_object_unref(buf);
  if (n <= 0)
    return NULL;
  st->pending_in = g_list_delete_link(st->pending_in, st->pending_in);
  urbdata = pi->urb;
  g_free(pi);
  urb = (struct usbdevfs_urb *)urbdata->data;
  urb->status = 0;
  urb->actual_length = (int)n;
  fprintf(stderr, PREFIX "%s: bulk IN answered with %zd bytes from the printer\n", p->name, n);
  return urbdata;
}

/* Takes the next completed URB of a client (the printer's answer to a bulk IN, or an overdue
   one completes empty), or NULL. */
static UMockdevIoctlData *next_completed(struct printer *p, struct client_state *st,
                                         gboolean wait)
{
  struct pending_in *pi;
  UMockdevIoctlData *urbdata;
  gint64 now;

  if (!g_queue_is_empty(&st->done))
    return g_queue_pop_head(&st->done);
  if ((urbdata = answer_from_engine(p, st)))
    return urbdata;
  if (st->pending_in == NULL)
    return NULL;
  pi = st->pending_in->data;
  now = g_get_monotonic_time();
  if (pi->due > now)
  {
    if (!wait)
      return NULL;
    g_usleep((gulong)(pi->due - now));
  }
  st->pending_in = g_list_delete_link(st->pending_in, st->pending_in);
  urbdata = pi->urb;
  g_free(pi);
  ((struct usbdevfs_urb *)urbdata->data)->status = 0;
  ((struct usbdevfs_urb *)urbdata->data)->actual_length = 0;
  return urbdata;
}

/* The first bulk IN gets --back-channel's data: fills the URB's buffer if it is due. */
static void answer_back_channel(struct printer *p, UMockdevIoctlData *urbdata)
{
  struct usbdevfs_urb *urb = (struct usbdevfs_urb *)urbdata->data;
  UMockdevIoctlData *buf;
  GError *err = NULL;
  size_t len;

  if (!behaviour.back_channel || p->back_sent || (urb->endpoint & 0x80) == 0
      || urb->type != USBDEVFS_URB_TYPE_BULK || urb->status != 0)
    return;
  len = MIN(strlen(behaviour.back_channel), (size_t)urb->buffer_length);
  buf = umockdev_ioctl_data_resolve(urbdata, offsetof(struct usbdevfs_urb, buffer),
                                    (gsize)urb->buffer_length, &err);
  if (buf == NULL)
  {
    g_clear_error(&err);
    return;
  }
  memcpy(buf->data, behaviour.back_channel, len);
  g_object_unref(buf);
  urb->actual_length = (int)len;
  p->back_sent = TRUE;
  fprintf(stderr, PREFIX "%s: bulk IN answered with %zu bytes\n", p->name, len);
}

/* Handles USBDEVFS_REAPURB(NDELAY): hands back a completed URB or fails with EAGAIN. */
static void reap_urb(struct printer *p, UMockdevIoctlClient *client, gboolean wait)
{
  UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
  struct client_state *st = client_state(client);
  UMockdevIoctlData *urbdata, *ptr;
  GError *err = NULL;

  advance_out(p, st);
  urbdata = p->unplugged ? g_queue_pop_head(&st->done) : next_completed(p, st, wait && !st->pending_out);
  if (urbdata == NULL)
  {
    if (!p->unplugged)
      g_usleep(EAGAIN_SLEEP_US);
    umockdev_ioctl_client_complete(client, -1, p->unplugged ? ENODEV : EAGAIN);
    return;
  }
  answer_back_channel(p, urbdata);
  ptr = umockdev_ioctl_data_resolve(arg, 0, sizeof(void *), &err);
  if (ptr == NULL)
  {
    fprintf(stderr, PREFIX "%s: REAPURB: %s\n", p->name, err ? err->message : "null pointer");
    g_clear_error(&err);
    g_queue_push_head(&st->done, urbdata);
    umockdev_ioctl_client_complete(client, -1, EFAULT);
    return;
  }
  umockdev_ioctl_data_set_ptr(ptr, 0, urbdata);
  g_object_unref(urbdata);
  g_object_unref(ptr);
  umockdev_ioctl_client_complete(client, 0, 0);
}

/* Handles USBDEVFS_DISCARDURB: cancels a pending bulk IN URB. */
static void discard_urb(struct printer *p, UMockdevIoctlClient *client)
{
  UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
  struct client_state *st = client_state(client);
  gulong addr = *(gulong *)arg->data;
  GList *l;

  advance_out(p, st);
  for (l = st->pending_out; l; l = l->next)
  {
    struct pending_out *po = l->data;

    if (po->urb->client_addr == addr)
    {
      fprintf(stderr, PREFIX "%s: bulk OUT URB discarded after %d of %d bytes\n", p->name,
              po->done, ((struct usbdevfs_urb *)po->urb->data)->buffer_length);
      finish_out(st, po, -ENOENT);
      umockdev_ioctl_client_complete(client, 0, 0);
      return;
    }
  }
  for (l = st->pending_in; l; l = l->next)
  {
    struct pending_in *pi = l->data;

    if (pi->urb->client_addr == addr)
    {
      ((struct usbdevfs_urb *)pi->urb->data)->status = -ENOENT;
      g_queue_push_tail(&st->done, pi->urb);
      st->pending_in = g_list_delete_link(st->pending_in, l);
      g_free(pi);
      fprintf(stderr, PREFIX "%s: bulk IN URB discarded\n", p->name);
      umockdev_ioctl_client_complete(client, 0, 0);
      return;
    }
  }
  umockdev_ioctl_client_complete(client, -1, EINVAL);
}

/* Resolves the structure an ioctl argument points to (caller unrefs), or NULL. */
static UMockdevIoctlData *resolve_arg(UMockdevIoctlClient *client, gsize size)
{
  GError *err = NULL;
  UMockdevIoctlData *d =
    umockdev_ioctl_data_resolve(umockdev_ioctl_client_get_arg(client), 0, size, &err);

  g_clear_error(&err);
  return d;
}

/* Returns the name of a kernel driver state. */
static const char *driver_name(enum driver d)
{
  return d == DRIVER_USBLP ? "usblp" : d == DRIVER_USBFS ? "usbfs" : "(none)";
}

/* Handles the interface and driver ioctls; returns the ioctl result, errno in *e. */
static long interface_ioctl(struct printer *p, UMockdevIoctlClient *client, gulong request,
                            int *e)
{
  UMockdevIoctlData *d;
  long res = 0;

  *e = 0;
  if (request == (gulong)USBDEVFS_GET_CAPABILITIES)
  {
    if ((d = resolve_arg(client, sizeof(guint32))) == NULL)
      return *e = EFAULT, -1;
    *(guint32 *)d->data = USBDEVFS_CAP_BULK_CONTINUATION | USBDEVFS_CAP_NO_PACKET_SIZE_LIM;
    g_object_unref(d);
  }
  else if (request == (gulong)USBDEVFS_CLAIMINTERFACE ||
           request == (gulong)USBDEVFS_RELEASEINTERFACE)
  {
    unsigned ifno;
    int claim = request == (gulong)USBDEVFS_CLAIMINTERFACE;

    if ((d = resolve_arg(client, sizeof(unsigned))) == NULL)
      return *e = EFAULT, -1;
    ifno = *(unsigned *)d->data;
    g_object_unref(d);
    if (ifno != 0)
      return *e = ENOENT, -1;
    if (claim && p->driver == DRIVER_USBLP)
      return *e = EBUSY, -1;
    if (!claim && p->driver != DRIVER_USBFS)
      return *e = EINVAL, -1;
    p->driver = claim ? DRIVER_USBFS : DRIVER_NONE;
    fprintf(stderr, PREFIX "%s: interface 0 %s\n", p->name, claim ? "claimed" : "released");
  }
  else if (request == (gulong)USBDEVFS_GETDRIVER)
  {
    struct usbdevfs_getdriver *gd;

    if ((d = resolve_arg(client, sizeof(struct usbdevfs_getdriver))) == NULL)
      return *e = EFAULT, -1;
    gd = (struct usbdevfs_getdriver *)d->data;
    if (gd->interface != 0)
      *e = EINVAL, res = -1;
    else if (p->driver == DRIVER_NONE)
      *e = ENODATA, res = -1;
    else
      g_strlcpy(gd->driver, driver_name(p->driver), sizeof(gd->driver));
    g_object_unref(d);
  }
  else if (request == (gulong)USBDEVFS_IOCTL)
  {
    struct usbdevfs_ioctl *io;
    int code, ifno;

    if ((d = resolve_arg(client, sizeof(struct usbdevfs_ioctl))) == NULL)
      return *e = EFAULT, -1;
    io = (struct usbdevfs_ioctl *)d->data;
    code = io->ioctl_code;
    ifno = io->ifno;
    g_object_unref(d);
    if (ifno != 0)
      return *e = EINVAL, -1;
    if (code == (int)USBDEVFS_DISCONNECT)
    {
      if (p->driver != DRIVER_USBLP)
        return *e = ENODATA, -1;
      p->driver = DRIVER_NONE;
      fprintf(stderr, PREFIX "%s: usblp detached\n", p->name);
    }
    else if (code == (int)USBDEVFS_CONNECT)
    {
      if (p->driver == DRIVER_USBFS)
        return *e = EBUSY, -1;
      p->driver = DRIVER_USBLP;
      fprintf(stderr, PREFIX "%s: usblp attached\n", p->name);
      res = 1; /* the kernel returns 1: a driver was bound */
    }
    else
      return *e = ENOTTY, -1;
  }
  else if (request == (gulong)USBDEVFS_DISCONNECT_CLAIM)
  {
    struct usbdevfs_disconnect_claim *dc;

    if ((d = resolve_arg(client, sizeof(struct usbdevfs_disconnect_claim))) == NULL)
      return *e = EFAULT, -1;
    dc = (struct usbdevfs_disconnect_claim *)d->data;
    if (dc->interface != 0)
      *e = ENOENT, res = -1;
    else
    {
      fprintf(stderr, PREFIX "%s: usblp detached, interface 0 claimed\n", p->name);
      p->driver = DRIVER_USBFS;
    }
    g_object_unref(d);
  }
  else
    return *e = ENOTTY, -1;
  return res;
}

/* The handle-ioctl signal: dispatches a client's usbdevfs ioctl. */
static gboolean on_handle_ioctl(UMockdevIoctlBase *handler, UMockdevIoctlClient *client,
                                gpointer user_data)
{
  struct printer *p = user_data;
  gulong request = umockdev_ioctl_client_get_request(client);
  long res = 0;
  int e = 0;

  if (p->unplugged && request != (gulong)USBDEVFS_REAPURBNDELAY
      && request != (gulong)USBDEVFS_REAPURB)
    umockdev_ioctl_client_complete(client, -1, ENODEV);
  else if (request == (gulong)USBDEVFS_SUBMITURB)
    submit_urb(p, client);
  else if (request == (gulong)USBDEVFS_REAPURBNDELAY)
    reap_urb(p, client, FALSE);
  else if (request == (gulong)USBDEVFS_REAPURB)
    reap_urb(p, client, TRUE);
  else if (request == (gulong)USBDEVFS_DISCARDURB)
    discard_urb(p, client);
  else
  {
    if (request == (gulong)USBDEVFS_CLEAR_HALT)
    {
      UMockdevIoctlData *d = resolve_arg(client, sizeof(unsigned));

      if (d)
        fprintf(stderr, PREFIX "%s: CLEAR_HALT ep 0x%02x\n", p->name, *(unsigned *)d->data);
      if (d && (*(unsigned *)d->data & 0x80) == 0 && p->halted)
      {
        p->halted = FALSE;
        fprintf(stderr, PREFIX "%s: bulk OUT halt cleared\n", p->name);
      }
      g_clear_object(&d);
    }
    else if (request == (gulong)USBDEVFS_SETINTERFACE ||
             request == (gulong)USBDEVFS_SETCONFIGURATION ||
             request == (gulong)USBDEVFS_RESETEP || request == (gulong)USBDEVFS_RESET)
      res = 0;
    else if (request == (gulong)USBDEVFS_GET_SPEED)
      res = 3; /* USB_SPEED_HIGH */
    else
    {
      res = interface_ioctl(p, client, request, &e);
      if (res < 0 && e == ENOTTY)
        fprintf(stderr, PREFIX "%s: unhandled ioctl 0x%lx\n", p->name, request);
    }
    umockdev_ioctl_client_complete(client, res, e);
  }
  return TRUE;
}

struct watch
{
  struct printer *p;
  UMockdevIoctlClient *client; /* owned */
};

/* Frees a client watch (the timeout source's destroy notify). */
static void watch_free(gpointer data)
{
  struct watch *w = data;

  g_object_unref(w->client);
  g_free(w);
}

/* Timeout in the handler's thread: once a client has closed the device, releases what it held. */
static gboolean check_client_closed(gpointer data)
{
  struct watch *w = data;
  struct printer *p = w->p;

  if (umockdev_ioctl_client_get_connected(w->client))
    return G_SOURCE_CONTINUE;
  if (p->driver == DRIVER_USBFS)
    p->driver = DRIVER_NONE;
  close_sinks(p);
  client_state_free(g_object_steal_data(G_OBJECT(w->client), "usb-printer-mock"));
  fprintf(stderr, PREFIX "%s: closed\n", p->name);
  return G_SOURCE_REMOVE;
}

/* client-connected: the device was opened; watch for its close (umockdev does not notify it). */
static void on_client_connected(UMockdevIoctlBase *handler, UMockdevIoctlClient *client,
                                gpointer user_data)
{
  struct watch *w = g_new0(struct watch, 1);
  GSource *source = g_timeout_source_new(CLOSE_POLL_MS);

  fprintf(stderr, PREFIX "%s: opened\n", ((struct printer *)user_data)->name);
  client_state(client);
  w->p = user_data;
  w->client = g_object_ref(client);
  g_source_set_callback(source, check_client_closed, w, watch_free);
  g_source_attach(source, g_main_context_get_thread_default());
  g_source_unref(source);
}

/* Adds a printer (with its ioctl handler) to the testbed under the next device number. */
static void add_printer(UMockdevTestbed *tb, struct printer *p, const char *device_id)
{
  GError *err = NULL;
  char *desc;

  p->devnum = next_devnum++;
  p->name = g_strdup_printf("001/%03d", p->devnum);
  p->devnode = g_strdup_printf("/dev/bus/usb/%s", p->name);
  p->syspath = g_strdup_printf("/sys/devices/pci0000:00/0000:00:14.0/usb1/1-%d", p->devnum - 1);
  p->device_id = device_id ? g_strdup(device_id)
                           : g_strdup_printf("MFG:%s;MDL:%s;CMD:ESC/POS;CLS:PRINTER;SN:%s;",
                                             p->make, p->model, p->serial);
  p->driver = DRIVER_USBLP;
  build_descriptors(p);
  p->handler = umockdev_ioctl_base_new();
  g_signal_connect(p->handler, "handle-ioctl", G_CALLBACK(on_handle_ioctl), p);
  g_signal_connect(p->handler, "client-connected", G_CALLBACK(on_client_connected), p);
  if (!umockdev_testbed_attach_ioctl(tb, p->devnode, p->handler, &err))
  {
    fprintf(stderr, PREFIX "attaching %s: %s\n", p->devnode, err->message);
    exit(2);
  }
  desc = describe_printer(p);
  if (!umockdev_testbed_add_from_string(tb, desc, &err))
  {
    fprintf(stderr, PREFIX "adding %s: %s\n", p->devnode, err->message);
    exit(2);
  }
  g_free(desc);
  fprintf(stderr, PREFIX "%s: %04x:%04x \"%s\" \"%s\" serial \"%s\" class %u protocol %u\n",
          p->name, p->vid, p->pid, p->make, p->model, p->serial, p->iface_class, p->protocol);
}

/* Timeout: the unplugged printer comes back as a new device (same identity and history). */
static gboolean replug(gpointer data)
{
  struct printer *old = data, *p = g_new0(struct printer, 1);

  p->vid = old->vid;
  p->pid = old->pid;
  p->make = old->make;
  p->model = old->model;
  p->serial = old->serial;
  p->protocol = old->protocol;
  p->iface_class = old->iface_class;
  p->fifo_fd = p->sock_fd = -1;
  p->taken = old->taken;
  p->stalled = old->stalled;
  p->resumed = old->resumed;
  p->hang_since = old->hang_since;
  p->back_sent = old->back_sent;
  add_printer(testbed, p, old->device_id);
  fprintf(stderr, PREFIX "%s: plugged in again as %s\n", old->name, p->name);
  return G_SOURCE_REMOVE;
}

static void unplug(struct printer *p, struct client_state *st)
{
  GList *l;

  p->unplugged = TRUE;
  behaviour.unplug_after = -1; /* once */
  while (st->pending_out)
    finish_out(st, st->pending_out->data, -ESHUTDOWN);
  for (l = st->pending_in; l; l = l->next)
  {
    struct pending_in *pi = l->data;

    ((struct usbdevfs_urb *)pi->urb->data)->status = -ESHUTDOWN;
    g_queue_push_tail(&st->done, pi->urb);
    g_free(pi);
  }
  g_list_free(st->pending_in);
  st->pending_in = NULL;
  close_sinks(p);
  umockdev_testbed_remove_device(testbed, p->syspath);
  fprintf(stderr, PREFIX "%s: unplugged after %" G_GUINT64_FORMAT " bytes\n", p->name, p->taken);
  if (behaviour.replug_after_ms >= 0)
    g_timeout_add((guint)behaviour.replug_after_ms, replug, p);
}

struct run
{
  GMainLoop *loop;
  int status;
};

/* Child watch: records COMMAND's exit status and stops the main loop. */
static void on_child_exit(GPid pid, gint status, gpointer user_data)
{
  struct run *r = user_data;

  if (WIFEXITED(status))
    r->status = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    r->status = 128 + WTERMSIG(status);
  else
    r->status = 1;
  g_spawn_close_pid(pid);
  g_main_loop_quit(r->loop);
}

/* SIGTERM (cupsd canceling a job): pass it on to COMMAND. */
static gboolean forward_sigterm(gpointer data)
{
  kill(GPOINTER_TO_INT(data), SIGTERM);
  fprintf(stderr, PREFIX "SIGTERM passed on\n");
  return G_SOURCE_CONTINUE;
}

/* In the child before exec: SIGPIPE back to its default action; dies with the fixture. */
static void child_setup(gpointer user_data)
{
  signal(SIGPIPE, SIG_DFL);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* Adds every --printer to the testbed (at start, or after --absent-for). */
static gboolean plug_in_all(gpointer data)
{
  struct options *o = data;
  guint i;

  for (i = 0; i < o->printers->len; i++)
    add_printer(testbed, g_ptr_array_index(o->printers, i), o->device_id);
  return G_SOURCE_REMOVE;
}

/* Entry point: sets up the printers, runs COMMAND, returns its status. */
int main(int argc, char **argv)
{
  struct options o;
  UMockdevTestbed *tb;
  struct run r = {NULL, 1};
  char **envp, *root, *preload;
  const char *old_preload;
  GError *err = NULL;
  GPid pid;

  parse_options(argc, argv, &o);
  signal(SIGPIPE, SIG_IGN);
  if (o.out)
  {
    out_fd = open(o.out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (out_fd < 0)
    {
      fprintf(stderr, PREFIX "%s: %s\n", o.out, strerror(errno));
      return 2;
    }
  }
  fifo_path = o.fifo;
  socket_port = o.socket_port;

  tb = testbed = umockdev_testbed_new();
  if (o.absent_for_ms > 0)
    g_timeout_add((guint)o.absent_for_ms, plug_in_all, &o);
  else
    plug_in_all(&o);

  root = umockdev_testbed_get_root_dir(tb);
  envp = g_get_environ();
  envp = g_environ_setenv(envp, "UMOCKDEV_DIR", root, TRUE);
  old_preload = g_environ_getenv(envp, "LD_PRELOAD");
  preload = old_preload && *old_preload
              ? g_strdup_printf("libumockdev-preload.so.0:%s", old_preload)
              : g_strdup("libumockdev-preload.so.0");
  envp = g_environ_setenv(envp, "LD_PRELOAD", preload, TRUE);

  r.loop = g_main_loop_new(NULL, FALSE);
  if (!g_spawn_async(NULL, o.command, envp,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CHILD_INHERITS_STDIN
                       | G_SPAWN_LEAVE_DESCRIPTORS_OPEN,
                     child_setup, NULL, &pid, &err))
  {
    fprintf(stderr, PREFIX "%s: %s\n", o.command[0], err->message);
    return 127;
  }
  g_child_watch_add(pid, on_child_exit, &r);
  g_unix_signal_add(SIGTERM, forward_sigterm, GINT_TO_POINTER(pid));
  g_main_loop_run(r.loop);
  fprintf(stderr, PREFIX "%s exited with status %d\n", o.command[0], r.status);

  g_main_loop_unref(r.loop);
  g_strfreev(envp);
  g_free(preload);
  g_free(root);
  g_object_unref(tb);
  if (out_fd >= 0)
    close(out_fd);
  return r.status;
}

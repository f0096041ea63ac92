/*
 * USB transport: flushprinter+usb://MAKE/MODEL?serial=SN, through libusb-1.0.
 *
 * The job claims one printer-class interface (class 7, subclass 1, protocol
 * 1 or 2; 1284.4 and IPP-over-USB interfaces are not print channels); the
 * kernel usblp driver is detached meanwhile and reattached on close.
 *
 * Writes are asynchronous bulk OUT transfers of up to OUT_CHUNK bytes, one
 * in flight at a time.  A write reports as accepted only the bytes of a
 * finished transfer (completed, timed out, stalled or canceled: libusb
 * counts the bytes the device acknowledged), so the count is exact; the
 * caller offers the same unaccepted bytes again until they are.  A transfer
 * times out after OUT_SLICE_MS (or half of timeout=) so that a slow device
 * still shows progress; the session decides when no progress is a failure.
 * A stalled endpoint is cleared and the rest resent after a pause, for as
 * long as the session waits.  On a bidirectional interface one bulk
 * IN transfer is always pending for the back channel.  Once the session
 * watches the printer's condition (status=), a transfer that ends without
 * taking a byte starts GET_PORT_STATUS on the control endpoint, asynchronous
 * like the rest and repeated about once a second while the printer takes
 * nothing or reports a condition: a printer out of paper stops reading its
 * bulk pipe, but still answers there.
 *
 * libusb's descriptors and a timer (back-channel retries) sit in one epoll
 * set: the session polls its descriptor for input, and every wake-up runs
 * libusb's event handling without blocking.  No thread, no busy polling.
 *
 * Without libusb-1.0 only the URI part is built: such URIs still parse, and
 * the backend says that the transport is not in this build.
 */

#include "config.h"
#include "transport.h"

#include <cups/backend.h>
#include <errno.h>
#ifdef HAVE_LIBUSB
#include <libusb.h>
#endif
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../engine/device-id.h"
#include "../engine/printer-status.h"
#include "clock.h"
#include "flushprinter.h"
#include "status.h"
#include "log.h"
#include "sidechannel.h"
#include "text.h"

/* Where the printer is: flushprinter+usb://MAKE/MODEL?serial=SN. */
typedef struct usb_address_s
{
  char make[128]; /* percent-decoded */
  char model[128];
  char serial[128]; /* "" matches any */
} usb_address_t;

/* ---- The URI --------------------------------------------------------------- */

/* Parse "//MAKE/MODEL" (the serial comes as an option). */
static int usb_parse(void *address, const char *rest, size_t len, char *message, size_t size)
{
  usb_address_t *a = address;
  const char    *make = rest + 2, *slash;

  if (len < 4 || strncmp(rest, "//", 2) || !(slash = memchr(make, '/', len - 2))
      || fp_percent_decode(make, (size_t)(slash - make), a->make, sizeof(a->make))
      || fp_percent_decode(slash + 1, (size_t)(rest + len - slash - 1), a->model,
                           sizeof(a->model))
      || !a->make[0] || !a->model[0])
  {
    snprintf(message, size, "bad device in URI: expected flushprinter+usb://MAKE/MODEL?serial=SN");
    return FP_ERROR_SYNTAX;
  }
  return FP_OK;
}

/* serial=SN: the one option of the usb transport. */
static int usb_option(void *address, const char *name, const char *value, char *message,
                      size_t size)
{
  usb_address_t *a = address;

  if (strcmp(name, "serial"))
    return FP_ERROR_NOT_SUPPORTED;
  if (strlen(value) >= sizeof(a->serial))
  {
    snprintf(message, size, "option 'serial' is too long");
    return FP_ERROR_SYNTAX;
  }
  snprintf(a->serial, sizeof(a->serial), "%s", value);
  return FP_OK;
}

/* The device key: "usb://MAKE/MODEL?serial=SN". */
static void usb_device_key(const void *address, char key[FP_DEVICE_KEY_MAX])
{
  const usb_address_t *a = address;

  fp_options_device_key(key, false, "usb://%s/%s?serial=%s", a->make, a->model, a->serial);
}

#ifdef HAVE_LIBUSB
/* ---- The connection (libusb-1.0) -------------------------------------------- */

#define OUT_CHUNK (64 * 1024)      /* bytes of one bulk OUT transfer */
#define OUT_SLICE_MS 1000          /* a bulk OUT transfer reports its progress this often, */
                                   /* or at half the stall timeout= when that is shorter */
#define OUT_STALL_PAUSE_MS 100     /* after a stall without progress, before resending */
#define IN_SIZE 4096               /* bytes of one bulk IN transfer */
#define IN_RETRY_MS 250            /* pause before re-reading after an empty or failed read */
#define CONTROL_TIMEOUT_MS 5000    /* control requests: device ID, soft reset */
#define STATUS_TIMEOUT_MS 1000     /* GET_PORT_STATUS for the side channel: a filter waits */
#define PORT_WATCH_MS 1000         /* GET_PORT_STATUS while the printer takes nothing: this often */
#define CANCEL_WAIT_MS 6000        /* a canceled transfer may take this long to come back */
#define FALLBACK_BUSY_MS 1         /* polling an unwatchable descriptor while writing */
#define FALLBACK_IDLE_MS 50        /* ... while only the back channel is read */

/* Printer-class requests (USB Device Class Definition for Printing Devices 1.1). */
#define PRINTER_GET_DEVICE_ID 0
#define PRINTER_GET_PORT_STATUS 1
#define PRINTER_SOFT_RESET 2
#define PORT_STATUS_REQUEST_TYPE \
  (LIBUSB_ENDPOINT_IN | LIBUSB_REQUEST_TYPE_CLASS | LIBUSB_RECIPIENT_INTERFACE)

/* A printer-class interface found on the bus. */
typedef struct usb_printer_s
{
  int     config_index; /* index of the configuration holding the interface */
  int     config_value; /* its bConfigurationValue */
  int     iface, altset, protocol;
  uint8_t ep_out, ep_in;
  char    make[128], model[128], serial[128];
  char    device_id[FP_DEVICE_ID_MAX];
} usb_printer_t;

/* An open connection. */
typedef struct usb_conn_s
{
  libusb_context         *ctx;
  libusb_device_handle   *handle;
  usb_printer_t           printer;
  bool                    detached; /* usblp was bound: reattach it on close */
  bool                    claimed;
  bool                    gone;     /* the device was unplugged */
  int                     epoll_fd;
  int                     timer_fd; /* wakes the caller: retries, polling fallback, unread data */
  int                     unwatchable; /* libusb descriptors epoll refused (emulated devices) */
  struct libusb_transfer *out;
  bool                    out_busy; /* in flight */
  bool                    out_done; /* finished, its result not yet reported by a write */
  bool                    broken;   /* a transfer would not stop: nothing can be counted */
  int                     slice_ms; /* bulk OUT transfer timeout */
  int64_t                 out_retry_at; /* after a stall: no resend before this */
  uint8_t                 out_buf[OUT_CHUNK];
  struct libusb_transfer *in;
  bool                    in_busy;
  bool                    in_retry; /* resubmit the read at in_retry_at */
  int64_t                 in_retry_at;
  bool                    in_halted;
  size_t                  in_len, in_off; /* back-channel bytes not yet read */
  uint8_t                 in_buf[IN_SIZE];
  bool                    out_starved; /* the last bulk OUT transfer took no byte */
  bool                    port_watch;  /* condition() was called: watch GET_PORT_STATUS */
  struct libusb_transfer *port;        /* the GET_PORT_STATUS request */
  bool                    port_busy;
  int64_t                 port_next_at; /* no request before this */
  unsigned                port_conditions; /* FP_COND_* of the last answer */
  uint8_t                 port_buf[LIBUSB_CONTROL_SETUP_SIZE + 1];
} usb_conn_t;

/* ---- Descriptors and identification ---------------------------------- */

/* Find the bulk endpoints of an interface setting; false when it has no bulk OUT. */
static bool find_endpoints(const struct libusb_interface_descriptor *alt, usb_printer_t *p)
{
  p->ep_out = p->ep_in = 0;
  for (int e = 0; e < alt->bNumEndpoints; e++)
  {
    const struct libusb_endpoint_descriptor *ep = &alt->endpoint[e];

    if ((ep->bmAttributes & LIBUSB_TRANSFER_TYPE_MASK) != LIBUSB_TRANSFER_TYPE_BULK)
      continue;
    if (ep->bEndpointAddress & LIBUSB_ENDPOINT_IN)
    {
      if (!p->ep_in)
        p->ep_in = ep->bEndpointAddress;
    }
    else if (!p->ep_out)
      p->ep_out = ep->bEndpointAddress;
  }
  if (p->protocol != 2)
    p->ep_in = 0; /* unidirectional: no back channel even if an IN endpoint exists */
  return p->ep_out != 0;
}

/*
 * Call `visit` for each raw print channel of `dev` (protocol 1 or 2; the
 * bidirectional setting preferred when an interface offers both); stops and
 * returns true when `visit` does.
 */
static bool each_printer_interface(libusb_device *dev,
                                   bool (*visit)(libusb_device *, usb_printer_t *, void *),
                                   void *arg)
{
  struct libusb_device_descriptor desc;

  if (libusb_get_device_descriptor(dev, &desc))
    return false;
  for (int ci = 0; ci < desc.bNumConfigurations; ci++)
  {
    struct libusb_config_descriptor *conf;
    bool                             stop = false;

    if (libusb_get_config_descriptor(dev, (uint8_t)ci, &conf))
      continue;
    for (int i = 0; i < conf->bNumInterfaces && !stop; i++)
    {
      usb_printer_t best = { .protocol = 0 };

      for (int a = 0; a < conf->interface[i].num_altsetting; a++)
      {
        const struct libusb_interface_descriptor *alt = &conf->interface[i].altsetting[a];
        usb_printer_t                             p = { .config_index = ci,
                                                        .config_value = conf->bConfigurationValue,
                                                        .iface = alt->bInterfaceNumber,
                                                        .altset = alt->bAlternateSetting,
                                                        .protocol = alt->bInterfaceProtocol };

        if (alt->bInterfaceClass != LIBUSB_CLASS_PRINTER || alt->bInterfaceSubClass != 1
            || (p.protocol != 1 && p.protocol != 2) || !find_endpoints(alt, &p))
          continue;
        if (p.protocol > best.protocol)
          best = p;
      }
      if (best.protocol)
        stop = visit(dev, &best, arg);
    }
    libusb_free_config_descriptor(conf);
    if (stop)
      return true;
  }
  return false;
}

/* A string descriptor as ASCII into `out` ("" when absent). */
static void string_descriptor(libusb_device_handle *h, uint8_t index, char *out, size_t size)
{
  int n = index ? libusb_get_string_descriptor_ascii(h, index, (unsigned char *)out, (int)size)
                : -1;

  out[n > 0 ? (size_t)n < size ? (size_t)n : size - 1 : 0] = '\0';
}

/* GET_DEVICE_ID on an open handle whose interface may be used; FP_OK with the ID in `out`. */
static int request_device_id(libusb_device_handle *h, const usb_printer_t *p, char *out,
                             size_t size)
{
  unsigned char raw[FP_DEVICE_ID_MAX];
  int           n = libusb_control_transfer(
    h, LIBUSB_ENDPOINT_IN | LIBUSB_REQUEST_TYPE_CLASS | LIBUSB_RECIPIENT_INTERFACE,
    PRINTER_GET_DEVICE_ID, (uint16_t)p->config_index,
    (uint16_t)(p->iface << 8 | p->altset), raw, sizeof(raw) - 1, CONTROL_TIMEOUT_MS);

  if (n < 2)
    return n == LIBUSB_ERROR_NO_DEVICE ? FP_ERROR_DEVICE_GONE : FP_ERROR_IO;
  return fp_device_id_decode(raw, (size_t)n, out, size);
}

/*
 * The device ID while another driver (usblp) holds the interface: the
 * kernel publishes the one usblp read at probe time in sysfs.
 */
static int sysfs_device_id(libusb_device *dev, const usb_printer_t *p, char *out, size_t size)
{
  uint8_t ports[8];
  int     n = libusb_get_port_numbers(dev, ports, (int)sizeof(ports));
  char    path[256], *end = path + sizeof(path), *w = path;
  FILE   *f;
  size_t  len;

  if (n <= 0)
    return FP_ERROR_NOT_SUPPORTED;
  w += snprintf(w, (size_t)(end - w), "/sys/bus/usb/devices/%d-%d", libusb_get_bus_number(dev),
                ports[0]);
  for (int i = 1; i < n && w < end; i++)
    w += snprintf(w, (size_t)(end - w), ".%d", ports[i]);
  if (w < end)
    snprintf(w, (size_t)(end - w), ":%d.%d/ieee1284_id", p->config_value, p->iface);
  if (!(f = fopen(path, "re")))
    return FP_ERROR_NOT_SUPPORTED;
  len = fread(out, 1, size - 1, f);
  fclose(f);
  while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\0'))
    len--;
  out[len] = '\0';
  return len ? FP_OK : FP_ERROR_NOT_SUPPORTED;
}

/*
 * Use the interface for a moment (discovery): detach usblp if bound, claim,
 * ask for the device ID, release, reattach.  As CUPS's usb backend does,
 * but only when sysfs did not have the ID already.
 */
static int borrow_device_id(libusb_device_handle *h, const usb_printer_t *p, char *out,
                            size_t size)
{
  int attached = libusb_kernel_driver_active(h, p->iface) == 1;
  int status = FP_ERROR_BUSY;

  if (attached && libusb_detach_kernel_driver(h, p->iface))
    return FP_ERROR_BUSY;
  if (libusb_claim_interface(h, p->iface) == 0)
  {
    status = request_device_id(h, p, out, size);
    libusb_release_interface(h, p->iface);
  }
  if (attached)
    libusb_attach_kernel_driver(h, p->iface);
  return status;
}

/* Fill make, model, serial and device ID of an interface from the open device. */
static void identify(libusb_device_handle *h, usb_printer_t *p, bool claimed)
{
  struct libusb_device_descriptor desc;
  libusb_device                  *dev = libusb_get_device(h);

  p->device_id[0] = '\0';
  if (claimed)
    request_device_id(h, p, p->device_id, sizeof(p->device_id));
  else if (sysfs_device_id(dev, p, p->device_id, sizeof(p->device_id)))
    borrow_device_id(h, p, p->device_id, sizeof(p->device_id));
  fp_device_id_field(p->device_id, "MFG", "MANUFACTURER", p->make, sizeof(p->make));
  fp_device_id_field(p->device_id, "MDL", "MODEL", p->model, sizeof(p->model));
  if (libusb_get_device_descriptor(dev, &desc) == 0)
  {
    if (!p->make[0])
      string_descriptor(h, desc.iManufacturer, p->make, sizeof(p->make));
    if (!p->model[0])
      string_descriptor(h, desc.iProduct, p->model, sizeof(p->model));
    string_descriptor(h, desc.iSerialNumber, p->serial, sizeof(p->serial));
    if (!p->make[0])
      snprintf(p->make, sizeof(p->make), "Unknown");
    if (!p->model[0])
      snprintf(p->model, sizeof(p->model), "%04x-%04x", desc.idVendor, desc.idProduct);
  }
  if (!p->serial[0])
    fp_device_id_field(p->device_id, "SN", "SERN", p->serial, sizeof(p->serial));
}

/* ---- Discovery --------------------------------------------------------- */

/* Report one printer interface as an lpinfo -v line. */
static bool report_printer(libusb_device *dev, usb_printer_t *p, void *arg)
{
  libusb_device_handle *h;
  char make[400], model[400], serial[400], uri[1300], name[300], info[340];

  if (libusb_open(dev, &h))
    return false;
  identify(h, p, false);
  libusb_close(h);
  if (fp_percent_encode(p->make, make, sizeof(make)) || fp_percent_encode(p->model, model, sizeof(model))
      || fp_percent_encode(p->serial, serial, sizeof(serial)))
    return false;
  snprintf(uri, sizeof(uri), "flushprinter+usb://%s/%s%s%s", make, model,
           p->serial[0] ? "?serial=" : "", serial);
  snprintf(name, sizeof(name), "%s %s", p->make, p->model);
  snprintf(info, sizeof(info), "%s (flushprinter, USB)", name);
  cupsBackendReport("direct", uri, name, info, p->device_id, NULL);
  return false;
}

/* Call `visit` for every printer interface on the bus; true when it stopped the walk. */
static bool each_printer(libusb_context *ctx, bool (*visit)(libusb_device *, usb_printer_t *, void *),
                         void *arg)
{
  libusb_device **list;
  ssize_t         n = libusb_get_device_list(ctx, &list);
  bool            stop = false;

  for (ssize_t i = 0; i < n && !stop; i++)
    stop = each_printer_interface(list[i], visit, arg);
  if (n >= 0)
    libusb_free_device_list(list, 1);
  return stop;
}

/* List the USB printers. */
static void usb_list(void)
{
  libusb_context *ctx;

  if (libusb_init(&ctx))
    return;
  each_printer(ctx, report_printer, NULL);
  libusb_exit(ctx);
}

/* ---- Event handling ------------------------------------------------------ */

/* libusb added a descriptor to watch: add it to the epoll set. */
static void LIBUSB_CALL pollfd_added(int fd, short events, void *user_data)
{
  usb_conn_t        *c = user_data;
  struct epoll_event ev = { .events = (events & POLLIN ? EPOLLIN : 0)
                                      | (events & POLLOUT ? EPOLLOUT : 0),
                            .data.fd = fd };

  if (epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0)
    return;
  if (errno == EEXIST)
    epoll_ctl(c->epoll_fd, EPOLL_CTL_MOD, fd, &ev);
  else if (errno == EPERM)
  {
    /*
     * A descriptor epoll cannot watch is a plain file, always "ready" to
     * poll() (umockdev's emulated usbfs): poll libusb on a timer instead.
     */
    if (!c->unwatchable++)
      fp_log("DEBUG", "flushprinter: USB descriptor %d cannot be watched (emulated device?); "
             "polling every %d ms while transfers are pending", fd, FALLBACK_BUSY_MS);
  }
}

/* libusb stopped watching a descriptor. */
static void LIBUSB_CALL pollfd_removed(int fd, void *user_data)
{
  usb_conn_t *c = user_data;

  if (epoll_ctl(c->epoll_fd, EPOLL_CTL_DEL, fd, NULL) && (errno == ENOENT || errno == EPERM)
      && c->unwatchable > 0)
    c->unwatchable--;
}

/* Arm the timer to fire once after `ms` (0: as soon as possible). */
static void arm_timer(usb_conn_t *c, int ms)
{
  struct itimerspec t = { .it_value = { .tv_sec = ms / 1000,
                                        .tv_nsec = ms % 1000 * 1000000L + (ms ? 0 : 1) } };

  timerfd_settime(c->timer_fd, 0, &t, NULL);
}

/* true when the condition watch owes the device a GET_PORT_STATUS (at port_next_at). */
static bool port_due(const usb_conn_t *c)
{
  return c->port_watch && c->port && !c->port_busy && !c->gone
         && (c->out_starved || c->port_conditions);
}

/* Set the timer for the next duty: a read retry, a port status request, or polling what
   epoll cannot watch. */
static void rearm(usb_conn_t *c)
{
  int ms = -1;

  if (c->in_len > c->in_off)
    ms = 0; /* back-channel data waits for read(): wake the caller */
  else if (c->in_retry)
    ms = fp_ms_until(c->in_retry_at);
  if (c->out_retry_at && (ms < 0 || fp_ms_until(c->out_retry_at) < ms))
    ms = fp_ms_until(c->out_retry_at);
  if (port_due(c) && (ms < 0 || fp_ms_until(c->port_next_at) < ms))
    ms = fp_ms_until(c->port_next_at);
  if (c->unwatchable && (c->out_busy || c->in_busy || c->port_busy))
  {
    int tick = c->out_busy || c->port_busy ? FALLBACK_BUSY_MS : FALLBACK_IDLE_MS;

    ms = ms < 0 || tick < ms ? tick : ms;
  }
  if (ms >= 0)
    arm_timer(c, ms);
}

/* Ask for the back channel again after a pause. */
static void retry_in_later(usb_conn_t *c)
{
  c->in_retry = true;
  c->in_retry_at = fp_monotonic_ms() + IN_RETRY_MS;
}

/* Submit the back-channel read. */
static void submit_in(usb_conn_t *c)
{
  int rc;

  if (c->in_halted)
  {
    libusb_clear_halt(c->handle, c->printer.ep_in);
    c->in_halted = false;
  }
  if ((rc = libusb_submit_transfer(c->in)) == 0)
    c->in_busy = true;
  else if (rc == LIBUSB_ERROR_NO_DEVICE)
    c->gone = true;
  else
    retry_in_later(c);
}

static void LIBUSB_CALL port_finished(struct libusb_transfer *t);

/* Ask for the port status (its answer comes to port_finished). */
static void submit_port(usb_conn_t *c)
{
  int rc;

  libusb_fill_control_setup(c->port_buf, PORT_STATUS_REQUEST_TYPE, PRINTER_GET_PORT_STATUS, 0,
                            (uint16_t)c->printer.iface, 1);
  libusb_fill_control_transfer(c->port, c->handle, c->port_buf, port_finished, c,
                               STATUS_TIMEOUT_MS);
  c->port_next_at = fp_monotonic_ms() + PORT_WATCH_MS;
  if ((rc = libusb_submit_transfer(c->port)) == 0)
    c->port_busy = true;
  else if (rc == LIBUSB_ERROR_NO_DEVICE)
    c->gone = true;
}

/* Run libusb's event handling for up to `timeout_ms` (0: what is ready now); timer duties. */
static void usb_events(usb_conn_t *c, int timeout_ms)
{
  struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000 };
  uint64_t       expirations;

  libusb_handle_events_timeout_completed(c->ctx, &tv, NULL);
  if (read(c->timer_fd, &expirations, sizeof(expirations)) < 0)
    expirations = 0;
  if (c->in_retry && !c->gone && fp_ms_until(c->in_retry_at) == 0)
  {
    c->in_retry = false;
    submit_in(c);
  }
  if (port_due(c) && fp_ms_until(c->port_next_at) == 0)
    submit_port(c);
  rearm(c);
}

/* A bulk OUT transfer finished: its result waits for the next write. */
static void LIBUSB_CALL out_finished(struct libusb_transfer *t)
{
  usb_conn_t *c = t->user_data;

  c->out_busy = false;
  c->out_done = true;
  if (t->status == LIBUSB_TRANSFER_NO_DEVICE)
    c->gone = true;
}

/*
 * The port status came: its conditions are the printer's now.  No answer
 * (a timeout, a stall: the device does not keep to the class) says nothing,
 * and nothing is kept from an earlier one.
 */
static void LIBUSB_CALL port_finished(struct libusb_transfer *t)
{
  usb_conn_t *c = t->user_data;
  bool        answered = t->status == LIBUSB_TRANSFER_COMPLETED && t->actual_length == 1;
  uint8_t     port = answered ? libusb_control_transfer_get_data(t)[0] : 0;
  unsigned    was = c->port_conditions;

  c->port_busy = false;
  if (t->status == LIBUSB_TRANSFER_CANCELLED)
    return; /* the connection closes */
  c->port_conditions = answered ? fp_status_port_conditions(port) : 0;
  if (t->status == LIBUSB_TRANSFER_NO_DEVICE)
    c->gone = true;
  if (c->port_conditions != was || !answered)
    fp_log("DEBUG", "flushprinter: USB port status %s0x%02x", answered ? "" : "unanswered, ", port);
}

/* The back-channel read finished: keep its data, or retry later. */
static void LIBUSB_CALL in_finished(struct libusb_transfer *t)
{
  usb_conn_t *c = t->user_data;

  c->in_busy = false;
  switch (t->status)
  {
    case LIBUSB_TRANSFER_COMPLETED:
      if (t->actual_length > 0)
      {
        c->in_off = 0;
        c->in_len = (size_t)t->actual_length; /* read() resubmits once it is consumed */
        rearm(c);                             /* whoever ran the events: wake the reader */
        return;
      }
      break; /* an empty packet: a printer with nothing to say, ask again later */
    case LIBUSB_TRANSFER_NO_DEVICE: c->gone = true; return;
    case LIBUSB_TRANSFER_CANCELLED: return;
    case LIBUSB_TRANSFER_STALL: c->in_halted = true; break;
    default: break;
  }
  retry_in_later(c);
  rearm(c);
}

/* ---- Connection ------------------------------------------------------------ */

typedef struct match_s
{
  const usb_address_t  *address;
  libusb_device_handle *handle; /* out: the matching device, open */
  usb_printer_t         printer;
  bool                  busy;   /* a match existed but could not be opened */
} match_t;

/* true when the open device is the printer the URI names. */
static bool matches(const usb_printer_t *p, const usb_address_t *a)
{
  return !strcasecmp(p->make, a->make) && !strcasecmp(p->model, a->model)
         && (!a->serial[0] || !strcmp(p->serial, a->serial));
}

/* each_printer() visitor: open the device and keep it when it is the one wanted. */
static bool match_printer(libusb_device *dev, usb_printer_t *p, void *arg)
{
  match_t              *m = arg;
  libusb_device_handle *h;
  int                   rc = libusb_open(dev, &h);

  if (rc)
  {
    m->busy |= rc == LIBUSB_ERROR_ACCESS || rc == LIBUSB_ERROR_BUSY;
    return false;
  }
  identify(h, p, false);
  if (!matches(p, m->address))
  {
    libusb_close(h);
    return false;
  }
  m->handle = h;
  m->printer = *p;
  return true;
}

/* Detach usblp, select the configuration and setting, claim the interface. */
static int claim(usb_conn_t *c, char *message, size_t size)
{
  usb_printer_t *p = &c->printer;
  int            current = 0, rc;

  if (libusb_kernel_driver_active(c->handle, p->iface) == 1)
  {
    if ((rc = libusb_detach_kernel_driver(c->handle, p->iface)))
    {
      snprintf(message, size, "cannot detach the usblp driver: %s", libusb_strerror(rc));
      return FP_ERROR_BUSY;
    }
    c->detached = true;
  }
  if (libusb_get_configuration(c->handle, &current) == 0 && current != p->config_value
      && (rc = libusb_set_configuration(c->handle, p->config_value)))
  {
    snprintf(message, size, "cannot select configuration %d: %s", p->config_value,
             libusb_strerror(rc));
    return FP_ERROR_BUSY;
  }
  if ((rc = libusb_claim_interface(c->handle, p->iface)))
  {
    snprintf(message, size, "cannot claim the printer interface: %s", libusb_strerror(rc));
    return rc == LIBUSB_ERROR_BUSY ? FP_ERROR_BUSY : FP_ERROR_IO;
  }
  c->claimed = true;
  if (p->altset && (rc = libusb_set_interface_alt_setting(c->handle, p->iface, p->altset)))
  {
    snprintf(message, size, "cannot select alternate setting %d: %s", p->altset,
             libusb_strerror(rc));
    return FP_ERROR_IO;
  }
  return FP_OK;
}

/* The epoll set over libusb's descriptors and the timer. */
static int watch_events(usb_conn_t *c)
{
  const struct libusb_pollfd **fds;
  struct epoll_event           ev = { .events = EPOLLIN };

  if ((c->epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0
      || (c->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0)
    return FP_ERROR_IO;
  ev.data.fd = c->timer_fd;
  if (epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, c->timer_fd, &ev))
    return FP_ERROR_IO;
  if (!(fds = libusb_get_pollfds(c->ctx)))
    return FP_ERROR_IO;
  for (int i = 0; fds[i]; i++)
    pollfd_added(fds[i]->fd, fds[i]->events, c);
  libusb_free_pollfds(fds);
  libusb_set_pollfd_notifiers(c->ctx, pollfd_added, pollfd_removed, c);
  return FP_OK;
}

/* Allocate the transfers; start reading the back channel of a bidirectional printer. */
static int start_transfers(usb_conn_t *c)
{
  if (!(c->out = libusb_alloc_transfer(0)))
    return FP_ERROR_NO_MEMORY;
  if (!c->printer.ep_in)
    return FP_OK;
  if (!(c->in = libusb_alloc_transfer(0)))
    return FP_ERROR_NO_MEMORY;
  libusb_fill_bulk_transfer(c->in, c->handle, c->printer.ep_in, c->in_buf, IN_SIZE, in_finished,
                            c, 0);
  submit_in(c);
  rearm(c);
  return FP_OK;
}

static void usb_close(fp_conn_t *conn);

/* Find the printer the URI names and claim it; FP_ERROR_IO while it is not plugged in. */
static int usb_open(const fp_options_t *o, int cancel_fd, int attempt_ms, fp_conn_t **conn,
                    char *message, size_t size)
{
  const usb_address_t *a = o->address;
  match_t              m = { .address = a };
  fp_conn_t           *made;
  usb_conn_t          *c;
  int                  status;

  if (!(made = fp_conn_new(sizeof(*c))))
    return FP_ERROR_NO_MEMORY;
  c = fp_conn_state(made);
  c->epoll_fd = c->timer_fd = -1;
  c->slice_ms = o->timeout_ms / 2 < OUT_SLICE_MS ? o->timeout_ms / 2 : OUT_SLICE_MS;
  if (c->slice_ms < 50)
    c->slice_ms = 50;
  message[0] = '\0';
  if (libusb_init(&c->ctx))
  {
    fp_conn_free(made);
    snprintf(message, size, "cannot initialize libusb");
    return FP_ERROR_IO;
  }
  if (!each_printer(c->ctx, match_printer, &m))
  {
    libusb_exit(c->ctx);
    fp_conn_free(made);
    snprintf(message, size, "%s %s%s%s is %s", a->make, a->model, a->serial[0] ? " serial " : "",
             a->serial, m.busy ? "not accessible" : "not connected");
    return m.busy ? FP_ERROR_BUSY : FP_ERROR_IO;
  }
  c->handle = m.handle;
  c->printer = m.printer;
  if ((status = claim(c, message, size)) == FP_OK && (status = watch_events(c)) == FP_OK
      && (status = start_transfers(c)) != FP_OK)
    snprintf(message, size, "cannot start USB transfers");
  else if (status == FP_ERROR_IO && !message[0])
    snprintf(message, size, "cannot watch the USB device: %s", strerror(errno));
  if (status)
  {
    usb_close(made);
    return status;
  }
  fp_log("DEBUG", "flushprinter: USB %s %s serial \"%s\", interface %d.%d protocol %d, "
         "OUT 0x%02x, IN 0x%02x%s", c->printer.make, c->printer.model, c->printer.serial,
         c->printer.iface, c->printer.altset, c->printer.protocol, c->printer.ep_out,
         c->printer.ep_in, c->detached ? ", usblp detached" : "");
  *conn = made;
  return FP_OK;
}

/* ---- Data ------------------------------------------------------------------ */

/* Take the result of a finished bulk OUT transfer: the bytes it delivered. */
static int collect_out(usb_conn_t *c, size_t *accepted)
{
  struct libusb_transfer *t = c->out;
  bool                    starved;

  c->out_done = false;
  *accepted = (size_t)t->actual_length;
  if (!(starved = !*accepted && (t->status == LIBUSB_TRANSFER_TIMED_OUT
                                 || t->status == LIBUSB_TRANSFER_STALL))
      && c->out_starved && c->port_conditions)
    c->port_next_at = 0; /* reading again after a condition: ask at once whether it is gone */
  c->out_starved = starved;
  switch (t->status)
  {
    case LIBUSB_TRANSFER_COMPLETED:
    case LIBUSB_TRANSFER_TIMED_OUT: /* a slow device: report the progress, go on */
    case LIBUSB_TRANSFER_CANCELLED: return FP_OK;
    case LIBUSB_TRANSFER_STALL:
      /* Paper out, cover open...: clear, resend after a pause; timeout= decides. */
      fp_log("DEBUG", "flushprinter: USB bulk OUT stalled after %zu bytes; clearing the halt",
             *accepted);
      if (libusb_clear_halt(c->handle, c->printer.ep_out) == LIBUSB_ERROR_NO_DEVICE)
        c->gone = true;
      if (!*accepted)
        c->out_retry_at = fp_monotonic_ms() + OUT_STALL_PAUSE_MS;
      return c->gone ? FP_ERROR_DEVICE_GONE : FP_OK;
    case LIBUSB_TRANSFER_NO_DEVICE: return FP_ERROR_DEVICE_GONE;
    default: errno = EIO; return FP_ERROR_IO;
  }
}

/* Start a bulk OUT transfer of the first bytes of `buf`. */
static int submit_out(usb_conn_t *c, const uint8_t *buf, size_t len)
{
  int rc;

  if (len > OUT_CHUNK)
    len = OUT_CHUNK;
  memcpy(c->out_buf, buf, len);
  libusb_fill_bulk_transfer(c->out, c->handle, c->printer.ep_out, c->out_buf, (int)len,
                            out_finished, c, (unsigned)c->slice_ms);
  if ((rc = libusb_submit_transfer(c->out)) == 0)
  {
    c->out_busy = true;
    rearm(c);
    return FP_OK;
  }
  if (rc == LIBUSB_ERROR_NO_DEVICE)
  {
    c->gone = true;
    return FP_ERROR_DEVICE_GONE;
  }
  errno = EIO;
  return FP_ERROR_IO;
}

static int usb_cancel_write(fp_conn_t *conn, size_t *accepted);

/*
 * Report what the device took of the bytes offered last time (the caller
 * offers the unaccepted bytes again), then start on the rest.
 */
static int usb_write(fp_conn_t *conn, const uint8_t *buf, size_t len, size_t *accepted)
{
  usb_conn_t *c = fp_conn_state(conn);
  int         status = FP_OK;

  *accepted = 0;
  if (c->broken)
  {
    errno = EIO;
    return FP_ERROR_IO;
  }
  usb_events(c, 0);
  if (c->gone && c->out_busy)
  {
    /* Gone with data in flight: count what it delivered before failing. */
    int stopped = usb_cancel_write(conn, accepted);

    return stopped ? stopped : FP_ERROR_DEVICE_GONE;
  }
  if (c->out_done)
    status = collect_out(c, accepted);
  if (*accepted > len)
  {
    /* The caller broke the contract (offered less than is in flight): never overcount. */
    fp_log("DEBUG", "flushprinter: USB write offered %zu bytes, %zu were in flight", len, *accepted);
    *accepted = len;
  }
  if (status == FP_OK && c->gone)
    status = FP_ERROR_DEVICE_GONE;
  if (c->out_retry_at && fp_ms_until(c->out_retry_at) > 0)
  {
    rearm(c); /* a pause after a stall: the timer wakes the caller */
    return status;
  }
  c->out_retry_at = 0;
  if (status == FP_OK && !c->out_busy && *accepted < len)
    status = submit_out(c, buf + *accepted, len - *accepted);
  return status;
}

/* Stop the transfer in flight; `*accepted` gets the bytes it delivered. */
static int usb_cancel_write(fp_conn_t *conn, size_t *accepted)
{
  usb_conn_t *c = fp_conn_state(conn);
  int64_t     deadline = fp_monotonic_ms() + CANCEL_WAIT_MS;

  *accepted = 0;
  if (c->out_busy)
    libusb_cancel_transfer(c->out);
  while (c->out_busy && fp_ms_until(deadline) > 0)
    usb_events(c, fp_ms_until(deadline));
  if (c->out_busy)
  {
    /* Its bytes can no longer be counted: no more writes on this connection. */
    fp_log("DEBUG", "flushprinter: a canceled USB transfer did not come back");
    c->broken = true;
    return FP_ERROR_IO;
  }
  c->out_retry_at = 0;
  return c->out_done ? collect_out(c, accepted) : FP_OK;
}

/* Back-channel data received so far; resubmits the read once it is consumed. */
static int usb_read(fp_conn_t *conn, uint8_t *buf, size_t len, size_t *got)
{
  usb_conn_t *c = fp_conn_state(conn);

  *got = 0;
  usb_events(c, 0);
  if (c->in_len > c->in_off)
  {
    *got = c->in_len - c->in_off < len ? c->in_len - c->in_off : len;
    memcpy(buf, c->in_buf + c->in_off, *got);
    c->in_off += *got;
    if (c->in_off < c->in_len)
      arm_timer(c, 0); /* more to read: make sure the caller wakes again */
    else if (c->in && !c->in_busy && !c->in_retry && !c->gone)
    {
      c->in_off = c->in_len = 0;
      submit_in(c);
      rearm(c);
    }
  }
  return c->gone && !*got ? FP_ERROR_DEVICE_GONE : FP_OK;
}

/* true when the interface has a back channel. */
static bool usb_bidirectional(fp_conn_t *conn)
{
  usb_conn_t *c = fp_conn_state(conn);

  return c->printer.ep_in != 0;
}

/* The epoll set: readable when libusb or the timer has something to do. */
static int usb_poll_fd(fp_conn_t *conn)
{
  usb_conn_t *c = fp_conn_state(conn);

  return c->epoll_fd;
}

/* A finished write is on the device already: nothing waits in between. */
static int usb_drain(fp_conn_t *conn, int stall_ms)
{
  usb_conn_t *c = fp_conn_state(conn);

  usb_events(c, 0);
  return c->gone ? FP_ERROR_DEVICE_GONE : FP_OK;
}

/* GET_DEVICE_ID, live from the device. */
static int usb_device_id(fp_conn_t *conn, char *buf, size_t size)
{
  usb_conn_t *c = fp_conn_state(conn);

  return request_device_id(c->handle, &c->printer, buf, size);
}

/* GET_PORT_STATUS as side-channel state bits. */
static int usb_device_state(fp_conn_t *conn, uint8_t *bits)
{
  usb_conn_t   *c = fp_conn_state(conn);
  unsigned char port = 0;
  int           n = libusb_control_transfer(c->handle, PORT_STATUS_REQUEST_TYPE,
                                            PRINTER_GET_PORT_STATUS, 0, (uint16_t)c->printer.iface,
                                            &port, 1, STATUS_TIMEOUT_MS);

  if (n != 1)
    return n == LIBUSB_ERROR_NO_DEVICE ? FP_ERROR_DEVICE_GONE : FP_ERROR_IO;
  *bits = 0;
  if (port & FP_PORT_SELECTED)
    *bits |= FP_SC_STATE_ONLINE;
  if (port & FP_PORT_PAPER_EMPTY)
    *bits |= FP_SC_STATE_MEDIA_EMPTY;
  if (!(port & FP_PORT_NOT_ERROR))
    *bits |= FP_SC_STATE_ERROR;
  return FP_OK;
}

/* The printer's condition by GET_PORT_STATUS: the first call starts the watch. */
static int usb_condition(fp_conn_t *conn, unsigned *conditions)
{
  usb_conn_t *c = fp_conn_state(conn);

  *conditions = 0;
  if (!c->port && !(c->port = libusb_alloc_transfer(0)))
    return FP_ERROR_NO_MEMORY;
  if (!c->port_watch)
  {
    c->port_watch = true;
    rearm(c); /* a write may already be starved */
  }
  *conditions = c->port_conditions;
  return c->gone ? FP_ERROR_DEVICE_GONE : FP_OK;
}

/* Wait for the pending back-channel read to come back after a cancel; false if it does not. */
static bool stop_reading(usb_conn_t *c)
{
  int64_t deadline = fp_monotonic_ms() + CANCEL_WAIT_MS;

  if (c->in_busy)
    libusb_cancel_transfer(c->in);
  while (c->in_busy && fp_ms_until(deadline) > 0)
    usb_events(c, fp_ms_until(deadline));
  return !c->in_busy;
}

/*
 * The printer-class SOFT_RESET: recipient "other" as specified, else
 * "interface".  The device resets its bulk pipes, so the back-channel read
 * is stopped first, and both endpoints are cleared after it: that puts the
 * host's data toggles back in step with the device's (else the next job's
 * first packet could be dropped).
 */
static int usb_soft_reset(fp_conn_t *conn)
{
  static const uint8_t types[] = {
    LIBUSB_ENDPOINT_OUT | LIBUSB_REQUEST_TYPE_CLASS | LIBUSB_RECIPIENT_OTHER,
    LIBUSB_ENDPOINT_OUT | LIBUSB_REQUEST_TYPE_CLASS | LIBUSB_RECIPIENT_INTERFACE
  };
  usb_conn_t *c = fp_conn_state(conn);
  int         status = FP_ERROR_IO;

  if (!stop_reading(c))
    return FP_ERROR_IO;
  for (size_t i = 0; i < sizeof(types) && status == FP_ERROR_IO; i++)
  {
    int rc = libusb_control_transfer(c->handle, types[i], PRINTER_SOFT_RESET, 0,
                                     (uint16_t)c->printer.iface, NULL, 0, CONTROL_TIMEOUT_MS);

    if (rc >= 0)
      status = FP_OK;
    else
    {
      fp_log("DEBUG", "flushprinter: SOFT_RESET (bmRequestType 0x%02x): %s", types[i],
             libusb_strerror(rc));
      if (rc == LIBUSB_ERROR_NO_DEVICE)
        status = FP_ERROR_DEVICE_GONE;
    }
  }
  if (status == FP_OK)
  {
    libusb_clear_halt(c->handle, c->printer.ep_out);
    if (c->printer.ep_in)
      libusb_clear_halt(c->handle, c->printer.ep_in);
  }
  if (c->in && !c->gone && c->in_len == c->in_off)
  {
    c->in_retry = false;
    submit_in(c);
  }
  rearm(c);
  return status;
}

/*
 * Cancel the pending read, release the interface, give it back to usblp,
 * close; false (nothing released) when the transfers would not stop.
 */
static bool release(usb_conn_t *c)
{
  int64_t deadline = fp_monotonic_ms() + CANCEL_WAIT_MS;

  if (c->in_busy)
    libusb_cancel_transfer(c->in);
  if (c->out_busy)
    libusb_cancel_transfer(c->out);
  if (c->port_busy)
    libusb_cancel_transfer(c->port);
  c->port_watch = false; /* no new request while closing */
  while ((c->in_busy || c->out_busy || c->port_busy) && fp_ms_until(deadline) > 0)
    usb_events(c, fp_ms_until(deadline));
  if (c->in_busy || c->out_busy || c->port_busy)
  {
    /* The kernel still owns our buffers: leave everything to the process exit. */
    fp_log("DEBUG", "flushprinter: USB transfers did not stop; leaving the device as is");
    return false;
  }
  if (c->claimed)
    libusb_release_interface(c->handle, c->printer.iface);
  if (c->detached && !c->gone && libusb_attach_kernel_driver(c->handle, c->printer.iface))
    fp_log("DEBUG", "flushprinter: could not reattach the usblp driver");
  libusb_free_transfer(c->in);
  libusb_free_transfer(c->out);
  libusb_free_transfer(c->port);
  if (c->ctx && c->epoll_fd >= 0)
    libusb_set_pollfd_notifiers(c->ctx, NULL, NULL, NULL);
  if (c->handle)
    libusb_close(c->handle);
  if (c->epoll_fd >= 0)
    close(c->epoll_fd);
  if (c->timer_fd >= 0)
    close(c->timer_fd);
  libusb_exit(c->ctx);
  return true;
}

/* Release the device and free the connection (left to the process exit if transfers hang). */
static void usb_close(fp_conn_t *conn)
{
  if (conn && release(fp_conn_state(conn)))
    fp_conn_free(conn);
}

#endif /* HAVE_LIBUSB */

const fp_transport_t fp_transport_usb = {
  .name = "usb",
  .address_size = sizeof(usb_address_t),
  .parse = usb_parse,
  .option = usb_option,
  .device_key = usb_device_key,
#ifdef HAVE_LIBUSB
  .write_events = POLLIN,
  .list = usb_list,
  .open = usb_open,
  .write = usb_write,
  .cancel_write = usb_cancel_write,
  .read = usb_read,
  .bidirectional = usb_bidirectional,
  .poll_fd = usb_poll_fd,
  .drain = usb_drain,
  .device_id = usb_device_id,
  .device_state = usb_device_state,
  .condition = usb_condition,
  .soft_reset = usb_soft_reset,
  .close = usb_close,
#endif
};

/*
 * emulator.c: fp-emulator, a cheap ESC/POS receipt printer (or a DYMO
 * LabelWriter, a PCL laser printer, a ZPL label printer) for the tests and
 * the demo.
 *
 * It shows what happens to a printer when a job is cut off in the middle of a
 * raster command: the printer's parser state outlives the connection, so the
 * next job's bytes are consumed as pixels of the aborted image unless the
 * sender completes the command (e.g. with 0x00 bytes) and sends ESC @ (DYMO:
 * at least 85 ESC bytes, then ESC @; PCL: ESC E; ZPL: ~DN ^XZ).
 *
 * Usage:
 *   fp-emulator [--listen ADDR:PORT] [--fifo PATH] [--port-file FILE] [--log FILE]
 *               [--language escpos|dymo|pcl|zpl|epl] [--buffer BYTES] [--rate BYTES_PER_SEC]
 *               [--stall-after N[@CONN]] [--resume-after MS] [--close-after N[@CONN]]
 *               [--refuse-first N] [--stall-reason paper-out|cover-open] [--dumb]
 *               [--rows] [--paper FILE]
 *               [--answers N] [--feed-after MS] [--hold BYTES]
 *
 *   --listen ADDR:PORT   AppSocket (JetDirect) server; ADDR must be a loopback
 *                        address (127.x.x.x, [::1] or localhost); PORT 0 picks a
 *                        free port; a bare PORT means 127.0.0.1:PORT.
 *                        Default 127.0.0.1:9100.
 *   --fifo PATH          read a FIFO instead (created if missing, removed at exit
 *                        if created); each writer's open..EOF is one connection.
 *   --port-file FILE     once ready, write the TCP port (0 with --fifo) and '\n'
 *                        to FILE atomically (temporary file + rename).
 *   --log FILE           event log (default stderr), truncated at start.
 *   --language L         the printer's command language: escpos (default, the
 *                        model in escpos-model.c), dymo (a DYMO LabelWriter,
 *                        dymo-model.c), pcl (PJL and PCL 5, pcl-model.c),
 *                        zpl (ZPL II, zpl-model.c) or epl (EPL2, epl-model.c).
 *   --buffer BYTES       SO_RCVBUF (FIFO: pipe size) and largest read (4096).
 *   --rate BPS           drain at most BPS bytes per second (0: no limit); a token
 *                        bucket refilled while poll() waits, so senders feel
 *                        back-pressure.
 *   --stall-after N[@C]  on connection C (default 1) stop reading after N bytes,
 *                        leaving the connection open (a jammed printer).
 *   --resume-after MS    resume a stalled connection MS ms later.
 *   --close-after N[@C]  close connection C (default 1) after N bytes.
 *   --refuse-first N     close the first N accepted connections unread.
 *   --stall-reason R     what the stall is: paper-out or cover-open. The printer's
 *                        status shows it while the stall lasts (escpos: DLE EOT
 *                        answers, and automatic status back sent at once when
 *                        GS a enabled it; pcl: USTATUS DEVICE when enabled,
 *                        INFO STATUS; zpl: ~HS), and clears at the resume. Without it
 *                        a stall says nothing (a printer that is just stuck).
 *   --dumb               a printer that answers no status command; it still logs
 *                        each one it parsed ("query"), so that tests can check
 *                        that none was sent.
 *   --rows               escpos: log the GS v 0 rows printed by each read (rows).
 *   --paper FILE         escpos: write every GS v 0 row printed to FILE as the
 *                        paper shows it: double width doubles each dot, double
 *                        height writes the row twice (a dot line is the row's
 *                        width, doubled in double width, in bytes).
 *   --feed-after MS      once a --stall-reason condition clears, read again only MS
 *                        ms later (a printer feeding the new roll before it takes
 *                        data); its status says ready meanwhile.
 *   --hold BYTES         while a --stall-reason condition holds, go on reading up to
 *                        BYTES more (a page or label printer's receive buffer): they
 *                        are parsed as they arrive, so status queries among them are
 *                        answered, but what they print is logged only once the
 *                        condition clears (formats held: ZPL ~HS counts them).
 *   --answers N          a printer that sends N status replies (answers and
 *                        automatic status alike) and then falls silent, still
 *                        logging each query: a printer that stops talking.
 *
 * Connections are numbered from 1 in accept order, refused ones included, and
 * are served one at a time (the others wait in the listen backlog). The
 * language model keeps its state across connections.
 * SIGUSR1 power-cycles the printer (parser state reset); SIGTERM and SIGINT
 * log the summary and exit 0.
 *
 * Log: one line per event, written with a single write(2):
 *   T=<epoch seconds, 6 decimals> C=<conn> <event> [key=value ...]
 *   listen addr=<a> port=<p> | listen fifo=<path>     (C=0, at start)
 *   open / refused / first-byte / close bytes=<n>
 *   text text="<line>"       printable ASCII as is, \" \\ and \xHH otherwise;
 *                            zpl: the data of one field (^FD) of a format
 *   image-begin cmd=<c> bytes=<k> width=<w> height=<h>   c: gsv0, escstar, label,
 *                            raster, dg, gfa, gfb, gfc, dya, dyb, dyc, dyp
 *                            gsv0: w = bytes per row, h = rows;
 *                            escstar: w = columns, h = 8 or 24 dots;
 *                            label (dymo: a label's raster lines, from the first
 *                            SYN/ETB line to ESC E/G or ESC @): w = bytes per
 *                            line (ESC D), h = label length in dot lines (ESC L,
 *                            0 if unset), k = w * h (most the label can take);
 *                            raster (pcl: rows from ESC*r#A or the first
 *                            ESC*b#W/V to ESC*rB/C, text, FF, ESC E or the
 *                            UEL): w = ESC*r#S dots, h = ESC*r#T rows (0 if
 *                            unset), k = w/8 * h;
 *                            dg, gfa, gfb, gfc, dy* (zpl: ~DG, ^GFA/B/C, ~DY
 *                            with A/B/C/P): k = image bytes (binary: data
 *                            bytes), w = bytes per row, h = k / w
 *   image-end owner=<A> bytes=<k> zeros=<z> swallowed=<s>
 *                            dymo: k = data bytes received after SYN/ETB;
 *                            raster: k = row data bytes (ESC*b#W/V);
 *                            zpl: k = image bytes decoded (less when a ^ or
 *                            ~ cut hex data short)
 *   swallowed from=<B> owner=<A> n=<n>   (C=B) B's bytes went into A's
 *                            command; logged when the command ends or when B
 *                            ends, whichever is first
 *   pending owner=<A> cmd=<hex> remaining=<n>   a connection involved in
 *                            A's unfinished command ended
 *   reset (ESC @; pcl: ESC E; zpl: ~JR) / clear-buffers (DLE DC4 8; zpl:
 *                            ~JA, ~JX) / cut / unknown cmd=<hex>
 *   label feed=full|short lines=<n> skipped=<m>   dymo: ESC E / ESC G ended a
 *                            label of n SYN/ETB lines and m lines skipped (ESC f)
 *   label end=xz fields=<n> graphics=<g>   zpl: ^XZ printed a format of n
 *                            fields and g graphics (^GF, ^XG)
 *   page by=ff|eject|reset|uel texts=<n> images=<m>   pcl: a page of n text
 *                            lines and m rasters ejected by FF, ESC&l0H, or
 *                            ESC E or the UEL (these two only eject a page
 *                            that has marks)
 *   uel                      pcl: ESC %-12345X parsed (back to PJL)
 *   pjl text="<line>"        pcl: a PJL command line
 *   abort-download active=0|1   zpl: ~DN; 1 when its ~ cut hex data short
 *   ignored n=<n>            dymo, zpl: bytes outside any command, ignored
 *   rows owner=<A> n=<n> blank=<b> dots=<d> at=<k>   escpos with --rows: one
 *                            read printed n GS v 0 rows of A's images, b of
 *                            them all white (0x00), taking d dot lines of
 *                            paper (double height: 2 a row); logged after the
 *                            read, k bytes into the connection
 *   stall bytes=<n> / resume / power-cycle
 *   condition set=<paper-out|cover-open> / condition cleared=<...>   --stall-reason
 *   query cmd=<hex>          a status command parsed, answered or not: escpos
 *                            DLE EOT n, GS a n, GS ( H ..., GS I n, GS r n; pcl
 *                            @PJL INFO STATUS, ECHO, USTATUS lines; zpl ~HS
 *   reply data=<hex>         bytes sent back to the host on the connection;
 *                            reply-lost data=<hex> when the host does not read
 *   summary connections=<n> bytes=<n> texts=<n> images=<n> swallowed=<n> resets=<n>
 *                            (dymo: texts=0; zpl: texts = fields printed)
 * C= is the connection whose byte caused the event (0: none).
 */

#include "dymo-model.h"
#include "escpos-model.h"
#include "pcl-model.h"
#include "zpl-model.h"
#include "epl-model.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_LISTEN "127.0.0.1:9100"
#define DEFAULT_BUFFER 4096
#define MAX_BUFFER (16 * 1024 * 1024)
#define PACE_HZ 50 /* at most this many paced reads per second */
#define LOG_LINE_MAX 8192
#define LISTEN_BACKLOG 16
#define NS_PER_SEC 1000000000LL
#define HEX_MAX 64 /* command bytes shown in the log, as hex digits */

/* A byte count on one connection, for --stall-after and --close-after. */
struct trigger
{
  int set;
  uint64_t bytes;
  unsigned conn;
};

/* The command line. */
struct options
{
  const char *listen;
  const char *fifo;
  const char *port_file;
  const char *log;
  const mc_language_t *language;
  size_t buffer;
  uint64_t rate;
  struct trigger stall;
  struct trigger close;
  int64_t resume_ms; /* -1: never */
  int64_t feed_ms;   /* from the condition's end to reading again */
  uint64_t hold;     /* bytes read on while the condition holds */
  unsigned refuse_first;
  unsigned stall_reason; /* MC_COND_* the stall shows as (0: none) */
  int dumb;
  int rows;          /* --rows */
  const char *paper; /* --paper */
  uint64_t answers;
};

/* How a connection ends. */
enum close_how
{
  CLOSE_EOF,    /* the sender closed */
  CLOSE_FORCED, /* we drop it (--close-after, --refuse-first) */
  CLOSE_EXIT    /* we are exiting */
};

/* Everything the emulator holds. */
struct emulator
{
  struct options opt;
  void *model; /* the language's model */
  unsigned char *buf;
  int idle_fd;          /* listening socket, or the FIFO before a writer shows up */
  int conn_fd;          /* the connection being read, or -1 */
  unsigned conn;        /* its number */
  unsigned nconn;       /* connections accepted so far */
  uint64_t conn_bytes;  /* bytes read on the current connection */
  uint64_t total_bytes; /* bytes read on all connections */
  int stalled;          /* not reading (--stall-after) */
  int stall_done;       /* the stall of this connection is over */
  int64_t resume_at;    /* monotonic ns, -1: never */
  double tokens;        /* --rate token bucket */
  int64_t refill_at;    /* monotonic ns of the last refill */
  int fifo_created;     /* remove the FIFO at exit */
  int64_t condition_until; /* monotonic ns when the --stall-reason condition clears, -1: never */
  uint64_t stall_bytes; /* conn_bytes when the stall began (--hold counts from there) */
};

static int log_fd = STDERR_FILENO;
static int paper_fd = -1;

/* GS v 0 rows printed since they were last logged (--rows). */
static struct
{
  int on;
  unsigned conn, owner;
  uint64_t n, blank, dots;
  uint64_t at; /* bytes of the connection read so far */
} printed;
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t power_cycle_requested;

/* Writes all of `buf`, retrying on EINTR and short writes. */
static void write_all(int fd, const char *buf, size_t len)
{
  while (len > 0)
  {
    ssize_t n = write(fd, buf, len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    buf += n;
    len -= (size_t)n;
  }
}

/* What a paused printer printed (--hold): log lines without their time, written once it
   prints again. */
static struct
{
  int on;       /* log_event() keeps lines here instead of writing them */
  char *lines;
  size_t len, size;
} deferred;

/* Keeps a line (without its time) for later; dies without memory. */
static void defer_line(const char *line, size_t len)
{
  if (deferred.len + len > deferred.size)
  {
    size_t size = deferred.size ? deferred.size : 4096;

    while (size < deferred.len + len)
      size *= 2;
    if (!(deferred.lines = realloc(deferred.lines, size)))
    {
      fputs("fp-emulator: out of memory\n", stderr);
      exit(1);
    }
    deferred.size = size;
  }
  memcpy(deferred.lines + deferred.len, line, len);
  deferred.len += len;
}

/* The time prefix of a log line. */
static size_t log_time(char *line, size_t size)
{
  struct timespec ts;
  int n;

  clock_gettime(CLOCK_REALTIME, &ts);
  n = snprintf(line, size, "T=%lld.%06ld ", (long long)ts.tv_sec, ts.tv_nsec / 1000);
  return n > 0 ? (size_t)n : 0;
}

/* Logs one event line for connection `conn`. */
__attribute__((format(printf, 2, 3))) static void log_event(unsigned conn, const char *fmt, ...)
{
  char line[LOG_LINE_MAX];
  size_t len, start;
  int n;
  va_list ap;

  start = log_time(line, sizeof(line));
  n = snprintf(line + start, sizeof(line) - start, "C=%u ", conn);
  len = start + (n > 0 ? (size_t)n : 0);
  va_start(ap, fmt);
  n = vsnprintf(line + len, sizeof(line) - len - 1, fmt, ap);
  va_end(ap);
  if (n > 0)
    len += (size_t)n < sizeof(line) - len - 1 ? (size_t)n : sizeof(line) - len - 2;
  line[len++] = '\n';
  if (deferred.on)
    defer_line(line + start, len - start);
  else
    write_all(log_fd, line, len);
}

/* Writes the lines kept while the printer was paused, as printed now. */
static void log_deferred(void)
{
  char stamp[64];
  size_t stamp_len = log_time(stamp, sizeof(stamp)), at = 0;

  while (at < deferred.len)
  {
    const char *end = memchr(deferred.lines + at, '\n', deferred.len - at);
    size_t len = (size_t)(end - (deferred.lines + at)) + 1;

    write_all(log_fd, stamp, stamp_len);
    write_all(log_fd, deferred.lines + at, len);
    at += len;
  }
  deferred.len = 0;
}

/* Prints a message and exits with status 1. */
__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
  va_list ap;

  fputs("fp-emulator: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

/* Escapes a text line for the log: printable ASCII as is, \" \\ and \xHH. */
static void escape_text(const unsigned char *s, size_t len, char *out, size_t outsize)
{
  size_t o = 0, i;

  for (i = 0; i < len && o + 5 < outsize; i++)
  {
    if (s[i] == '"' || s[i] == '\\')
    {
      out[o++] = '\\';
      out[o++] = (char)s[i];
    }
    else if (s[i] >= 0x20 && s[i] < 0x7f)
      out[o++] = (char)s[i];
    else
      o += (size_t)snprintf(out + o, outsize - o, "\\x%02x", s[i]);
  }
  out[o] = '\0';
}

/* Writes bytes as lowercase hex digits. */
static void hex_bytes(const unsigned char *s, size_t len, char *out, size_t outsize)
{
  size_t o = 0, i;

  for (i = 0; i < len && o + 3 <= outsize; i++)
    o += (size_t)snprintf(out + o, outsize - o, "%02x", s[i]);
  out[o] = '\0';
}

/* Logs an unknown command. */
static void log_unknown(unsigned conn, const unsigned char *cmd, size_t len)
{
  char hex[2 * HEX_MAX + 1];

  hex_bytes(cmd, len, hex, sizeof(hex));
  log_event(conn, "unknown cmd=%s", hex);
}

/* Logs that a connection involved in `owner`'s unfinished command ended. */
static void log_pending(unsigned conn, unsigned owner, const unsigned char *cmd, size_t len,
                        uint64_t remaining)
{
  char hex[2 * HEX_MAX + 1];

  hex_bytes(cmd, len, hex, sizeof(hex));
  log_event(conn, "pending owner=%u cmd=%s remaining=%" PRIu64, owner, hex, remaining);
}

/* Sends a model's reply back on the current connection (never blocks: a host that does not
   read loses it). */
static void send_reply(const struct emulator *e, const mc_event_t *ev)
{
  char hex[2 * HEX_MAX + 1];
  ssize_t n = e->conn_fd >= 0 ? send(e->conn_fd, ev->data, ev->len, MSG_NOSIGNAL | MSG_DONTWAIT)
                              : -1;

  hex_bytes(ev->data, ev->len, hex, sizeof(hex));
  if (n == (ssize_t)ev->len)
    log_event(ev->conn ? ev->conn : e->conn, "reply data=%s", hex);
  else
    log_event(ev->conn ? ev->conn : e->conn, "reply-lost data=%s", hex);
}

/* Logs the rows counted since the last time, if any. */
static void log_rows(void)
{
  if (printed.on && printed.n > 0)
    log_event(printed.conn, "rows owner=%u n=%" PRIu64 " blank=%" PRIu64 " dots=%" PRIu64
              " at=%" PRIu64, printed.owner, printed.n, printed.blank, printed.dots, printed.at);
  printed.n = printed.blank = printed.dots = 0;
}

/* Writes one printed row to the paper file, as many dot lines as it takes. */
static void paper_row(const mc_event_t *ev)
{
  unsigned char wide[2 * 65535];
  const unsigned char *line = ev->data;
  size_t len = ev->len, i;

  if (paper_fd < 0)
    return;
  if (ev->width == 2)
  {
    for (i = 0; i < ev->len; i++)
    {
      unsigned hi = 0, lo = 0, b;

      for (b = 0; b < 4; b++)
      {
        hi |= ((ev->data[i] >> (7 - b)) & 1u) * (3u << (6 - 2 * b));
        lo |= ((ev->data[i] >> (3 - b)) & 1u) * (3u << (6 - 2 * b));
      }
      wide[2 * i] = (unsigned char)hi;
      wide[2 * i + 1] = (unsigned char)lo;
    }
    line = wide;
    len = 2 * ev->len;
  }
  for (i = 0; i < ev->height; i++)
    write_all(paper_fd, (const char *)line, len);
}

/* Counts a printed row (and puts it on paper). */
static void count_row(const mc_event_t *ev)
{
  if (printed.n > 0 && (printed.conn != ev->conn || printed.owner != ev->owner))
    log_rows();
  printed.conn = ev->conn;
  printed.owner = ev->owner;
  printed.n++;
  printed.blank += mc_zeros(ev->data, ev->len) == ev->len;
  printed.dots += ev->height;
  paper_row(ev);
}

static int printing_paused(const struct emulator *e);

/* Nonzero for an event that puts something on paper. */
static int prints(mc_event_type_t type)
{
  return type == MC_EV_TEXT || type == MC_EV_IMAGE_BEGIN || type == MC_EV_IMAGE_END
         || type == MC_EV_LABEL || type == MC_EV_PAGE || type == MC_EV_CUT;
}

/* Turns the model's events into log lines (what a paused printer prints, later). */
static void on_model_event(void *ctx, const mc_event_t *ev)
{
  char text[4 * MC_TEXT_MAX + 1];
  struct emulator *e = ctx;

  deferred.on = prints(ev->type) && printing_paused(e);
  if (deferred.on && (ev->type == MC_EV_LABEL || ev->type == MC_EV_PAGE))
    ((mc_core_t *)e->model)->waiting++;
  switch (ev->type)
  {
    case MC_EV_TEXT:
      escape_text(ev->data, ev->len, text, sizeof(text));
      log_event(ev->conn, "text text=\"%s\"", text);
      break;
    case MC_EV_IMAGE_BEGIN:
      log_event(ev->conn, "image-begin cmd=%s bytes=%" PRIu64 " width=%u height=%u", ev->cmd,
                ev->bytes, ev->width, ev->height);
      break;
    case MC_EV_IMAGE_END:
      log_event(ev->conn,
                "image-end owner=%u bytes=%" PRIu64 " zeros=%" PRIu64 " swallowed=%" PRIu64,
                ev->owner, ev->bytes, ev->zeros, ev->swallowed);
      break;
    case MC_EV_SWALLOWED:
      log_event(ev->conn, "swallowed from=%u owner=%u n=%" PRIu64, ev->conn, ev->owner, ev->bytes);
      break;
    case MC_EV_RESET:
      log_event(ev->conn, "reset");
      break;
    case MC_EV_CLEAR:
      log_event(ev->conn, "clear-buffers");
      break;
    case MC_EV_CUT:
      log_event(ev->conn, "cut");
      break;
    case MC_EV_LABEL:
      if (ev->cmd)
        log_event(ev->conn, "label end=%s fields=%" PRIu64 " graphics=%" PRIu64, ev->cmd,
                  ev->texts, ev->graphics);
      else
        log_event(ev->conn, "label feed=%s lines=%" PRIu64 " skipped=%" PRIu64,
                  ev->short_feed ? "short" : "full", ev->lines, ev->skipped);
      break;
    case MC_EV_PAGE:
      log_event(ev->conn, "page by=%s texts=%" PRIu64 " images=%" PRIu64, ev->cmd, ev->texts,
                ev->graphics);
      break;
    case MC_EV_UEL:
      log_event(ev->conn, "uel");
      break;
    case MC_EV_PJL:
      escape_text(ev->data, ev->len, text, sizeof(text));
      log_event(ev->conn, "pjl text=\"%s\"", text);
      break;
    case MC_EV_ABORT:
      log_event(ev->conn, "abort-download active=%" PRIu64, ev->bytes);
      break;
    case MC_EV_UNKNOWN:
      log_unknown(ev->conn, ev->data, ev->len);
      break;
    case MC_EV_IGNORED:
      log_event(ev->conn, "ignored n=%" PRIu64, ev->bytes);
      break;
    case MC_EV_PENDING:
      log_pending(ev->conn, ev->owner, ev->data, ev->len, ev->bytes);
      break;
    case MC_EV_QUERY:
      hex_bytes(ev->data, ev->len, text, sizeof(text));
      log_event(ev->conn, "query cmd=%s", text);
      break;
    case MC_EV_REPLY:
      send_reply(ctx, ev);
      break;
    case MC_EV_ROW:
      count_row(ev);
      break;
  }
  deferred.on = 0;
}

/* The languages --language chooses from; the first is the default. */
static const mc_language_t *const languages[] = {&ep_language, &dm_language, &pcl_language,
                                                 &zpl_language, &epl_language};

/* Monotonic time in nanoseconds. */
static int64_t now_ns(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* Prints the usage summary to `out`. */
static void usage(FILE *out)
{
  fputs("Usage: fp-emulator [--listen ADDR:PORT | --fifo PATH] [--port-file FILE]\n"
        "                   [--log FILE] [--language escpos|dymo|pcl|zpl|epl] [--buffer BYTES]\n"
        "                   [--rate BYTES_PER_SEC] [--stall-after N[@CONN]]\n"
        "                   [--resume-after MS] [--close-after N[@CONN]] [--refuse-first N]\n"
        "                   [--stall-reason paper-out|cover-open] [--dumb] [--answers N]\n"
        "                   [--rows] [--paper FILE] [--feed-after MS] [--hold BYTES]\n"
        "An ESC/POS receipt printer (or DYMO LabelWriter, PCL, ZPL or EPL printer) emulator\n"
        "for tests (loopback only).\n"
        "Default --listen " DEFAULT_LISTEN ", --language escpos, --buffer 4096, log to stderr.\n"
        "SIGUSR1: power cycle; SIGTERM/SIGINT: log a summary and exit.\n",
        out);
}

/* Parses a whole decimal number no larger than `max`; returns 0 on success. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
  char *end;
  unsigned long long v;

  if (s == NULL || *s < '0' || *s > '9')
    return -1;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0' || v > max)
    return -1;
  *out = v;
  return 0;
}

/* Parses a number or dies naming the option. */
static uint64_t option_u64(const char *name, const char *s, uint64_t max)
{
  uint64_t v;

  if (parse_u64(s, max, &v) != 0)
    die("bad %s value '%s'", name, s);
  return v;
}

/* Parses N[@CONN] for --stall-after and --close-after. */
static void parse_trigger(const char *name, const char *s, struct trigger *t)
{
  char copy[64];
  char *at;
  uint64_t conn = 1;

  if (strlen(s) >= sizeof(copy))
    die("bad %s value '%s'", name, s);
  strcpy(copy, s);
  at = strchr(copy, '@');
  if (at)
  {
    *at++ = '\0';
    conn = option_u64(name, at, UINT32_MAX);
    if (conn == 0)
      die("%s: connections are numbered from 1", name);
  }
  t->bytes = option_u64(name, copy, UINT64_MAX);
  t->conn = (unsigned)conn;
  t->set = 1;
}

/* The language called `name`; dies if there is none. */
static const mc_language_t *find_language(const char *name)
{
  size_t i;

  for (i = 0; i < sizeof(languages) / sizeof(languages[0]); i++)
    if (strcmp(languages[i]->name, name) == 0)
      return languages[i];
  die("bad --language value '%s' (escpos, dymo, pcl, zpl or epl)", name);
}

/* The conditions --stall-reason names. */
static const struct
{
  const char *name;
  unsigned condition;
} conditions[] = {{"paper-out", MC_COND_PAPER_OUT}, {"cover-open", MC_COND_COVER_OPEN}};

/* The MC_COND_* called `name`; dies when there is none. */
static unsigned condition_named(const char *name)
{
  size_t i;

  for (i = 0; i < sizeof(conditions) / sizeof(conditions[0]); i++)
    if (strcmp(conditions[i].name, name) == 0)
      return conditions[i].condition;
  die("bad --stall-reason value '%s' (paper-out or cover-open)", name);
}

/* The name of one MC_COND_* bit. */
static const char *condition_name(unsigned condition)
{
  size_t i;

  for (i = 0; i < sizeof(conditions) / sizeof(conditions[0]); i++)
    if (conditions[i].condition == condition)
      return conditions[i].name;
  return "?";
}

/* Parses the command line into `o`. */
static void parse_options(int argc, char **argv, struct options *o)
{
  static const struct option longopts[] = {
    {"listen", required_argument, NULL, 'l'},
    {"fifo", required_argument, NULL, 'f'},
    {"port-file", required_argument, NULL, 'p'},
    {"log", required_argument, NULL, 'L'},
    {"language", required_argument, NULL, 'g'},
    {"buffer", required_argument, NULL, 'b'},
    {"rate", required_argument, NULL, 'r'},
    {"stall-after", required_argument, NULL, 's'},
    {"resume-after", required_argument, NULL, 'R'},
    {"close-after", required_argument, NULL, 'c'},
    {"refuse-first", required_argument, NULL, 'x'},
    {"stall-reason", required_argument, NULL, 'S'},
    {"dumb", no_argument, NULL, 'D'},
    {"rows", no_argument, NULL, 'w'},
    {"paper", required_argument, NULL, 'P'},
    {"answers", required_argument, NULL, 'A'},
    {"feed-after", required_argument, NULL, 'F'},
    {"hold", required_argument, NULL, 'H'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  int c;

  memset(o, 0, sizeof(*o));
  o->language = languages[0];
  o->buffer = DEFAULT_BUFFER;
  o->resume_ms = -1;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
  {
    switch (c)
    {
      case 'l':
        o->listen = optarg;
        break;
      case 'f':
        o->fifo = optarg;
        break;
      case 'p':
        o->port_file = optarg;
        break;
      case 'L':
        o->log = optarg;
        break;
      case 'g':
        o->language = find_language(optarg);
        break;
      case 'b':
        o->buffer = (size_t)option_u64("--buffer", optarg, MAX_BUFFER);
        if (o->buffer == 0)
          die("--buffer must be at least 1");
        break;
      case 'r':
        o->rate = option_u64("--rate", optarg, UINT64_C(1) << 40);
        break;
      case 's':
        parse_trigger("--stall-after", optarg, &o->stall);
        break;
      case 'R':
        o->resume_ms = (int64_t)option_u64("--resume-after", optarg, INT32_MAX);
        break;
      case 'c':
        parse_trigger("--close-after", optarg, &o->close);
        break;
      case 'x':
        o->refuse_first = (unsigned)option_u64("--refuse-first", optarg, UINT32_MAX);
        break;
      case 'S':
        o->stall_reason = condition_named(optarg);
        break;
      case 'D':
        o->dumb = 1;
        break;
      case 'w':
        o->rows = 1;
        break;
      case 'P':
        o->paper = optarg;
        break;
      case 'A':
        o->answers = option_u64("--answers", optarg, UINT32_MAX);
        break;
      case 'F':
        o->feed_ms = (int64_t)option_u64("--feed-after", optarg, INT32_MAX);
        break;
      case 'H':
        o->hold = option_u64("--hold", optarg, MAX_BUFFER);
        break;
      case 'h':
        usage(stdout);
        exit(0);
      default:
        usage(stderr);
        exit(2);
    }
  }
  if (optind < argc)
  {
    usage(stderr);
    exit(2);
  }
  if (o->listen && o->fifo)
    die("--listen and --fifo are exclusive");
  if (o->listen == NULL && o->fifo == NULL)
    o->listen = DEFAULT_LISTEN;
}

/* Fills `ss` from ADDR:PORT, [ADDR]:PORT or PORT; dies unless ADDR is loopback. */
static socklen_t parse_listen(const char *spec, struct sockaddr_storage *ss)
{
  char host[128];
  const char *colon = strrchr(spec, ':');
  const char *port_s = colon ? colon + 1 : spec;
  size_t hlen = colon ? (size_t)(colon - spec) : 0;
  uint64_t port;
  struct sockaddr_in *sin = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

  if (hlen >= 2 && spec[0] == '[' && spec[hlen - 1] == ']')
  {
    spec++;
    hlen -= 2;
  }
  if (hlen >= sizeof(host) || parse_u64(port_s, 65535, &port) != 0)
    die("bad --listen value '%s' (want ADDR:PORT)", spec);
  memcpy(host, spec, hlen);
  host[hlen] = '\0';
  if (hlen == 0 || strcmp(host, "localhost") == 0)
    strcpy(host, "127.0.0.1");
  memset(ss, 0, sizeof(*ss));
  if (inet_pton(AF_INET, host, &sin->sin_addr) == 1)
  {
    if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
      die("refusing to listen on non-loopback address %s", host);
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    return sizeof(*sin);
  }
  if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1)
  {
    if (!IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
      die("refusing to listen on non-loopback address %s", host);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)port);
    return sizeof(*sin6);
  }
  die("bad --listen address '%s' (numeric loopback address or localhost)", host);
}

/* Writes "PORT\n" to the port file through a temporary file and rename(). */
static void write_port_file(const char *path, unsigned port)
{
  char tmp[4096];
  FILE *f;

  if (path == NULL)
    return;
  if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
    die("--port-file path too long");
  f = fopen(tmp, "w");
  if (f == NULL)
    die("%s: %s", tmp, strerror(errno));
  fprintf(f, "%u\n", port);
  if (fclose(f) != 0 || rename(tmp, path) != 0)
  {
    unlink(tmp);
    die("%s: %s", path, strerror(errno));
  }
}

/* Opens the listening socket and publishes its port. */
static void open_listener(struct emulator *e)
{
  struct sockaddr_storage ss;
  socklen_t len = parse_listen(e->opt.listen, &ss);
  int one = 1, rcvbuf = (int)e->opt.buffer;
  char addr[INET6_ADDRSTRLEN];
  unsigned port;
  int fd;

  fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    die("socket: %s", strerror(errno));
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  /* Set before listen() so that accepted sockets inherit it. */
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  if (bind(fd, (struct sockaddr *)&ss, len) != 0)
    die("bind %s: %s", e->opt.listen, strerror(errno));
  if (listen(fd, LISTEN_BACKLOG) != 0)
    die("listen: %s", strerror(errno));
  len = sizeof(ss);
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
    die("getsockname: %s", strerror(errno));
  if (ss.ss_family == AF_INET6)
  {
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof(addr));
    port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  }
  else
  {
    inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr));
    port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
  }
  e->idle_fd = fd;
  log_event(0, "listen addr=%s port=%u", addr, port);
  write_port_file(e->opt.port_file, port);
}

/* Opens the FIFO for reading (without waiting for a writer). */
static void open_fifo_reader(struct emulator *e)
{
  e->idle_fd = open(e->opt.fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (e->idle_fd < 0)
    die("%s: %s", e->opt.fifo, strerror(errno));
  /* A small pipe, so that a writer feels back-pressure (the kernel rounds up). */
  fcntl(e->idle_fd, F_SETPIPE_SZ, (int)e->opt.buffer);
}

/* Creates the FIFO (or checks the existing file is one) and opens it. */
static void open_fifo(struct emulator *e)
{
  struct stat st;

  if (mkfifo(e->opt.fifo, 0666) == 0)
    e->fifo_created = 1;
  else if (errno != EEXIST || stat(e->opt.fifo, &st) != 0 || !S_ISFIFO(st.st_mode))
    die("%s: cannot create a FIFO there", e->opt.fifo);
  open_fifo_reader(e);
  log_event(0, "listen fifo=%s", e->opt.fifo);
  write_port_file(e->opt.port_file, 0);
}

/* Replaces the FIFO by a new one, so that a dropped writer stays cut off. */
static void replace_fifo(struct emulator *e)
{
  char tmp[4096];

  if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new.%ld", e->opt.fifo, (long)getpid())
        < sizeof(tmp)
      && mkfifo(tmp, 0666) == 0)
  {
    if (rename(tmp, e->opt.fifo) == 0)
      e->fifo_created = 1;
    else
      unlink(tmp);
  }
  open_fifo_reader(e);
}

/* Ends the current connection. */
static void conn_close(struct emulator *e, enum close_how how)
{
  e->opt.language->conn_end(e->model, e->conn);
  log_event(e->conn, "close bytes=%" PRIu64, e->conn_bytes);
  close(e->conn_fd);
  e->conn_fd = -1;
  e->stalled = 0;
  if (e->opt.fifo == NULL || how == CLOSE_EXIT)
    return;
  if (how == CLOSE_FORCED)
    replace_fifo(e);
  else
    open_fifo_reader(e);
}

/* Nonzero while the --stall-reason condition holds. */
static int condition_holds(const struct emulator *e)
{
  return (((const mc_core_t *)e->model)->conditions & e->opt.stall_reason) != 0;
}

/* Nonzero while a paused printer holds what it parses (--hold). */
static int printing_paused(const struct emulator *e)
{
  return e->opt.hold > 0 && e->stalled && condition_holds(e);
}

/* Bytes a paused printer still reads now (--hold); 0 when it reads none. */
static uint64_t hold_room(const struct emulator *e)
{
  uint64_t taken = e->conn_bytes - e->stall_bytes;

  return printing_paused(e) && e->conn_fd >= 0 && taken < e->opt.hold ? e->opt.hold - taken : 0;
}

/* Sets or clears a condition of the printer (none: `condition` 0) and lets the model report it. */
static void set_condition(struct emulator *e, unsigned condition, int on)
{
  mc_core_t *core = e->model; /* every model's first member (model-common.h) */
  int cleared = !on && (core->conditions & condition);

  if (condition == 0)
    return;
  if (on)
    core->conditions |= condition;
  else
    core->conditions &= ~condition;
  log_event(e->conn, "condition %s=%s", on ? "set" : "cleared", condition_name(condition));
  if (cleared)
  {
    log_deferred(); /* printing again: what the paused printer parsed comes out now */
    core->waiting = 0;
  }
  if (e->opt.language->status_changed)
    e->opt.language->status_changed(e->model);
}

/* Nonzero when trigger `t` applies to the current connection. */
static int trigger_applies(const struct emulator *e, const struct trigger *t)
{
  return t->set && t->conn == e->conn;
}

/* Starts stalling or closes the connection when a byte count is reached. */
static void check_triggers(struct emulator *e)
{
  const struct options *o = &e->opt;

  if (trigger_applies(e, &o->stall) && !e->stalled && !e->stall_done
      && e->conn_bytes >= o->stall.bytes)
  {
    e->stalled = 1;
    e->stall_bytes = e->conn_bytes;
    e->condition_until = o->resume_ms >= 0 ? now_ns() + o->resume_ms * 1000000 : -1;
    e->resume_at = e->condition_until >= 0 && o->stall_reason
                     ? e->condition_until + o->feed_ms * 1000000 : e->condition_until;
    log_event(e->conn, "stall bytes=%" PRIu64, e->conn_bytes);
    set_condition(e, o->stall_reason, 1);
    return;
  }
  if (trigger_applies(e, &o->close) && !e->stalled && e->conn_bytes >= o->close.bytes)
    conn_close(e, CLOSE_FORCED);
}

/* Takes `fd` as the next connection, or refuses it. */
static void conn_open(struct emulator *e, int fd)
{
  e->nconn++;
  if (e->nconn <= e->opt.refuse_first)
  {
    log_event(e->nconn, "refused");
    close(fd);
    if (e->opt.fifo)
      replace_fifo(e);
    return;
  }
  e->conn_fd = fd;
  e->conn = e->nconn;
  e->conn_bytes = 0;
  e->stalled = 0;
  e->stall_done = 0;
  log_event(e->conn, "open");
  if (condition_holds(e))
  {
    /* Still out of paper (cover open): the new connection is not read either. */
    e->stalled = 1;
    e->stall_bytes = 0;
    e->resume_at = e->condition_until >= 0 ? e->condition_until + e->opt.feed_ms * 1000000 : -1;
    log_event(e->conn, "stall bytes=0");
    return;
  }
  check_triggers(e);
}

/* Accepts a connection: a TCP client, or the FIFO once a writer shows up. */
static void accept_conn(struct emulator *e)
{
  int fd;

  if (e->opt.fifo)
  {
    fd = e->idle_fd;
    e->idle_fd = -1;
  }
  else
  {
    fd = accept4(e->idle_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
      return; /* EAGAIN, ECONNABORTED...: try again later */
  }
  conn_open(e, fd);
}

/* Bytes one paced read waits for (a fraction of a second's worth). */
static double pace_chunk(const struct emulator *e)
{
  double chunk = (double)e->opt.rate / PACE_HZ;

  if (chunk < 1)
    chunk = 1;
  return chunk > (double)e->opt.buffer ? (double)e->opt.buffer : chunk;
}

/* Adds the tokens earned since the last refill, up to one buffer's worth. */
static void refill(struct emulator *e)
{
  int64_t t = now_ns();

  e->tokens += (double)(t - e->refill_at) * (double)e->opt.rate / NS_PER_SEC;
  if (e->tokens > (double)e->opt.buffer)
    e->tokens = (double)e->opt.buffer;
  e->refill_at = t;
}

/* How many bytes the next read may take (0: none now). */
static size_t read_budget(struct emulator *e)
{
  const struct options *o = &e->opt;
  uint64_t budget = o->buffer;

  if (e->stalled) /* paused: the receive buffer takes what it has room for, at once */
    return (size_t)(hold_room(e) < budget ? hold_room(e) : budget);
  if (o->rate > 0)
  {
    refill(e);
    if (e->tokens < pace_chunk(e))
      return 0;
    budget = (uint64_t)e->tokens;
  }
  if (trigger_applies(e, &o->stall) && !e->stall_done && o->stall.bytes - e->conn_bytes < budget)
    budget = o->stall.bytes - e->conn_bytes;
  if (trigger_applies(e, &o->close) && o->close.bytes - e->conn_bytes < budget)
    budget = o->close.bytes - e->conn_bytes;
  return (size_t)budget;
}

/* Reads what the budget allows from the connection and feeds the model. */
static void conn_read(struct emulator *e)
{
  size_t budget = read_budget(e);
  ssize_t n;

  if (budget == 0)
    return;
  n = read(e->conn_fd, e->buf, budget);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0)
  {
    conn_close(e, CLOSE_EOF); /* EOF, or a reset: the sender is gone */
    return;
  }
  if (e->conn_bytes == 0)
    log_event(e->conn, "first-byte");
  e->conn_bytes += (uint64_t)n;
  e->total_bytes += (uint64_t)n;
  if (e->opt.rate > 0)
    e->tokens -= (double)n;
  printed.at = e->conn_bytes;
  e->opt.language->feed(e->model, e->conn, e->buf, (size_t)n);
  log_rows();
  check_triggers(e);
}

/* Handles SIGUSR1 (power cycle) and SIGTERM/SIGINT (exit). */
static void on_signal(int sig)
{
  if (sig == SIGUSR1)
    power_cycle_requested = 1;
  else
    stop_requested = 1;
}

/* Installs the handlers; the signals stay blocked except inside ppoll(). */
static void setup_signals(sigset_t *wait_mask)
{
  static const int sigs[] = {SIGUSR1, SIGTERM, SIGINT};
  struct sigaction sa;
  sigset_t block;
  size_t i;

  sigemptyset(&block);
  for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
    sigaddset(&block, sigs[i]);
  sigprocmask(SIG_BLOCK, &block, wait_mask);
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
  {
    sigaction(sigs[i], &sa, NULL);
    sigdelset(wait_mask, sigs[i]);
  }
  signal(SIGPIPE, SIG_IGN);
}

/* Resumes a stalled connection once its time has come; the condition clears then, even when
   the connection that stalled has ended meanwhile (the paper is back for the next one). */
static void check_resume(struct emulator *e)
{
  if (condition_holds(e) && e->condition_until >= 0 && now_ns() >= e->condition_until)
    set_condition(e, e->opt.stall_reason, 0);
  if (e->conn_fd < 0 || !e->stalled || e->resume_at < 0 || now_ns() < e->resume_at)
    return;
  e->stalled = 0;
  e->stall_done = 1;
  log_event(e->conn, "resume");
  check_triggers(e);
}

/* Chooses what to wait for: fills `pfd` and returns the timeout in ns (-1: none). */
static int64_t plan_wait(struct emulator *e, struct pollfd *pfd)
{
  pfd->fd = -1; /* poll() ignores negative descriptors */
  pfd->events = POLLIN;
  pfd->revents = 0;
  if (e->conn_fd < 0)
  {
    int64_t left = e->condition_until - now_ns();

    pfd->fd = e->idle_fd;
    if (!condition_holds(e) || e->condition_until < 0)
      return -1;
    return left > 0 ? left : 0;
  }
  if (e->stalled)
  {
    int64_t wake = e->resume_at, left;

    if (condition_holds(e) && e->condition_until >= 0)
      wake = e->condition_until; /* the status changes before the reading resumes */
    if (hold_room(e) > 0)
      pfd->fd = e->conn_fd;
    if (wake < 0)
      return -1;
    left = wake - now_ns();
    return left > 0 ? left : 0;
  }
  if (e->opt.rate > 0)
  {
    double missing;

    refill(e);
    missing = pace_chunk(e) - e->tokens;
    if (missing > 0)
      return (int64_t)(missing * NS_PER_SEC / (double)e->opt.rate) + 1;
  }
  pfd->fd = e->conn_fd;
  return -1;
}

/* The event loop: runs until SIGTERM or SIGINT. */
static void run(struct emulator *e, const sigset_t *wait_mask)
{
  while (!stop_requested)
  {
    struct pollfd pfd;
    struct timespec ts;
    int64_t timeout;
    int r;

    if (power_cycle_requested)
    {
      power_cycle_requested = 0;
      e->opt.language->power_cycle(e->model);
      log_event(e->conn_fd >= 0 ? e->conn : 0, "power-cycle");
    }
    check_resume(e);
    timeout = plan_wait(e, &pfd);
    ts.tv_sec = timeout / NS_PER_SEC;
    ts.tv_nsec = timeout % NS_PER_SEC;
    r = ppoll(&pfd, 1, timeout == -1 ? NULL : &ts, wait_mask);
    if (r < 0 && errno != EINTR)
      die("ppoll: %s", strerror(errno));
    if (r <= 0 || pfd.revents == 0)
      continue;
    if (e->conn_fd < 0)
      accept_conn(e);
    else
      conn_read(e);
  }
}

/* Entry point. */
int main(int argc, char **argv)
{
  struct emulator e;
  sigset_t wait_mask;
  const mc_stats_t *st;

  memset(&e, 0, sizeof(e));
  e.idle_fd = -1;
  e.conn_fd = -1;
  e.resume_at = -1;
  e.condition_until = -1;
  parse_options(argc, argv, &e.opt);
  if (e.opt.log)
  {
    log_fd = open(e.opt.log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0)
      die("%s: %s", e.opt.log, strerror(errno));
  }
  printed.on = e.opt.rows;
  if (e.opt.paper)
  {
    paper_fd = open(e.opt.paper, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (paper_fd < 0)
      die("%s: %s", e.opt.paper, strerror(errno));
  }
  e.buf = malloc(e.opt.buffer);
  e.model = e.opt.language->create(on_model_event, &e);
  if (e.buf == NULL || e.model == NULL)
    die("out of memory");
  ((mc_core_t *)e.model)->dumb = e.opt.dumb;
  ((mc_core_t *)e.model)->answer_limit = e.opt.answers;
  e.refill_at = now_ns();
  setup_signals(&wait_mask);
  if (e.opt.fifo)
    open_fifo(&e);
  else
    open_listener(&e);

  run(&e, &wait_mask);

  if (e.conn_fd >= 0)
    conn_close(&e, CLOSE_EXIT);
  e.opt.language->finish(e.model);
  st = e.opt.language->stats(e.model);
  log_event(0, "summary connections=%u bytes=%" PRIu64 " texts=%" PRIu64 " images=%" PRIu64
            " swallowed=%" PRIu64 " resets=%" PRIu64, e.nconn, e.total_bytes, st->texts,
            st->images, st->swallowed, st->resets);
  if (e.idle_fd >= 0)
    close(e.idle_fd);
  if (e.fifo_created)
    unlink(e.opt.fifo);
  e.opt.language->destroy(e.model);
  free(e.buf);
  return 0;
}

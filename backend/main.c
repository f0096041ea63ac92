/*
 * flushprinter backend: a CUPS backend that streams jobs to a printer and,
 * when a job is canceled or a write fails, completes the half-sent command,
 * resets the printer and keeps its port quiet (Windows FlushPrinter).
 *
 * Installed once per scheme: flushprinter+socket, flushprinter+file,
 * flushprinter+usb.  See flushprinter(7).
 */

#include <cups/backend.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "log.h"
#include "options.h"
#include "session.h"
#include "transport.h"

static volatile sig_atomic_t canceled;
static int                   cancel_pipe[2] = { -1, -1 };

/* SIGTERM: record the cancel and wake whatever poll() is waiting. */
static void on_sigterm(int sig)
{
  int saved = errno;

  canceled = 1;
  if (write(cancel_pipe[1], "x", 1) < 0)
  {
    /* The pipe already holds a byte: the wake-up is pending anyway. */
  }
  errno = saved;
}

/* Catch SIGTERM without SA_RESTART (blocked calls return), ignore SIGPIPE. */
static int install_signals(void)
{
  struct sigaction sa;

  if (pipe2(cancel_pipe, O_CLOEXEC | O_NONBLOCK))
    return -1;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_sigterm;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, NULL);
  return 0;
}

/* The scheme part after FP_URI_PREFIX of the name we were run as, or NULL. */
static const char *scheme_of_program(const char *argv0)
{
  const char *base = strrchr(argv0, '/');

  base = base ? base + 1 : argv0;
  return strncmp(base, FP_URI_PREFIX, FP_URI_PREFIX_LEN) ? NULL : base + FP_URI_PREFIX_LEN;
}

/* Discovery: list the devices of our scheme (all schemes when run as "flushprinter"). */
static int list_devices(const char *scheme)
{
  const fp_transport_t *const *t = fp_transport_list();

  for (; *t; t++)
    if ((*t)->list && (!scheme || !strcmp(scheme, (*t)->name)))
      (*t)->list();
  return CUPS_BACKEND_OK;
}

/* Descriptor `fd` if it is open, else -1; made non-blocking. */
static int optional_fd(int fd)
{
  int flags = fcntl(fd, F_GETFL);

  if (flags < 0)
    return -1;
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  return fd;
}

int main(int argc, char *argv[])
{
  fp_options_t          opts;
  fp_job_info_t         job = { 0 };
  const char           *uri = getenv("DEVICE_URI");
  char                  message[512];
  int                   rc;

  setvbuf(stderr, NULL, _IONBF, 0);
  if (argc == 1)
    return list_devices(scheme_of_program(argv[0]));
  if (argc < 6 || argc > 7)
  {
    fprintf(stderr, "Usage: %s job-id user title copies options [file]\n", argv[0]);
    return CUPS_BACKEND_FAILED;
  }
  if (!uri)
    uri = argv[0];

  /* A bad URI is the administrator's to fix: stop the queue, keep the job. */
  if (fp_options_parse(uri, &opts, message, sizeof(message)))
  {
    fp_log("ERROR", "flushprinter: %s", message);
    return CUPS_BACKEND_STOP;
  }
  if (!opts.transport->open)
  {
    fp_log("ERROR", "flushprinter: the '%s' transport is not available in this build",
           opts.transport->name);
    fp_options_free(&opts);
    return CUPS_BACKEND_STOP;
  }
  if (opts.transport->check && opts.transport->check(opts.address, message, sizeof(message)))
  {
    /* Waiting would not help: this address never becomes a printer. */
    fp_log("ERROR", "flushprinter: %s", message);
    fp_options_free(&opts);
    return CUPS_BACKEND_STOP;
  }
  if (install_signals())
  {
    fp_log("ERROR", "flushprinter: cannot set up signal handling: %s", strerror(errno));
    fp_options_free(&opts);
    return CUPS_BACKEND_FAILED;
  }

  job.job_id = atoi(argv[1]);
  job.cancel_fd = cancel_pipe[0];
  job.canceled = &canceled;
  job.side_fd = optional_fd(4);
  job.back_fd = optional_fd(3);
  if (argc == 7)
  {
    /* Raw queue: cupsd hands us the spool file, no filter runs. */
    if ((job.input_fd = open(argv[6], O_RDONLY | O_CLOEXEC)) < 0)
    {
      fp_log("ERROR", "flushprinter: cannot open the job file %s: %s", argv[6], strerror(errno));
      fp_options_free(&opts);
      return CUPS_BACKEND_FAILED;
    }
  }
  else
  {
    job.input_fd = 0;
    job.from_filters = true;
  }
  fp_log("DEBUG", "flushprinter %s: job %d, device %s, reset %s (%zu bytes), language %s, "
         "idle %d ms, grace %d ms, timeout %d ms", PACKAGE_VERSION, job.job_id, opts.device_key,
         opts.reset_spec, opts.reset_len, opts.language_auto ? "auto" : opts.language->name,
         opts.idle_ms, opts.grace_ms, opts.timeout_ms);

  rc = fp_session_run(&opts, opts.transport, &job);
  fp_options_free(&opts);
  return rc;
}

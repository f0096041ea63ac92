/*
 * flushprinter: a CUPS filter that passes job data through to the backend
 * and, when the job is canceled or the backend goes away mid-job, sends one
 * FlushPrinter request (reset buffer + quiet window) through
 * libflushprinter.
 *
 * Configuration: the PPD keywords *FlushPrinterReset and *FlushPrinterIdle,
 * overridden by the job options flushprinter-reset and flushprinter-idle.
 *
 * Wrapper mode: with *FlushPrinterWrap: "DRIVER" in the PPD, the filter runs
 * the stock driver filter DRIVER (from $CUPS_SERVERBIN/filter) as a child with
 * the same arguments and carries its output through libflushprinter, so that
 * an unchanged stock driver gains flush-on-cancel.
 *
 * Usage: flushprinter job-id user title copies options [file]
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cups/cups.h>
#include <cups/ppd.h>

#include "common.h"
#include "flushprinter.h"

#define FILTER_DEFAULT_RESET "escpos"
#define FILTER_DEFAULT_IDLE  "2000"
#define FILTER_CHUNK         32768
#define FILTER_READ_FAILED   1 /* copy_input() result besides the fp_status_t values */

/* One configuration value and where it came from, for error messages. */
typedef struct setting_s
{
  char       *value;  /* malloc'ed */
  const char *origin; /* e.g. "flushprinter-idle option" */
} setting_t;

/* What to send when a write fails, and which driver to wrap. */
typedef struct filter_config_s
{
  uint8_t *reset;     /* reset buffer (malloc'ed, may be NULL when empty) */
  size_t   reset_len;
  uint32_t idle_ms;   /* quiet window */
  char    *wrap;      /* stock driver filter to run and carry (malloc'ed), or NULL */
} filter_config_t;

/* Replace `setting` with a copy of `value` (if not NULL) from `origin`; false if out of memory. */
static bool setting_set(setting_t *setting, const char *value, const char *origin)
{
  char *copy;

  if (!value)
    return true;
  if (!(copy = strdup(value)))
    return false;
  free(setting->value);
  setting->value = copy;
  setting->origin = origin;
  return true;
}

/* Read *FlushPrinterReset, *FlushPrinterIdle, *FlushPrinterWrap from $PPD; false if out of memory. */
static bool read_ppd_settings(setting_t *reset, setting_t *idle, setting_t *wrap)
{
  const char *path = getenv("PPD");
  ppd_file_t *ppd;
  ppd_attr_t *attr;
  bool ok = true;

  if (!path || !*path)
    return true;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  if (!(ppd = ppdOpenFile(path)))
  {
    fprintf(stderr, "WARNING: flushprinter: cannot read the PPD \"%s\", using defaults\n", path);
    return true;
  }
  if ((attr = ppdFindAttr(ppd, "FlushPrinterReset", NULL)) != NULL)
    ok = setting_set(reset, attr->value, "*FlushPrinterReset in the PPD");
  if ((attr = ppdFindAttr(ppd, "FlushPrinterIdle", NULL)) != NULL)
    ok = setting_set(idle, attr->value, "*FlushPrinterIdle in the PPD") && ok;
  if ((attr = ppdFindAttr(ppd, "FlushPrinterWrap", NULL)) != NULL)
    ok = setting_set(wrap, attr->value, "*FlushPrinterWrap in the PPD") && ok;
  ppdClose(ppd);
#pragma GCC diagnostic pop
  return ok;
}

/* Parse a quiet window in milliseconds: decimal digits, at most FP_WAIT_LIMIT_MS. */
static int parse_idle(const char *text, uint32_t *ms)
{
  unsigned long value = 0;
  const char *p;

  if (!*text)
    return -1;
  for (p = text; *p; p++)
  {
    if (*p < '0' || *p > '9')
      return -1;
    value = value * 10 + (unsigned long)(*p - '0');
    if (value > FP_WAIT_LIMIT_MS)
      return -1;
  }
  *ms = (uint32_t)value;
  return 0;
}

/* Turn the reset and idle settings into `config`; prints ERROR: and fails on a bad value. */
static int parse_settings(const setting_t *reset, const setting_t *idle, filter_config_t *config)
{
  char why[256] = "";

  if (fp_reset_parse(reset->value, &config->reset, &config->reset_len, why, sizeof(why)) != FP_OK)
  {
    fprintf(stderr, "ERROR: flushprinter: bad %s \"%s\": %s\n", reset->origin, reset->value,
            why[0] ? why : fp_strerror(FP_ERROR_SYNTAX));
    return -1;
  }
  if (parse_idle(idle->value, &config->idle_ms) != 0)
  {
    fprintf(stderr, "ERROR: flushprinter: bad %s \"%s\": expected milliseconds from 0 to %u\n",
            idle->origin, idle->value, (unsigned)FP_WAIT_LIMIT_MS);
    return -1;
  }
  return 0;
}

/* Build the configuration from the defaults, the PPD and the job `options`. */
static int load_config(const char *options, filter_config_t *config)
{
  setting_t reset = {NULL, NULL}, idle = {NULL, NULL}, wrap = {NULL, NULL};
  cups_option_t *parsed = NULL;
  int num_parsed, result = -1;
  bool ok;

  ok = setting_set(&reset, FILTER_DEFAULT_RESET, "default reset");
  ok = setting_set(&idle, FILTER_DEFAULT_IDLE, "default idle time") && ok;
  ok = ok && read_ppd_settings(&reset, &idle, &wrap);
  num_parsed = cupsParseOptions(options, 0, &parsed);
  ok = ok && setting_set(&reset, cupsGetOption("flushprinter-reset", num_parsed, parsed),
                         "flushprinter-reset option");
  ok = ok && setting_set(&idle, cupsGetOption("flushprinter-idle", num_parsed, parsed),
                         "flushprinter-idle option");
  cupsFreeOptions(num_parsed, parsed);

  if (ok)
    result = parse_settings(&reset, &idle, config);
  else
    fputs("ERROR: flushprinter: out of memory\n", stderr);
  if (result == 0 && wrap.value && (strchr(wrap.value, '/') || !wrap.value[0]))
  {
    fprintf(stderr, "ERROR: flushprinter: bad %s \"%s\": expected the name of a filter in "
            "$CUPS_SERVERBIN/filter\n", wrap.origin, wrap.value);
    result = -1;
  }
  config->wrap = result == 0 ? wrap.value : NULL;
  if (!config->wrap)
    free(wrap.value);
  free(reset.value);
  free(idle.value);
  return result;
}

/* Wait until `in` has input or the job is canceled (SIGTERM lands only while waiting). */
static void wait_input(fp_job_t *job, int in)
{
  struct pollfd pfd = {.fd = in, .events = POLLIN};
  sigset_t block, saved;

  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, &saved);
  if (!fp_job_canceled(job))
    ppoll(&pfd, 1, NULL, &saved);
  sigprocmask(SIG_SETMASK, &saved, NULL);
}

/*
 * Copy `in` to the job until end of file.  An fp_status_t from the first
 * failed write (a cancel seen while waiting for input, or an end of input
 * after a cancel, counts as one), or FILTER_READ_FAILED after ERROR:.  A
 * wrapped driver (`driver` > 0) is told of the cancel at once.
 */
static int copy_input(fp_job_t *job, int in, pid_t driver)
{
  static uint8_t buf[FILTER_CHUNK];

  for (;;)
  {
    ssize_t got;
    int status;

    wait_input(job, in);
    if (fp_job_canceled(job))
    {
      if (driver > 0)
        kill(driver, SIGTERM); /* cupsd knows only us: pass the cancel on */
      return fp_job_write(job, NULL, 0, NULL);
    }
    got = read(in, buf, sizeof(buf));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
    {
      fprintf(stderr, "ERROR: flushprinter: cannot read the job: %s\n", strerror(errno));
      return FILTER_READ_FAILED;
    }
    if (got == 0)
      return fp_job_canceled(job) ? fp_job_write(job, NULL, 0, NULL) : FP_OK;
    if ((status = fp_job_write(job, buf, (size_t)got, NULL)) != FP_OK)
      return status;
  }
}

/* Copy the job `copies` times from `in`, rewinding it between copies. */
static int copy_job(fp_job_t *job, int in, int copies)
{
  int status = FP_OK;

  for (int copy = 0; copy < copies && status == FP_OK; copy++)
  {
    if (copy > 0 && lseek(in, 0, SEEK_SET) != 0)
    {
      fprintf(stderr, "ERROR: flushprinter: cannot rewind the job for copy %d: %s\n", copy + 1,
              strerror(errno));
      return FILTER_READ_FAILED;
    }
    status = copy_input(job, in, 0);
  }
  return status;
}

/*
 * Start the stock driver `name` from $CUPS_SERVERBIN/filter with our
 * arguments, reading `in`, its output on a pipe; the pipe's read end, or -1
 * after ERROR:.  The driver makes the copies itself.
 */
static int start_driver(const char *name, char *argv[], int in, pid_t *pid)
{
  const char                *serverbin = getenv("CUPS_SERVERBIN");
  char                       path[1024];
  int                        out[2], status;
  posix_spawn_file_actions_t actions;

  snprintf(path, sizeof(path), "%s/filter/%s", serverbin ? serverbin : "/usr/lib/cups", name);
  if (pipe2(out, O_CLOEXEC))
  {
    fprintf(stderr, "ERROR: flushprinter: cannot make a pipe for %s: %s\n", name,
            strerror(errno));
    return -1;
  }
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  status = posix_spawn(pid, path, &actions, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (status)
  {
    fprintf(stderr, "ERROR: flushprinter: cannot run the wrapped driver %s: %s\n", path,
            strerror(status));
    close(out[0]);
    return -1;
  }
  fprintf(stderr, "DEBUG: flushprinter: wrapping %s (PID %d)\n", path, (int)*pid);
  return out[0];
}

/* Wait for the wrapped driver; false (after ERROR:) when it failed on its own. */
static bool driver_succeeded(const char *name, pid_t pid, bool canceled)
{
  int status;

  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return false;
  if (canceled || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
    return true;
  if (WIFEXITED(status))
    fprintf(stderr, "ERROR: flushprinter: the wrapped driver %s failed with status %d\n", name,
            WEXITSTATUS(status));
  else
    fprintf(stderr, "ERROR: flushprinter: the wrapped driver %s died of signal %d\n", name,
            WTERMSIG(status));
  return false;
}

/* After a failed write: send the configured flush, log it, and return the exit code. */
static int flush_after_failure(fp_job_t *job, int write_status, const filter_config_t *config)
{
  fp_flush_result_t result;
  char failure[256];
  int status;

  snprintf(failure, sizeof(failure), "%s", fp_job_message(job));
  if (write_status == FP_ERROR_CANCELED)
    fprintf(stderr, "INFO: Job canceled, flushing the printer\nDEBUG: flushprinter: %s\n", failure);
  else
    fprintf(stderr, "ERROR: flushprinter: %s\n", failure);

  status = fp_job_flush(job, config->reset, config->reset_len, config->idle_ms, &result);
  if (status == FP_OK)
  {
    fprintf(stderr,
            "DEBUG: flushprinter: flushed written=%" PRIu64 " padding=%" PRIu64
            " idle=%" PRIu32 " route=%s\n",
            result.written, result.padding, result.idle_ms,
            result.route == FP_ROUTE_BACKEND ? "backend" : "soft-reset");
    if (strcmp(failure, fp_job_message(job)) != 0) /* a note about the route */
      fprintf(stderr, "DEBUG: flushprinter: %s\n", fp_job_message(job));
    fprintf(stderr, "INFO: Printer flushed, idle for %" PRIu32 " ms\n", result.idle_ms);
  }
  else
    fprintf(stderr, "WARNING: flushprinter: %s\n", fp_job_message(job));

  return write_status == FP_ERROR_CANCELED ? 0 : 1;
}

/* Open the job file argument, or use standard input when there is none. */
static int open_input(int argc, char *argv[])
{
  int fd;

  if (argc < 7)
    return STDIN_FILENO;
  if ((fd = open(argv[6], O_RDONLY | O_CLOEXEC)) < 0)
    fprintf(stderr, "ERROR: flushprinter: cannot open \"%s\": %s\n", argv[6], strerror(errno));
  return fd;
}

/* Copy the job (or the wrapped driver's output) to the backend, flushing after a failed write. */
static int run_job(const filter_config_t *config, int in, int copies, char *argv[])
{
  fp_job_t *job = NULL;
  pid_t driver = 0;
  int status, exit_code = 0;

  if ((status = fp_job_open(NULL, &job)) != FP_OK || (status = fp_job_catch_sigterm(job)) != FP_OK)
  {
    fprintf(stderr, "ERROR: flushprinter: cannot start the job: %s\n", fp_strerror(status));
    fp_job_close(job);
    return 1;
  }
  fprintf(stderr, "DEBUG: flushprinter: reset %zu bytes, idle %" PRIu32 " ms, route %s\n",
          config->reset_len, config->idle_ms,
          fp_uri_is_flushprinter(NULL) ? "backend" : "soft-reset");

  if (config->wrap)
  {
    int driven = start_driver(config->wrap, argv, in, &driver);

    status = driven < 0 ? FILTER_READ_FAILED : copy_input(job, driven, driver);
    if (driven >= 0)
      close(driven);
    if (driver > 0 && !driver_succeeded(config->wrap, driver, fp_job_canceled(job))
        && status == FP_OK)
      status = FILTER_READ_FAILED;
  }
  else
    status = copy_job(job, in, copies > 0 ? copies : 1);
  if (status == FILTER_READ_FAILED)
    exit_code = 1;
  else if (status != FP_OK)
    exit_code = flush_after_failure(job, status, config);
  fp_job_close(job);
  return exit_code;
}

/* Filter entry point: check the arguments, configure, run the job. */
int main(int argc, char *argv[])
{
  filter_config_t config = {NULL, 0, 0, NULL};
  int in = -1, exit_code = 1;

  if (argc < 6 || argc > 7)
  {
    fputs("Usage: flushprinter job-id user title copies options [file]\n", stderr);
    return 1;
  }
  /* Copies are made only from a named file, which can be read again. */
  if (load_config(argv[5], &config) == 0 && (in = open_input(argc, argv)) >= 0)
    exit_code = run_job(&config, in, in == STDIN_FILENO ? 1 : atoi(argv[4]), argv);
  if (in > STDIN_FILENO)
    close(in);
  free(config.reset);
  free(config.wrap);
  return exit_code;
}

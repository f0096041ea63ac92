/*
 * The job handle behind the opaque fp_job_t of flushprinter.h: where the
 * job's data and side channel go, and the state that decides whether a
 * FlushPrinter request is allowed (a failed write, at most one flush).
 */

#ifndef FP_JOB_PRIVATE_H
#define FP_JOB_PRIVATE_H

#include <signal.h>
#include <stdbool.h>

#include "flushprinter.h"

#define FP_JOB_MESSAGE_SIZE 256

struct fp_job_s
{
  int                   data_fd;       /* job data (pipe to the backend) */
  int                   side_fd;       /* CUPS side channel */
  char                 *device_uri;    /* copy of the device URI, or NULL */
  int                   timeout_ms;    /* bound on one flush */
  volatile sig_atomic_t canceled;      /* set by fp_job_cancel(), also from a signal handler */
  bool                  write_failed;  /* a write failed: one flush is allowed */
  bool                  flushed;       /* a flush was sent: no further flush */
  bool                  catches_sigterm; /* fp_job_catch_sigterm() installed a handler */
  struct sigaction      old_sigterm;   /* the SIGTERM action to restore on close */
  char                  message[FP_JOB_MESSAGE_SIZE]; /* last failure, "" if none */
};

#endif /* FP_JOB_PRIVATE_H */

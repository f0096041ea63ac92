/*
 * Waiting on descriptors with a deadline and a cancel descriptor: the one
 * poll() loop the library, the engine, the backend and its transports share.
 */

#ifndef FP_WAIT_H
#define FP_WAIT_H

#include <signal.h>

/* What one wait ended with (fp_wait_once()). */
typedef enum fp_wait_e
{
  FP_WAIT_TIMEOUT = 0,     /* the time passed */
  FP_WAIT_READY = 1,       /* `fd` has an event, or a condition its next I/O reports */
  FP_WAIT_CANCELED = 2,    /* `cancel_fd` is readable or at its end */
  FP_WAIT_INTERRUPTED = 3, /* a signal arrived */
  FP_WAIT_BAD_CANCEL = 4,  /* `cancel_fd` is not an open descriptor */
  FP_WAIT_FAILED = 5       /* poll() failed, or `fd` is not open; errno says why */
} fp_wait_t;

/*
 * Wait once for `events` on `fd` (none when `fd` < 0), for `cancel_fd` (none
 * when < 0) to become readable, or for `timeout_ms` (< 0: no limit) to pass,
 * with the signal mask `mask` in force meanwhile (NULL: the caller's).
 */
fp_wait_t fp_wait_once(int fd, short events, int cancel_fd, int timeout_ms, const sigset_t *mask);

/*
 * Wait for `events` on `fd` (none when `fd` < 0) until `timeout_ms` (< 0: no
 * limit) has passed, through signals; 1 ready (or poll() failed: the next
 * I/O reports it), 0 on timeout, -1 as soon as `cancel_fd` (if >= 0) is
 * readable.
 */
int fp_wait_fd(int fd, short events, int cancel_fd, int timeout_ms);

#endif /* FP_WAIT_H */

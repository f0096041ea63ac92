/*
 * Waiting on descriptors with a deadline and a cancel descriptor (wait.h).
 */

#include "wait.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>

#include "clock.h"

/* Wait once for `fd`, `cancel_fd` or the time; see wait.h. */
fp_wait_t fp_wait_once(int fd, short events, int cancel_fd, int timeout_ms, const sigset_t *mask)
{
  struct pollfd   pfd[2] = { { .fd = fd, .events = events },
                             { .fd = cancel_fd, .events = POLLIN } };
  struct timespec limit = { .tv_sec = timeout_ms / 1000,
                            .tv_nsec = (long)(timeout_ms % 1000) * 1000000L };
  int             n = ppoll(pfd, cancel_fd >= 0 ? 2 : 1, timeout_ms < 0 ? NULL : &limit, mask);

  if (n < 0)
    return errno == EINTR ? FP_WAIT_INTERRUPTED : FP_WAIT_FAILED;
  if (fd >= 0 && (pfd[0].revents & POLLNVAL))
  {
    errno = EBADF;
    return FP_WAIT_FAILED;
  }
  if (cancel_fd >= 0 && (pfd[1].revents & POLLNVAL))
    return FP_WAIT_BAD_CANCEL;
  if (cancel_fd >= 0 && pfd[1].revents)
    return FP_WAIT_CANCELED; /* readable, or at end of file */
  return n > 0 ? FP_WAIT_READY : FP_WAIT_TIMEOUT;
}

/* Wait for `fd` through signals until `timeout_ms` has passed or `cancel_fd` is readable. */
int fp_wait_fd(int fd, short events, int cancel_fd, int timeout_ms)
{
  int64_t deadline = fp_monotonic_ms() + timeout_ms;

  for (;;)
  {
    switch (fp_wait_once(fd, events, cancel_fd, timeout_ms < 0 ? -1 : fp_ms_until(deadline), NULL))
    {
      case FP_WAIT_INTERRUPTED: break; /* a SIGTERM also writes cancel_fd: the next wait sees it */
      case FP_WAIT_CANCELED: return -1;
      case FP_WAIT_TIMEOUT:
        if (timeout_ms >= 0 && fp_ms_until(deadline) == 0)
          return 0;
        break;
      default: return 1; /* ready, or an error the caller's next I/O reports */
    }
  }
}

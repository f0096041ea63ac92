/*
 * Status codes private to the backend, beyond the public fp_status_t: how a
 * device was lost, so that messages say what happened to the printer
 * (fp_strerror() knows them; the library never returns them).
 */

#ifndef FP_STATUS_H
#define FP_STATUS_H

#include <stdbool.h>

enum
{
  FP_ERROR_DEVICE_CLOSED = -101, /* the printer closed the connection */
  FP_ERROR_DEVICE_RESET = -102,  /* the printer reset the connection */
  FP_ERROR_DEVICE_GONE = -103    /* the device went away (unplugged, reader gone) */
};

/* true when `status` says the device is gone (closed, reset, unplugged). */
static inline bool fp_status_device_lost(int status)
{
  return status == FP_ERROR_DEVICE_CLOSED || status == FP_ERROR_DEVICE_RESET
         || status == FP_ERROR_DEVICE_GONE;
}

#endif /* FP_STATUS_H */

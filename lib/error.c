/*
 * Error messages for fp_status_t.
 */

#include "flushprinter.h"
#include "status.h"

/* A sentence describing `status`, never NULL. */
const char *fp_strerror(int status)
{
  switch (status)
  {
    case FP_OK: return "Success";
    case FP_ERROR_INVALID_ARGUMENT: return "Invalid argument";
    case FP_ERROR_NO_FAILED_WRITE: return "Flush refused: no write on this job has failed";
    case FP_ERROR_ALREADY_FLUSHED: return "Flush refused: this job was already flushed";
    case FP_ERROR_CANCELED: return "The print job was canceled";
    case FP_ERROR_IO: return "Input/output error";
    case FP_ERROR_TIMEOUT: return "Timed out";
    case FP_ERROR_NO_MEMORY: return "Out of memory";
    case FP_ERROR_SYNTAX: return "Syntax error";
    case FP_ERROR_PROTOCOL: return "Malformed side-channel message";
    case FP_ERROR_NOT_SUPPORTED: return "Not supported by the backend or device";
    case FP_ERROR_BACKEND_GONE: return "The backend is gone";
    case FP_ERROR_BUSY: return "The device is in use by another job";
    case FP_ERROR_STATE: return "The device state file is unusable";
    case FP_ERROR_DEVICE_CLOSED: return "The printer closed the connection";
    case FP_ERROR_DEVICE_RESET: return "The printer reset the connection";
    case FP_ERROR_DEVICE_GONE: return "The device went away";
    default: return "Unknown error";
  }
}

/*
 * Win32 spooler shapes on top of libflushprinter, for driver code ported
 * from Windows: OpenPrinterA, WritePrinter, FlushPrinter, ClosePrinter and
 * GetLastError with the Windows error codes.
 *
 * A HANDLE from OpenPrinterA() is an fp_job_t * (flushprinter.h), so ported
 * code can mix both APIs.  Define FP_WIN32_NO_GETLASTERROR before including
 * this header to keep the name GetLastError free.
 */

#ifndef FLUSHPRINTER_WIN32_H
#define FLUSHPRINTER_WIN32_H

#include <stdint.h>

#include "flushprinter.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int       BOOL;
typedef uint32_t  DWORD;
typedef void     *LPVOID;
typedef DWORD    *LPDWORD;
typedef char     *LPSTR;
typedef void     *HANDLE;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

/* Windows error codes returned by GetLastError(). */
#ifndef ERROR_SUCCESS
#define ERROR_SUCCESS 0
#endif
#ifndef ERROR_INVALID_HANDLE
#define ERROR_INVALID_HANDLE 6
#endif
#ifndef ERROR_NOT_ENOUGH_MEMORY
#define ERROR_NOT_ENOUGH_MEMORY 8
#endif
#ifndef ERROR_WRITE_FAULT
#define ERROR_WRITE_FAULT 29
#endif
#ifndef ERROR_NOT_SUPPORTED
#define ERROR_NOT_SUPPORTED 50
#endif
#ifndef ERROR_PRINT_CANCELLED
#define ERROR_PRINT_CANCELLED 63
#endif
#ifndef ERROR_INVALID_PARAMETER
#define ERROR_INVALID_PARAMETER 87
#endif
#ifndef ERROR_BUSY
#define ERROR_BUSY 170
#endif
#ifndef ERROR_TIMEOUT
#define ERROR_TIMEOUT 1460
#endif

/*
 * Open the CUPS job connection with the defaults (job data on standard
 * output, side channel on descriptor 4, DEVICE_URI) and catch SIGTERM so a
 * cancel makes WritePrinter() fail with ERROR_PRINT_CANCELLED.
 * `pPrinterName` is informational and `pDefault` is ignored.
 */
BOOL OpenPrinterA(LPSTR pPrinterName, HANDLE *phPrinter, void *pDefault);

/* Close a handle from OpenPrinterA(). */
BOOL ClosePrinter(HANDLE hPrinter);

/* Send job data; `*pcWritten` (may be NULL) gets the bytes handed to the backend. */
BOOL WritePrinter(HANDLE hPrinter, LPVOID pBuf, DWORD cbBuf, LPDWORD pcWritten);

/*
 * Send `cbBuf` bytes of `pBuf` to clear the printer and keep the port idle
 * for `cSleep` ms.  Only after WritePrinter() failed, once per job; otherwise
 * fails with ERROR_INVALID_HANDLE.  A NULL `pBuf` with a non-zero `cbBuf`
 * fails with ERROR_INVALID_PARAMETER.  `*pcWritten` gets the bytes the
 * printer accepted.
 */
BOOL FlushPrinter(HANDLE hPrinter, LPVOID pBuf, DWORD cbBuf, LPDWORD pcWritten, DWORD cSleep);

/* The calling thread's last Windows error code. */
DWORD fp_win32_get_last_error(void);

/* The Windows error code for an fp_status_t. */
DWORD fp_win32_error_from_status(int status);

#ifndef FP_WIN32_NO_GETLASTERROR
#define GetLastError fp_win32_get_last_error
#endif

#ifdef __cplusplus
}
#endif

#endif /* FLUSHPRINTER_WIN32_H */

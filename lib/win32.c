/*
 * Win32 spooler functions (flushprinter-win32.h) as thin wrappers over the
 * fp_job_* API: BOOL results, DWORD counts and a thread-local last error
 * with Windows codes, following MS-RPRN where Windows and the RPC
 * specification differ (a refused flush is ERROR_INVALID_HANDLE).
 */

#include "flushprinter-win32.h"

#include <stddef.h>

/* The calling thread's last error, as GetLastError() reports it. */
static _Thread_local DWORD last_error;

/* The Windows error code for an fp_status_t. */
DWORD fp_win32_error_from_status(int status)
{
  switch (status)
  {
    case FP_OK: return ERROR_SUCCESS;
    case FP_ERROR_INVALID_ARGUMENT:
    case FP_ERROR_SYNTAX: return ERROR_INVALID_PARAMETER;
    case FP_ERROR_NO_FAILED_WRITE:
    case FP_ERROR_ALREADY_FLUSHED: return ERROR_INVALID_HANDLE;
    case FP_ERROR_CANCELED: return ERROR_PRINT_CANCELLED;
    case FP_ERROR_TIMEOUT: return ERROR_TIMEOUT;
    case FP_ERROR_NO_MEMORY: return ERROR_NOT_ENOUGH_MEMORY;
    case FP_ERROR_NOT_SUPPORTED: return ERROR_NOT_SUPPORTED;
    case FP_ERROR_BUSY: return ERROR_BUSY;
    default: return ERROR_WRITE_FAULT; /* I/O, protocol, backend gone, state */
  }
}

/* The calling thread's last Windows error code. */
DWORD fp_win32_get_last_error(void)
{
  return last_error;
}

/* Turn an fp_status_t into a BOOL, recording the error for GetLastError(). */
static BOOL win32_result(int status)
{
  if (status == FP_OK)
    return TRUE;
  last_error = fp_win32_error_from_status(status);
  return FALSE;
}

/* Fail because the handle is not one from OpenPrinterA(). */
static BOOL win32_invalid_handle(void)
{
  last_error = ERROR_INVALID_HANDLE;
  return FALSE;
}

/* Store a byte count in an optional DWORD, saturating. */
static void win32_store_count(LPDWORD out, uint64_t count)
{
  if (out)
    *out = count > UINT32_MAX ? UINT32_MAX : (DWORD)count;
}

/* Open the CUPS job connection; see flushprinter-win32.h. */
BOOL OpenPrinterA(LPSTR pPrinterName, HANDLE *phPrinter, void *pDefault)
{
  fp_job_t *job = NULL;
  int status;

  (void)pPrinterName;
  (void)pDefault;
  if (!phPrinter)
    return win32_result(FP_ERROR_INVALID_ARGUMENT);
  *phPrinter = NULL;
  if ((status = fp_job_open(NULL, &job)) == FP_OK && (status = fp_job_catch_sigterm(job)) != FP_OK)
    fp_job_close(job);
  if (status == FP_OK)
    *phPrinter = job;
  return win32_result(status);
}

/* Close a handle from OpenPrinterA(). */
BOOL ClosePrinter(HANDLE hPrinter)
{
  if (!hPrinter)
    return win32_invalid_handle();
  fp_job_close(hPrinter);
  return TRUE;
}

/* Send job data; see flushprinter-win32.h. */
BOOL WritePrinter(HANDLE hPrinter, LPVOID pBuf, DWORD cbBuf, LPDWORD pcWritten)
{
  size_t written = 0;
  int status;

  win32_store_count(pcWritten, 0);
  if (!hPrinter)
    return win32_invalid_handle();
  status = fp_job_write(hPrinter, pBuf, cbBuf, &written);
  win32_store_count(pcWritten, written);
  return win32_result(status);
}

/* FlushPrinter; see flushprinter-win32.h. */
BOOL FlushPrinter(HANDLE hPrinter, LPVOID pBuf, DWORD cbBuf, LPDWORD pcWritten, DWORD cSleep)
{
  fp_flush_result_t result;
  int status;

  win32_store_count(pcWritten, 0);
  if (!hPrinter)
    return win32_invalid_handle();
  status = fp_job_flush(hPrinter, pBuf, cbBuf, cSleep, &result);
  win32_store_count(pcWritten, result.written);
  return win32_result(status);
}

/*
 * The backend's side of the CUPS side channel: standard commands and
 * flushprinter's private FLUSH command.  The server owns the channel and
 * its reassembly state behind its own handle; it asks the job it serves for
 * what it needs through a small table of operations, and the job never
 * reaches into the server.
 */

#ifndef FP_SERVE_H
#define FP_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FP_SERVE_STALE_MS 250 /* a partial request older than this is junk */

/* Counts of one flush, as a FLUSH request's answer carries them. */
typedef struct fp_flush_report_s
{
  uint64_t padding;  /* completion bytes accepted */
  uint64_t written;  /* reset-buffer bytes accepted */
  int      idle_ms;  /* quiet window armed */
} fp_flush_report_t;

/* What the server asks of the job; `job` is the pointer given to fp_server_new(). */
typedef struct fp_serve_ops_s
{
  /* true once the job is canceled; with `wait`, a SIGTERM on its way gets the grace period. */
  bool    (*canceled)(void *job, bool wait);
  /* true while the job's own flush is done and its quiet window holds. */
  bool    (*quiet)(void *job);
  /* Write out the job data available now, then wait until the device has it. */
  int     (*drain_output)(void *job);
  /*
   * Drop pending job data, complete the half-sent command, send `reset`
   * (NULL: the queue's), arm a quiet window of `idle_ms` (-1: the queue's).
   */
  int     (*flush)(void *job, const uint8_t *reset, size_t reset_len, int idle_ms,
                   fp_flush_report_t *report);
  /* Wait until the quiet window armed by the last flush ends (or a cancel). */
  void    (*hold_quiet)(void *job);
  bool    (*bidirectional)(void *job);
  int     (*device_id)(void *job, char *buf, size_t size);
  uint8_t (*state)(void *job); /* FP_SC_STATE_* bits */
  bool    (*connected)(void *job);
} fp_serve_ops_t;

typedef struct fp_server_s fp_server_t;

/* Serve `fd` (may be -1: no side channel) for `job`; NULL when out of memory. */
fp_server_t *fp_server_new(int fd, const fp_serve_ops_t *ops, void *job);

void fp_server_free(fp_server_t *server);

/* The descriptor to poll for requests, or -1 once the channel is closed. */
int fp_server_fd(const fp_server_t *server);

/* ms until a partial request goes stale (poll no longer than this), or -1. */
int fp_server_timeout(const fp_server_t *server);

/* Read what the channel holds and answer every complete request. */
void fp_server_serve(fp_server_t *server);

/* Answer a partial request stuck too long with BAD_MESSAGE; true if one was. */
bool fp_server_expire(fp_server_t *server);

/* true once a filter's flush request was carried out. */
bool fp_server_filter_flushed(const fp_server_t *server);

/* true while a filter's flush request has begun and not ended. */
bool fp_server_flush_open(const fp_server_t *server);

#endif /* FP_SERVE_H */

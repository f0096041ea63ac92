/*
 * One job on one device: acquire the device (lock, quiet window, dirty
 * journal), stream the job, and on cancel or failure flush and hold the port
 * quiet.  The data path reads in one direction: input -> buffer -> transport,
 * and the tracker observes only the bytes the device accepted.
 */

#ifndef FP_SESSION_H
#define FP_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "language.h"
#include "options.h"
#include "sidechannel.h"
#include "state.h"
#include "transport.h"

/* What main() knows about the job. */
typedef struct fp_job_info_s
{
  int                          job_id;
  int                          input_fd;     /* job data: a filter pipe or the spool file */
  bool                         from_filters; /* a filter feeds us and may ask for the flush */
  int                          side_fd;      /* CUPS side channel, or -1 */
  int                          back_fd;      /* CUPS back channel, or -1 */
  int                          cancel_fd;    /* becomes readable when SIGTERM arrives */
  volatile sig_atomic_t       *canceled;     /* set by the SIGTERM handler */
} fp_job_info_t;

typedef struct fp_session_s
{
  fp_options_t         *opts;          /* language=auto is resolved into it (detect.c) */
  const fp_transport_t *transport;
  fp_job_info_t         job;
  fp_conn_t            *conn;          /* NULL while not connected */
  fp_store_t           *store;
  fp_device_state_t     state;         /* the journal record as last written */
  fp_tracker_t          tracker;       /* parser state of the printer */
  uint8_t               buf[65536];    /* job data read but not yet accepted */
  size_t                buf_off, buf_len;
  bool                  input_eof;
  uint64_t              accepted;      /* job bytes the device accepted */
  uint64_t              in_doubt;      /* accepted bytes maybe lost with a broken connection */
  bool                  journaled;     /* the journal says this job is streaming */
  bool                  failed;        /* a device write failed */
  bool                  connecting;    /* STATE: +connecting-to-device is set */
  bool                  filter_flushed;/* a filter's flush request was carried out */
  int64_t               quiet_until;   /* realtime ms of the window this job armed */
  fp_completion_t       flush_debt;    /* what the flush under way still owes */
  fp_sc_reader_t       *sc;            /* side-channel reassembly */
  fp_sc_message_t      *msg;           /* one message, scratch */
  uint8_t              *flush_buf;     /* a filter's flush buffer being received */
  size_t                flush_len, flush_expected;
  uint32_t              flush_idle;
  bool                  flush_open;
} fp_session_t;

/* Run the job; returns the backend's exit code (CUPS_BACKEND_*). */
int fp_session_run(fp_options_t *opts, const fp_transport_t *transport,
                   const fp_job_info_t *job);

/* Counts of one flush. */
typedef struct fp_session_flush_s
{
  uint64_t padding;  /* completion bytes accepted */
  uint64_t written;  /* reset-buffer bytes accepted */
  int      idle_ms;  /* quiet window armed */
} fp_session_flush_t;

/*
 * Complete the half-sent command, send `reset`, arm a quiet window of
 * `idle_ms`, clear the dirty journal.  Reconnects (bounded) if the device
 * went away.  Used for cancels, failures, SOFT_RESET and filter requests.
 */
int fp_session_flush(fp_session_t *s, const uint8_t *reset, size_t reset_len, int idle_ms,
                     fp_session_flush_t *result);

/* Write out all job data available now, then wait until the device has it. */
int fp_session_drain_output(fp_session_t *s);

/* Drop job data read but not sent, and what the input holds right now. */
void fp_session_discard_input(fp_session_t *s);

/* Sleep until the wall-clock `deadline` (ms); false as soon as `cancel_fd` (if >= 0) is readable. */
bool fp_session_sleep_until(int64_t deadline, int cancel_fd);

/* Non-zero once SIGTERM arrived. */
bool fp_session_canceled(const fp_session_t *s);

#endif /* FP_SESSION_H */

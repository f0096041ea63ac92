/*
 * One job on one device.  Three files share the job's state and nothing
 * else sees it:
 *   session.c  the job's life, top to bottom: acquire the device, wait out
 *              the quiet window, connect, recover a dirty device, detect the
 *              language, stream, end (done, canceled, failed);
 *   device.c   the device: lock and journal, quiet windows, connection,
 *              flushes;
 *   stream.c   the data path: input -> buffer [-> bander] -> transport,
 *              with the tracker fed only the bytes the device accepted.
 * The side channel (serve.c) and language detection (detect.c) work behind
 * interfaces of their own and never see this structure.
 */

#ifndef FP_SESSION_H
#define FP_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "../engine/language.h"
#include "../engine/state.h"
#include "band.h"
#include "live-status.h"
#include "options.h"
#include "serve.h"
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

/* Run the job; returns the backend's exit code (CUPS_BACKEND_*). */
int fp_session_run(const fp_options_t *opts, const fp_transport_t *transport,
                   const fp_job_info_t *job);

/* ---------------------------------------------------------------- the job's state */

typedef struct fp_session_s
{
  const fp_options_t   *opts;          /* the queue's options, as parsed: never written */
  const fp_transport_t *transport;
  fp_job_info_t         job;
  fp_server_t          *server;        /* the side channel */
  const uint8_t        *reset;         /* the job's reset: reset=, or its language's preset */
  size_t                reset_len;
  uint8_t              *reset_owned;   /* the preset, when detection chose one */
  bool                  detected;      /* the job's language is decided */
  fp_conn_t            *conn;          /* NULL while not connected */
  fp_store_t           *store;         /* NULL when the state directory is unusable */
  fp_device_state_t     state;         /* the journal record as last written */
  fp_tracker_t          tracker;       /* parser state of the printer */
  uint8_t               buf[65536];    /* job data read but not yet accepted (or banded) */
  size_t                buf_off, buf_len;
  bool                  banding;       /* job data goes out through `band` (band=, ESC/POS) */
  fp_band_t             band;
  /* banding: wire bytes made from `buf`, not yet accepted; room for the band headers
     a full `buf` makes at ordinary widths, so that a read goes out in one piece */
  uint8_t               wire[65536 + 8192];
  size_t                wire_off, wire_len;
  bool                  input_eof;
  uint64_t              accepted;      /* job bytes the device accepted */
  uint64_t              in_doubt;      /* accepted bytes maybe lost with a broken connection */
  bool                  journaled;     /* the journal says this job is streaming */
  bool                  data_in_flight; /* job bytes offered and not all taken (USB): own bytes wait */
  bool                  failed;        /* a device write failed */
  bool                  connecting;    /* STATE: +connecting-to-device is set */
  int64_t               quiet_until;   /* realtime ms of the window this job armed */
  fp_completion_t       flush_debt;    /* what the flush under way still owes */
  fp_live_t             live;          /* what the printer says about itself (status=) */
} fp_session_t;

/* ---------------------------------------------------------------- live-begin.c */

/* Turn the printer's live status on before the job's first byte, when status= and it allow. */
void fp_live_begin(fp_session_t *s);

/*
 * Send the backend's own bytes that are due when the printer is between
 * commands: the arming again after a reset in the job that may have
 * cancelled it, or a polled language's next query (ZPL ~HS).
 */
int fp_live_rearm(fp_session_t *s);

/*
 * Before reading what the printer says: own bytes a transport keeps in
 * flight (USB) are offered again, so that a write that has ended is counted
 * -- and its query noted -- before the answer to it is read.
 */
int fp_live_collect(fp_session_t *s);

/* The device took `n` of the backend's own bytes offered last (a write stopped in flight). */
void fp_live_own_taken(fp_session_t *s, size_t n);

/* Takes the transport's latest word on the printer's condition (transport.h: condition). */
void fp_live_hear_port(fp_session_t *s);

/* Wait until the device has everything; a condition the printer reports does not count. */
int fp_live_drain(fp_session_t *s, int stall_ms);

/* fp_live_confirm(): the printer did not confirm in time (it took everything). */
#define FP_ERROR_UNCONFIRMED (-110)

/* Where confirm= says so: ask the printer to confirm it printed the job, and wait. */
int fp_live_confirm(fp_session_t *s);

/*
 * Whether a flush is verified (verify=): off never; on, or auto with
 * status=on, whenever the language has a status query; auto otherwise only
 * where the printer answered this job's probe and the question is that probe.
 * Never after a flush that refused a debt (the question could land inside
 * the command).
 */
bool fp_live_verifies(const fp_session_t *s);

/*
 * Where fp_live_verifies(), after a flush: ask the printer to confirm it is
 * at command level and log the outcome; false when it was asked and did not
 * answer.
 */
bool fp_live_verify(fp_session_t *s, const char *what);

/* After a cancel: wait up to `ms` for a condition the printer reports to clear; false if not. */
bool fp_live_await_ready(fp_session_t *s, int ms);

/* Non-zero once SIGTERM arrived. */
bool fp_session_canceled(const fp_session_t *s);

/* ---------------------------------------------------------------- device.c */

/* Open the state store and take the device lock, waiting while another job holds it. */
int fp_device_acquire(fp_session_t *s);

/* Wait for a quiet window armed by an earlier job (any queue, any process) to end. */
int fp_device_wait_quiet(fp_session_t *s);

/* Connect, retrying for up to `budget_ms`; a cancel on `cancel_fd` (if >= 0) gives up. */
int fp_device_connect(fp_session_t *s, int budget_ms, int cancel_fd);

/* Drop a broken connection and reconnect to flush: `retries` attempts. */
int fp_device_reconnect(fp_session_t *s);

/* Note how many accepted bytes may be lost with a broken connection. */
void fp_device_note_in_doubt(fp_session_t *s);

/* Leave the half-sent command owed in the journal, widened by bytes the close may lose. */
void fp_device_journal_debt(fp_session_t *s);

/* Close the connection to the device. */
void fp_device_disconnect(fp_session_t *s);

/* Write the journal record; on failure say so once, printing goes on. */
void fp_device_journal(fp_session_t *s, bool durable);

/* Record what the device accepted of this job and what its half-sent command owes. */
void fp_device_journal_progress(fp_session_t *s, bool durable);

/*
 * Complete the half-sent command (within maxflush=), send `reset`, arm a
 * quiet window of `idle_ms`, journal the outcome.  Reconnects (bounded) if
 * the device went away; an unacknowledged SIGTERM stops it (FP_ERROR_CANCELED,
 * the rest journaled).  Job data in flight must be settled first.
 */
int fp_device_flush(fp_session_t *s, const uint8_t *reset, size_t reset_len, int idle_ms,
                    fp_flush_report_t *report);

/* If a job died mid-command without a flush, flush before this job's first byte. */
int fp_device_recover(fp_session_t *s);

/* Sleep until the wall-clock `deadline` (ms); false as soon as `cancel_fd` (if >= 0) is readable. */
bool fp_sleep_until(int64_t deadline, int cancel_fd);

/* ---------------------------------------------------------------- stream.c */

/* How a streaming phase ended. */
typedef enum fp_stream_end_e
{
  FP_STREAM_DATA,     /* the first job bytes are buffered (when asked to stop there) */
  FP_STREAM_DONE,     /* all job data reached the device */
  FP_STREAM_CANCELED, /* SIGTERM */
  FP_STREAM_FAILED    /* a device write failed */
} fp_stream_end_t;

/*
 * The streaming loop: input -> device, serving the side channel and the back
 * channel, until done, canceled or failed (`*failure` says why); with
 * `until_data`, it stops as soon as job data is buffered, before sending any.
 */
fp_stream_end_t fp_stream_run(fp_session_t *s, bool until_data, int *failure);

/* Read more job data after what is buffered, waiting up to `wait_ms`; false when none can come. */
bool fp_stream_read_more(fp_session_t *s, int wait_ms);

/* Stop a write the transport left in flight and count what of it the device took. */
int fp_stream_settle(fp_session_t *s);

/* Drop job data read but not sent, and what the input holds right now. */
void fp_stream_discard_input(fp_session_t *s);

/* Write out all job data available now, then wait until the device has it. */
int fp_stream_drain_output(fp_session_t *s);

/* true while job data waits to go out (read, or banded, and not accepted yet). */
bool fp_stream_pending(fp_session_t *s);

#endif /* FP_SESSION_H */

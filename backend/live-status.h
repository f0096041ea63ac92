/*
 * What the printer says about itself during a job (printer-status.h): the
 * back channel goes through the language's reply parser; replies to the
 * backend's own queries and the status the backend armed are consumed and
 * become STATE: lines, everything else goes on to fd 3 as before.  A
 * transport's path beside the data (USB's port status) reports conditions
 * too, whatever the language: with it, status may be on without a parser.
 */

#ifndef FP_LIVE_STATUS_H
#define FP_LIVE_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/printer-status.h"

/* status= */
enum
{
  FP_STATUS_MODE_OFF,  /* never ask: today's behaviour */
  FP_STATUS_MODE_AUTO, /* a blind-safe probe; on when the printer answers it */
  FP_STATUS_MODE_ON    /* the queue says the printer answers: probe and arm whatever the language */
};

typedef struct fp_live_s
{
  const fp_status_language_t *language; /* NULL: no in-band status */
  bool     port;          /* the transport's condition path is watched */
  fp_status_parser_t parser;
  int      back_fd;       /* where bytes that are not ours go (-1: nowhere) */
  unsigned state;         /* FP_COND_* the printer reports now in its language */
  unsigned port_state;    /* FP_COND_* its port reports now */
  unsigned announced;     /* the ones with a STATE: + line out */
  bool     held;          /* the INFO: line that the job waits is out */
  bool     answered;      /* an own query was answered */
  bool     armed;         /* unsolicited status was switched on (and not known cancelled) */
  bool     rearm;         /* the job may have switched it off: arm at the next boundary */
  size_t   scan;          /* bytes of the language's reset matched in the job's data */
  uint8_t  own[64];       /* the backend's bytes not taken yet: they go before job data */
  size_t   own_len;
  char     done_id[FP_STATUS_ID_MAX + 1]; /* the completion asked for ("": none) */
  bool     done;          /* ... and the printer confirmed it */
  /* A language without unsolicited status (ZPL) is asked again and again (polled). */
  bool     polled;
  uint64_t asked, heard;  /* own queries sent, and answers to them (in order) */
  int64_t  asked_at;      /* monotonic ms of the last own query */
  uint64_t since_asked;   /* job bytes the printer took since the last own query */
  long     queued;        /* the last own answer: work the printer holds unprinted (-1: not said) */
  bool     partial;       /* ... and it was inside a command then (a ZPL format) */
} fp_live_t;

/* Status off (the state every session starts in). */
void fp_live_off(fp_live_t *live);

/* Status on for `language`, bytes not ours to `back_fd`. */
void fp_live_start(fp_live_t *live, const fp_status_language_t *language, int back_fd);

/* The transport's condition path on too (status starts when it was off). */
void fp_live_port_on(fp_live_t *live, int back_fd);

/* The port's conditions now (FP_COND_* bits). */
void fp_live_port(fp_live_t *live, unsigned conditions);

/* true while status is on, in-band or by the port. */
static inline bool fp_live_on(const fp_live_t *live)
{
  return live->language || live->port;
}

/*
 * Hands back-channel bytes that are not the backend's on to `back_fd` (the
 * filters' fd 3, opened non-blocking; -1: nowhere): what CUPS backends do
 * with everything the printer sends, status off or on.
 */
void fp_back_channel_pass_on(int back_fd, const uint8_t *data, size_t len);

/* Back-channel bytes read from the printer. */
void fp_live_feed(fp_live_t *live, const uint8_t *data, size_t len);

/*
 * Whether a polled language's next query is due: none unanswered, and
 * FP_LIVE_POLL_BYTES of the job taken since the last one, unless the job
 * showed a query could be data to the printer (fp_status_may_poll) (`now`:
 * due at once, for the waits after the job's last byte).
 */
#define FP_LIVE_POLL_BYTES 8192
bool fp_live_poll_due(const fp_live_t *live, bool now);

/* Bytes the printer accepted: the job's (`own` false) or the backend's queries. */
void fp_live_note_sent(fp_live_t *live, const uint8_t *data, size_t len, bool own);

/*
 * How many of the `len` job bytes at `data` to send before the backend may
 * have to re-arm (just after a reset that may have switched status off);
 * `len` when none.
 */
size_t fp_live_split(const fp_live_t *live, const uint8_t *data, size_t len);

/* true while the printer reports a condition a person must fix: waiting does not count. */
bool fp_live_blocked(const fp_live_t *live);

/* GET_STATE's bits (CUPS_SC_STATE_*) with what the printer reports folded into `bits`. */
uint8_t fp_live_sc_state(const fp_live_t *live, uint8_t bits);

/*
 * The connection ended (a flush reconnects): the backend's own bytes not
 * sent and the queries not answered on it are gone; the reasons stand.
 */
void fp_live_connection_ended(fp_live_t *live);

/* Withdraws the STATE: reasons still announced (end of the job). */
void fp_live_finish(fp_live_t *live);

#endif /* FP_LIVE_STATUS_H */

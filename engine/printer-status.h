/*
 * What a printer says back: per-language status queries and reply parsers,
 * behind a table the way the trackers are (language.h).  One file per
 * language: status-NAME.c.  A parser takes the back channel's bytes in
 * pieces of any size, picks out the replies it knows (status, completion,
 * echo) and hands every other byte back untouched, so that a backend can
 * pass them on to whoever asked for them (fd 3, as CUPS backends do).
 *
 * Nothing from the printer is trusted: every reply has a bounded length and
 * a fixed shape, and bytes that do not fit the shape are not a reply.  Which
 * query a reply answers is decided by the order of the queries seen in the
 * outgoing stream (fp_status_note_sent), never by the bytes' arrival alone.
 */

#ifndef FP_PRINTER_STATUS_H
#define FP_PRINTER_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Conditions a printer reports (a bit mask). */
enum
{
  FP_COND_MEDIA_EMPTY = 1 << 0, /* out of paper (labels, roll) */
  FP_COND_MEDIA_LOW = 1 << 1,   /* paper near its end */
  FP_COND_COVER_OPEN = 1 << 2,  /* cover, door or print head open */
  FP_COND_MEDIA_JAM = 1 << 3,   /* paper jam (ESC/POS: the autocutter's error) */
  FP_COND_OFFLINE = 1 << 4,     /* offline or paused */
  FP_COND_OTHER_ERROR = 1 << 5  /* any other error a person must clear */
};
#define FP_COND_ALL 0x3fu

/* The longest reply a parser holds, and the longest id or text it keeps. */
#define FP_STATUS_REPLY_MAX 512
#define FP_STATUS_ID_MAX 80

typedef enum
{
  FP_REPLY_STATUS,  /* `known`, `conditions` (and `code`) are set */
  FP_REPLY_DONE,    /* printer-confirmed completion of the work named `id` */
  FP_REPLY_ECHO,    /* PJL ECHO: `id` is the echoed text */
  FP_REPLY_UNPARSED /* a framed reply the parser does not interpret (printer ID...) */
} fp_reply_type_t;

/* One reply. */
typedef struct fp_reply_s
{
  fp_reply_type_t type;
  /*
   * The conditions this reply speaks for; the ones not in it are neither
   * present nor absent according to it.  Live state is
   * (state & ~known) | conditions.
   */
  unsigned known;
  unsigned conditions;                /* of `known`, the ones present */
  long     code;                      /* PJL: the status code; ESC/POS: the raw byte(s); -1: none */
  long     queued;                    /* ZPL: formats/labels not printed yet; -1: not said */
  bool     partial;                   /* ZPL: a format is being received (not at command level) */
  bool     solicited;                 /* answers a query noted in fp_status_note_sent() */
  bool     own;                       /* ... and that query was noted as the caller's own */
  char     id[FP_STATUS_ID_MAX + 1];  /* DONE, ECHO: NUL-terminated, printable ASCII only */
  const uint8_t *raw;                 /* the reply's bytes (valid during the callback) */
  size_t   raw_len;
} fp_reply_t;

/* What a language's byte step says about one byte. */
typedef enum
{
  FP_STEP_OTHER,  /* not part of a reply (the parser's frame state is idle) */
  FP_STEP_HOLD,   /* may belong to a reply: keep it */
  FP_STEP_REPLY,  /* completes a reply (the held bytes and this one); `reply` filled */
  FP_STEP_REJECT  /* the held bytes and this one are no reply; frame state back to idle */
} fp_step_t;

#define FP_STATUS_STATE_MAX 512

/* A printer language's status side: a vtable over a fixed-size state. */
typedef struct fp_status_language_s
{
  const char *name;       /* the tracker's name: "escpos", "pcl", "zpl" */
  /*
   * A short query whose answer proves the printer talks back.  `probe_blind`:
   * a printer of the language that does not know it prints nothing for it,
   * so it may go to a printer that has not shown it answers; otherwise only
   * to one whose device ID names `command_set` or that the queue says does.
   */
  const uint8_t *probe;
  size_t         probe_len;
  bool           probe_blind;
  const char    *command_set; /* IEEE 1284 CMD: token that vouches (NULL: none) */
  /* Switches unsolicited status on (NULL: the language has none; poll with the probe). */
  const uint8_t *arm;
  size_t         arm_len;
  /* A command in a job that may switch it off again (ESC/POS: ESC @; PJL: the UEL);
     NULL: none.  Arming is at most 64 bytes where there is one to repeat. */
  const uint8_t *disarm;
  size_t         disarm_len;
  size_t         reply_max;   /* longest reply the parser holds (<= FP_STATUS_REPLY_MAX) */
  size_t         state_size;  /* <= FP_STATUS_STATE_MAX */
  void (*init)(void *state);
  /* Forgets a reply in progress (keeps the queries noted). */
  void (*reset_frame)(void *state);
  /* Scans bytes going to the printer for queries whose answers will come back. */
  void (*note_sent)(void *state, const uint8_t *data, size_t len, bool own);
  /* One back-channel byte. */
  fp_step_t (*step)(void *state, uint8_t byte, fp_reply_t *reply);
  /*
   * Whether `byte`, coming straight after text the printer sent (printable
   * ASCII and tabs on one line, handed on as not a reply), is more of that text
   * rather than a one-byte reply or a reply's first byte (NULL: never).  For
   * languages whose replies are bare bytes, some of which are letters.
   */
  bool (*text_byte)(uint8_t byte);
  /*
   * Whether the backend may ask again between commands as the job goes
   * (NULL: always): false once the job's bytes showed that the printer may
   * take a query for data at a boundary the tracker vouches for (EPL2: the
   * variable data lines after '?').
   */
  bool (*may_poll)(const void *state);
  /*
   * Writes into `out` (at most `size` bytes) a query whose DONE reply names
   * `id` and comes only once everything sent before it has printed (PJL: an
   * ECHO reply naming `id`, which comes once everything before it has been
   * parsed -- for a page printer not yet printed); returns its length, 0
   * when `id` does not fit its form.  NULL: the language has none (ZPL: poll
   * the probe until its reply's `queued` is 0).
   */
  size_t (*done_query)(const char *id, uint8_t *out, size_t size);
  /* What must precede the job for done_query to name it (NULL: nothing). */
  size_t (*begin_query)(const char *id, uint8_t *out, size_t size);
} fp_status_language_t;

extern const fp_status_language_t fp_status_escpos;
extern const fp_status_language_t fp_status_pjl;
extern const fp_status_language_t fp_status_zpl;
extern const fp_status_language_t fp_status_dymo;
extern const fp_status_language_t fp_status_epl;

/* The status side of the tracker language `name` ("pcl" gives PJL), or NULL. */
const fp_status_language_t *fp_status_language_find(const char *name);

/* Receives a parser's output: a reply (`reply` set) or passed-through bytes. */
typedef void (*fp_status_reply_fn)(void *ctx, const fp_reply_t *reply);
typedef void (*fp_status_other_fn)(void *ctx, const uint8_t *data, size_t len);

/* A running parser; plain data, may live on the stack. */
typedef struct fp_status_parser_s
{
  const fp_status_language_t *language;
  fp_status_reply_fn on_reply;
  fp_status_other_fn on_other;
  void   *ctx;
  uint8_t held[FP_STATUS_REPLY_MAX + 1];
  size_t  nheld;
  uint8_t other[256];   /* passed-through bytes not handed over yet */
  size_t  nother;
  uint64_t replies;     /* replies parsed */
  uint64_t rejected;    /* frames that turned out not to be replies */
  bool    after_text;   /* the last byte handed on was text (see text_byte) */
  union { uint64_t align; uint8_t bytes[FP_STATUS_STATE_MAX]; } state;
} fp_status_parser_t;

/* Starts a parser; either callback may be NULL. */
void fp_status_parser_init(fp_status_parser_t *p, const fp_status_language_t *language,
                           fp_status_reply_fn on_reply, fp_status_other_fn on_other, void *ctx);

/* The language's may_poll(): false once the job showed a query could be data. */
bool fp_status_may_poll(const fp_status_parser_t *p);

/* Notes bytes sent to the printer (`own`: the caller's queries, not the job's). */
void fp_status_note_sent(fp_status_parser_t *p, const void *data, size_t len, bool own);

/* Parses back-channel bytes; calls the callbacks in arrival order. */
void fp_status_feed(fp_status_parser_t *p, const void *data, size_t len);

/*
 * Hands over what is held: bytes of a reply not complete yet are given up as
 * passed-through bytes (the connection ended, or the caller stops listening).
 */
void fp_status_flush(fp_status_parser_t *p);

/* Live state after a STATUS reply. */
static inline unsigned fp_status_apply(unsigned state, const fp_reply_t *reply)
{
  return (state & ~reply->known) | (reply->conditions & reply->known);
}

/*
 * The printer's port status byte (the IEEE 1284 status lines, as a USB
 * printer-class GET_PORT_STATUS reports them): three bits have a meaning,
 * the others are reserved and zero.
 */
#define FP_PORT_PAPER_EMPTY 0x20 /* 1: out of paper */
#define FP_PORT_SELECTED 0x10    /* 1: selected (online) */
#define FP_PORT_NOT_ERROR 0x08   /* 0: an error */
#define FP_PORT_RESERVED 0xc7

/*
 * The conditions a port status byte reports: paper empty, not selected
 * (offline), an error that is not the paper's.  0 for a byte with a
 * reserved bit set: a reading that is not one is no condition.
 */
unsigned fp_status_port_conditions(uint8_t port);

/* A condition's CUPS printer-state-reasons keyword ("media-empty"...), or NULL. */
const char *fp_status_condition_keyword(unsigned condition);

/* For languages: the queries sent whose answers have not come back, oldest first. */
#define FP_QUERY_MAX 32
typedef struct fp_query_fifo_s
{
  uint8_t kind[FP_QUERY_MAX]; /* the language's name for the query */
  bool    own[FP_QUERY_MAX];
  uint8_t head, count;
  uint32_t dropped;           /* queries noted while full: their answers come unattributed */
} fp_query_fifo_t;

/* Notes a query sent. */
void fp_query_push(fp_query_fifo_t *q, uint8_t kind, bool own);

/* Takes the oldest query; false when none is waiting. */
bool fp_query_pop(fp_query_fifo_t *q, uint8_t *kind, bool *own);

/* Takes the oldest query into `reply` (solicited, own); returns its kind, or -1 when none. */
int fp_query_answer(fp_query_fifo_t *q, fp_reply_t *reply);

/* For languages: copies printable ASCII of `s` (`len` bytes) into `id`; false if any is not. */
bool fp_status_copy_id(char id[FP_STATUS_ID_MAX + 1], const uint8_t *s, size_t len);

#endif /* FP_PRINTER_STATUS_H */

/*
 * model-common.h: what every printer-language model of the emulator shares:
 * the events it reports, its counters, the interface the emulator drives it
 * through, and the bookkeeping that attributes each byte to the connection it
 * came on.
 *
 * A model is fed the bytes of each connection in arrival order. Its state
 * outlives connections, like a real printer's: a command begun by connection A
 * consumes the following bytes whichever connection they come from. A byte
 * consumed inside a command that another connection began is "swallowed":
 * counted per victim connection and reported when the command ends or the
 * victim's connection ends, whichever comes first. Everything a model sees is
 * reported through an event callback; memory use is fixed.
 */

#ifndef FP_MODEL_COMMON_H
#define FP_MODEL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define MC_FOREIGN_MAX 64 /* victim connections tracked per command before reporting early */
#define MC_TEXT_MAX 1024  /* longest text line kept; a longer one is printed in pieces */

/* What a model reports (some events only one language has). */
typedef enum
{
  MC_EV_TEXT,        /* a line (ZPL: a field) was printed: data/len */
  MC_EV_IMAGE_BEGIN, /* a raster began: cmd, bytes, width, height */
  MC_EV_IMAGE_END,   /* the raster ended: owner, bytes, zeros, swallowed */
  MC_EV_SWALLOWED,   /* conn's bytes went into owner's command: bytes = count */
  MC_EV_RESET,       /* ESC @ (PCL: ESC E, ZPL: ~JR) */
  MC_EV_CLEAR,       /* ESC/POS: DLE DC4 8, ZPL: ~JA, ~JX: buffers cleared */
  MC_EV_CUT,         /* ESC/POS: GS V */
  MC_EV_LABEL,       /* DYMO: ESC E / ESC G: lines, skipped, short_feed; ZPL (cmd "xz"): ^XZ:
                        texts (fields), graphics */
  MC_EV_PAGE,        /* PCL: a page was ejected: cmd (what ejected it), texts, graphics */
  MC_EV_UEL,         /* PCL: ESC %-12345X (Universal Exit Language) */
  MC_EV_PJL,         /* PCL: a PJL command line: data/len */
  MC_EV_ABORT,       /* ZPL: ~DN: bytes = 1 when its ~ cut a hex download short, else 0 */
  MC_EV_UNKNOWN,     /* unknown command: data/len = its bytes */
  MC_EV_IGNORED,     /* DYMO, ZPL: bytes outside any command, ignored: bytes = count */
  MC_EV_PENDING,     /* a connection ended inside owner's command: bytes = still expected */
  MC_EV_QUERY,       /* a status command arrived (answered or not): data/len = its bytes */
  MC_EV_REPLY,       /* the printer sends data/len back to the host */
  MC_EV_ROW          /* ESC/POS: a GS v 0 row was printed: data/len = its bytes, height = the
                        dot lines it takes (2: double height), width = 2 in double width */
} mc_event_type_t;

/* What holds the printer, as its status replies report it (mc_core_t.conditions). */
enum
{
  MC_COND_PAPER_OUT = 1 << 0,
  MC_COND_COVER_OPEN = 1 << 1,
  MC_COND_PAPER_LOW = 1 << 2
};

/* One event; fields not listed for its type are zero. */
typedef struct
{
  mc_event_type_t type;
  unsigned conn;             /* connection whose byte caused it (swallowed: the victim) */
  unsigned owner;            /* connection that began the command (DYMO: or the label's raster) */
  const char *cmd;           /* image-begin: "gsv0" or "escstar" (ESC/POS), "label" (DYMO),
                                "raster" (PCL), "dg", "gfa", "gfb", "gfc", "dya"... (ZPL); page: what
                                ejected it; label: "xz" (ZPL), NULL (DYMO) */
  uint64_t bytes;            /* image size, swallowed/ignored count, or bytes still expected */
  uint64_t zeros;            /* image-end: data bytes that were 0x00 */
  uint64_t swallowed;        /* image-end: bytes from other connections (ESC/POS: header too) */
  unsigned width;            /* gsv0: bytes per row; escstar: dots (columns); label: ESC D */
  unsigned height;           /* gsv0: rows; escstar: 8 or 24 dots; label: ESC L (0: not set) */
  uint64_t lines;            /* label: raster lines (SYN and ETB) on the label */
  uint64_t skipped;          /* label: blank lines skipped with ESC f */
  int short_feed;            /* label: ESC G rather than ESC E */
  uint64_t texts;            /* page: text lines on it; label (ZPL): fields on it */
  uint64_t graphics;         /* page: rasters on it; label (ZPL): ^GF and ^XG on it */
  const unsigned char *data; /* text line / unknown or pending command bytes */
  size_t len;
} mc_event_t;

/* Receives a model's events; `ev` is only valid during the call. */
typedef void (*mc_event_fn)(void *ctx, const mc_event_t *ev);

/* Counters since the model was created (power cycles do not clear them). */
typedef struct
{
  uint64_t texts;       /* lines (ZPL: fields) printed */
  uint64_t images;      /* rasters begun (image-begin) */
  uint64_t images_done; /* rasters ended (image-end) */
  uint64_t swallowed;   /* bytes consumed by another connection's command */
  uint64_t resets;      /* ESC @ */
  uint64_t unknown;     /* unknown commands */
  uint64_t clears;      /* ESC/POS: DLE DC4 8 */
  uint64_t cuts;        /* ESC/POS: GS V */
  uint64_t labels;      /* DYMO: ESC E and ESC G; ZPL: ^XZ ending a format */
  uint64_t pages;       /* PCL: pages ejected */
  uint64_t lines;       /* DYMO: raster lines completed */
  uint64_t ignored;     /* DYMO, ZPL: bytes outside any command */
} mc_stats_t;

/* A printer language's model, as the emulator drives it; `model` is what create returned. */
typedef struct
{
  const char *name; /* the --language value */
  /* Creates a model in its power-on state; NULL when out of memory. */
  void *(*create)(mc_event_fn fn, void *ctx);
  /* Frees a model. */
  void (*destroy)(void *model);
  /* Parses `len` bytes that arrived on connection `conn` (numbered from 1). */
  void (*feed)(void *model, unsigned conn, const unsigned char *buf, size_t len);
  /* Tells the model connection `conn` ended (reports pending, swallowed, DYMO: ignored bytes). */
  void (*conn_end)(void *model, unsigned conn);
  /* Power cycle: drops the command in progress (and the language's buffers or settings). */
  void (*power_cycle)(void *model);
  /* Reports what is not reported yet (call before the final summary). */
  void (*finish)(void *model);
  /* Nonzero while the parser is inside a command. */
  int (*busy)(const void *model);
  /* The model's counters. */
  const mc_stats_t *(*stats)(const void *model);
  /* mc_core_t.conditions changed (paper, cover): reports it unasked where the model does so
     (ESC/POS automatic status back); NULL for a model that never talks back. */
  void (*status_changed)(void *model);
} mc_language_t;

/* Bytes one victim connection lost to the current command. */
typedef struct
{
  unsigned conn;
  uint64_t n;
} mc_foreign_t;

/* The state every model keeps; the first member of each model's struct. */
typedef struct
{
  mc_event_fn emit;
  void *ctx;
  mc_stats_t stats;

  unsigned char head[2]; /* the command's first byte (prefix) and command byte */
  unsigned owner;        /* the connection that sent head[0] */
  uint64_t swallowed;    /* swallowed bytes in the current command */
  mc_foreign_t foreign[MC_FOREIGN_MAX];
  size_t nforeign; /* victims not reported yet */

  unsigned ignored_conn; /* ignored bytes not reported yet: whose */
  uint64_t ignored;      /* and how many */

  unsigned conditions;   /* MC_COND_*: set by the emulator, read by status replies */
  int dumb;              /* answers no status command (they are still reported as queries) */
  uint64_t answer_limit; /* status replies it sends before going silent (--answers); 0: no limit */
  uint64_t answered;     /* status replies sent */
  uint64_t waiting;      /* formats parsed but not printed yet (set by the emulator: --hold) */
} mc_core_t;

/* A text line being composed. */
typedef struct
{
  unsigned char data[MC_TEXT_MAX];
  size_t len;
} mc_text_t;

/* Allocates a zeroed model of `size` bytes whose first member is its mc_core_t. */
void *mc_model_new(size_t size, mc_event_fn fn, void *ctx);

/* The counters of a model made by mc_model_new. */
const mc_stats_t *mc_model_stats(const void *model);

/* Reports the swallowed and ignored bytes of a model made by mc_model_new not reported yet. */
void mc_model_finish(void *model);

/* Clears `ev` and fills in its type, its connection and the command's owner. */
void mc_event_init(const mc_core_t *c, mc_event_t *ev, mc_event_type_t type, unsigned conn);

/* Sends an event to the callback. */
void mc_emit(const mc_core_t *c, const mc_event_t *ev);

/* Sends an event that carries only a type, a connection, a count and optional bytes. */
void mc_emit_simple(const mc_core_t *c, mc_event_type_t type, unsigned conn, uint64_t bytes,
                    const unsigned char *data, size_t len);

/* Counts a raster begun and reports it. */
void mc_image_begin(mc_core_t *c, unsigned conn, const char *cmd, uint64_t bytes, unsigned width,
                    unsigned height);

/* Counts a raster ended and reports it. */
void mc_image_end(mc_core_t *c, unsigned conn, unsigned owner, uint64_t bytes, uint64_t zeros,
                  uint64_t swallowed);

/* Starts a command that connection `conn` began with byte `first`. */
void mc_begin_command(mc_core_t *c, unsigned conn, unsigned char first);

/* Attributes `n` bytes of the current command to `conn`; nonzero when they are swallowed. */
int mc_count_bytes(mc_core_t *c, unsigned conn, uint64_t n);

/* Reports every victim not reported yet (the command ended, or the summary is due). */
void mc_flush_foreign(mc_core_t *c);

/* `conn` ended mid-command: reports its swallowed bytes and, if involved, the pending command
   (`cmd`/`len`: the bytes that name it). */
void mc_conn_end(mc_core_t *c, unsigned conn, uint64_t expected, const unsigned char *cmd,
                 size_t len);

/* Counts one byte from `conn` that is outside any command and ignored. */
void mc_note_ignored(mc_core_t *c, unsigned conn);

/* Reports the ignored bytes counted so far. */
void mc_flush_ignored(mc_core_t *c);

/* Prints the line `t` (possibly empty) as a text event for `conn`, and empties it. */
void mc_text_print(mc_core_t *c, mc_text_t *t, unsigned conn);

/* Appends byte `b` to the line `t`, printing the line first when it is full. */
void mc_text_add(mc_core_t *c, mc_text_t *t, unsigned conn, unsigned char b);

/* Takes up to `len` bytes of the counted block in progress; 0 when no block is open. */
typedef size_t (*mc_take_fn)(void *model, unsigned conn, const unsigned char *buf, size_t len);

/* Parses one byte outside counted blocks; 0 when the byte must be parsed again. */
typedef int (*mc_step_fn)(void *model, unsigned conn, unsigned char b);

/* Feeds `len` bytes from `conn` to a model: counted blocks in bulk, the rest byte by byte. */
void mc_feed(void *model, unsigned conn, const unsigned char *buf, size_t len, mc_take_fn take,
             mc_step_fn step);

/* How many of `len` bytes a block with `remaining` bytes left takes. */
size_t mc_block_part(size_t len, uint64_t remaining);

/* How many of `n` bytes are 0x00. */
uint64_t mc_zeros(const unsigned char *buf, size_t n);

/* Reports the status command `query` (NULL: none, an unasked report), then sends `reply`
   (NULL: none) back unless the printer is dumb. */
void mc_status_reply(mc_core_t *c, unsigned conn, const unsigned char *query, size_t qlen,
                     const unsigned char *reply, size_t rlen);

#endif /* FP_MODEL_COMMON_H */

/*
 * escpos-model.h: the printer emulator's model of a cheap ESC/POS receipt
 * printer's command parser.
 *
 * This is an independent implementation, written for the tests and shares no
 * code with the library's ESC/POS tracker: the tests compare the two.
 *
 * The model is fed the bytes of each connection in arrival order. Its state
 * outlives connections, like a real printer's: a raster command begun by
 * connection A consumes the following bytes as pixels whichever connection
 * they come from. Everything it sees is reported through an event callback;
 * memory use is fixed.
 */

#ifndef FP_ESCPOS_MODEL_H
#define FP_ESCPOS_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* Longest text line kept; a longer line is printed in pieces (wrapped). */
#define EP_LINE_MAX 1024

/* What the model reports. */
typedef enum
{
  EP_EV_TEXT,        /* a line was printed: data/len */
  EP_EV_IMAGE_BEGIN, /* raster header complete: cmd, bytes, width, height */
  EP_EV_IMAGE_END,   /* raster complete: owner, bytes, zeros, swallowed */
  EP_EV_SWALLOWED,   /* conn's bytes went into owner's command: bytes = count */
  EP_EV_RESET,       /* ESC @ */
  EP_EV_CLEAR,       /* DLE DC4 8: receive and print buffers cleared */
  EP_EV_CUT,         /* GS V */
  EP_EV_UNKNOWN,     /* unknown command: data/len = its bytes */
  EP_EV_PENDING      /* a connection ended inside owner's command: bytes = still expected */
} ep_event_type_t;

/* One event; fields not listed for its type are zero. */
typedef struct
{
  ep_event_type_t type;
  unsigned conn;             /* connection whose byte caused it (swallowed: the victim) */
  unsigned owner;            /* connection that began the command */
  const char *cmd;           /* image-begin: "gsv0" or "escstar" */
  uint64_t bytes;            /* image size, swallowed count, or bytes still expected */
  uint64_t zeros;            /* image-end: data bytes that were 0x00 */
  uint64_t swallowed;        /* image-end: data and header bytes from other connections */
  unsigned width;            /* gsv0: bytes per row; escstar: dots (columns) */
  unsigned height;           /* gsv0: rows; escstar: 8 or 24 dots */
  const unsigned char *data; /* text line / unknown or pending command bytes */
  size_t len;
} ep_event_t;

/* Receives the model's events; `ev` is only valid during the call. */
typedef void (*ep_event_fn)(void *ctx, const ep_event_t *ev);

/* Counters since the model was created (power cycles do not clear them). */
typedef struct
{
  uint64_t texts;       /* lines printed */
  uint64_t images;      /* raster headers parsed (image-begin) */
  uint64_t images_done; /* rasters completed (image-end) */
  uint64_t swallowed;   /* bytes consumed by another connection's command */
  uint64_t resets;      /* ESC @ */
  uint64_t clears;      /* DLE DC4 8 */
  uint64_t cuts;        /* GS V */
  uint64_t unknown;     /* unknown commands */
} ep_stats_t;

typedef struct ep_model ep_model_t;

/* Creates a model in its power-on state; NULL when out of memory. */
ep_model_t *ep_model_new(ep_event_fn fn, void *ctx);

/* Frees a model. */
void ep_model_free(ep_model_t *m);

/* Parses `len` bytes that arrived on connection `conn` (numbered from 1). */
void ep_model_feed(ep_model_t *m, unsigned conn, const unsigned char *buf, size_t len);

/* Tells the model connection `conn` ended (reports pending and swallowed bytes). */
void ep_model_conn_end(ep_model_t *m, unsigned conn);

/* Power cycle: drops the command in progress and the line buffer. */
void ep_model_power_cycle(ep_model_t *m);

/* Reports swallowed bytes not reported yet (call before the final summary). */
void ep_model_finish(ep_model_t *m);

/* Nonzero while the parser is inside a command (not at the text level). */
int ep_model_busy(const ep_model_t *m);

/* The model's counters. */
const ep_stats_t *ep_model_stats(const ep_model_t *m);

#endif /* FP_ESCPOS_MODEL_H */

/*
 * dymo-model.h: the printer emulator's model of a DYMO LabelWriter's raster
 * command parser, as CUPS's rastertolabel, LPrint and DYMO's own driver use it.
 *
 * This is an independent implementation, written for the tests and shares no
 * code with the library: the tests compare the two.
 *
 * The model is fed the bytes of each connection in arrival order. Its state
 * outlives connections, like a real printer's: a raster line begun by
 * connection A (SYN or ETB) consumes the following bytes as pixels whichever
 * connection they come from, ESC bytes included; that is why at least 85 ESC
 * bytes followed by ESC @ reset a LabelWriter from any state. Everything it
 * sees is reported through an event callback; memory use is fixed.
 */

#ifndef FP_DYMO_MODEL_H
#define FP_DYMO_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* Bytes per raster line after power-on and ESC @ (a 672-dot print head). */
#define DM_DEFAULT_BYTES_PER_LINE 84

/* What the model reports. */
typedef enum
{
  DM_EV_IMAGE_BEGIN, /* a label's first raster line began: bytes, width, height */
  DM_EV_IMAGE_END,   /* the label's raster ended: owner, bytes, zeros, swallowed */
  DM_EV_SWALLOWED,   /* conn's bytes went into owner's command: bytes = count */
  DM_EV_LABEL,       /* ESC E / ESC G: lines, skipped, short_feed */
  DM_EV_RESET,       /* ESC @ */
  DM_EV_UNKNOWN,     /* unknown command: data/len = its bytes */
  DM_EV_IGNORED,     /* bytes outside any command, ignored: bytes = count */
  DM_EV_PENDING      /* a connection ended inside owner's command: bytes = still expected */
} dm_event_type_t;

/* One event; fields not listed for its type are zero. */
typedef struct
{
  dm_event_type_t type;
  unsigned conn;             /* connection whose byte caused it (swallowed: the victim) */
  unsigned owner;            /* connection that began the command or the label's raster */
  uint64_t bytes;            /* image size, swallowed/ignored count, or bytes still expected */
  uint64_t zeros;            /* image-end: data bytes that were 0x00 */
  uint64_t swallowed;        /* image-end: data bytes from other connections */
  unsigned width;            /* image-begin: bytes per line (ESC D) */
  unsigned height;           /* image-begin: label length in dot lines (ESC L; 0: not set) */
  uint64_t lines;            /* label: raster lines (SYN and ETB) on the label */
  uint64_t skipped;          /* label: blank lines skipped with ESC f */
  int short_feed;            /* label: ESC G rather than ESC E */
  const unsigned char *data; /* unknown or pending command bytes */
  size_t len;
} dm_event_t;

/* Receives the model's events; `ev` is only valid during the call. */
typedef void (*dm_event_fn)(void *ctx, const dm_event_t *ev);

/* Counters since the model was created (power cycles do not clear them). */
typedef struct
{
  uint64_t labels;      /* ESC E and ESC G */
  uint64_t lines;       /* raster lines completed */
  uint64_t images;      /* label rasters begun (image-begin) */
  uint64_t images_done; /* label rasters ended (image-end) */
  uint64_t swallowed;   /* bytes consumed by another connection's command */
  uint64_t resets;      /* ESC @ */
  uint64_t unknown;     /* unknown commands */
  uint64_t ignored;     /* bytes outside any command */
} dm_stats_t;

typedef struct dm_model dm_model_t;

/* Creates a model in its power-on state; NULL when out of memory. */
dm_model_t *dm_model_new(dm_event_fn fn, void *ctx);

/* Frees a model. */
void dm_model_free(dm_model_t *m);

/* Parses `len` bytes that arrived on connection `conn` (numbered from 1). */
void dm_model_feed(dm_model_t *m, unsigned conn, const unsigned char *buf, size_t len);

/* Tells the model connection `conn` ended (reports pending, swallowed and ignored bytes). */
void dm_model_conn_end(dm_model_t *m, unsigned conn);

/* Power cycle: drops the command and the label in progress, restores the defaults. */
void dm_model_power_cycle(dm_model_t *m);

/* Reports swallowed and ignored bytes not reported yet (call before the final summary). */
void dm_model_finish(dm_model_t *m);

/* Nonzero while the parser is inside a command (a raster line or an ESC sequence). */
int dm_model_busy(const dm_model_t *m);

/* The model's counters. */
const dm_stats_t *dm_model_stats(const dm_model_t *m);

#endif /* FP_DYMO_MODEL_H */

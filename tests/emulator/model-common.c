/*
 * model-common.c: what every printer-language model of the emulator shares:
 * events, counters and the swallowed-byte bookkeeping.
 *
 * The command in progress has an owner, the connection that sent its first
 * byte. Every later byte of the command is attributed to the connection it came
 * on; the bytes of the others are swallowed, counted per victim (in arrival
 * order, one entry per run of the same victim) and reported when the command
 * ends or the victim's connection ends, whichever comes first. A command that
 * more than MC_FOREIGN_MAX victims feed reports the first ones early.
 */

#include "model-common.h"

#include <stdlib.h>
#include <string.h>

/* Allocates a zeroed model whose first member is its mc_core_t. */
void *mc_model_new(size_t size, mc_event_fn fn, void *ctx)
{
  mc_core_t *c = calloc(1, size);

  if (c == NULL)
    return NULL;
  c->emit = fn;
  c->ctx = ctx;
  return c;
}

/* The counters of a model made by mc_model_new. */
const mc_stats_t *mc_model_stats(const void *model)
{
  return &((const mc_core_t *)model)->stats;
}

/* Reports the swallowed and ignored bytes of a model made by mc_model_new not reported yet. */
void mc_model_finish(void *model)
{
  mc_flush_foreign(model);
  mc_flush_ignored(model);
}

/* Clears `ev` and fills in its type, its connection and the command's owner. */
void mc_event_init(const mc_core_t *c, mc_event_t *ev, mc_event_type_t type, unsigned conn)
{
  memset(ev, 0, sizeof(*ev));
  ev->type = type;
  ev->conn = conn;
  ev->owner = c->owner;
}

/* Sends an event to the callback. */
void mc_emit(const mc_core_t *c, const mc_event_t *ev)
{
  if (c->emit)
    c->emit(c->ctx, ev);
}

/* Sends an event that carries only a type, a connection, a count and optional bytes. */
void mc_emit_simple(const mc_core_t *c, mc_event_type_t type, unsigned conn, uint64_t bytes,
                    const unsigned char *data, size_t len)
{
  mc_event_t ev;

  mc_event_init(c, &ev, type, conn);
  ev.bytes = bytes;
  ev.data = data;
  ev.len = len;
  mc_emit(c, &ev);
}

/* Counts a raster begun and reports it. */
void mc_image_begin(mc_core_t *c, unsigned conn, const char *cmd, uint64_t bytes, unsigned width,
                    unsigned height)
{
  mc_event_t ev;

  c->stats.images++;
  mc_event_init(c, &ev, MC_EV_IMAGE_BEGIN, conn);
  ev.cmd = cmd;
  ev.bytes = bytes;
  ev.width = width;
  ev.height = height;
  mc_emit(c, &ev);
}

/* Counts a raster ended and reports it. */
void mc_image_end(mc_core_t *c, unsigned conn, unsigned owner, uint64_t bytes, uint64_t zeros,
                  uint64_t swallowed)
{
  mc_event_t ev;

  c->stats.images_done++;
  mc_event_init(c, &ev, MC_EV_IMAGE_END, conn);
  ev.owner = owner;
  ev.bytes = bytes;
  ev.zeros = zeros;
  ev.swallowed = swallowed;
  mc_emit(c, &ev);
}

/* Starts a command that connection `conn` began with byte `first`. */
void mc_begin_command(mc_core_t *c, unsigned conn, unsigned char first)
{
  c->head[0] = first;
  c->head[1] = 0;
  c->owner = conn;
  c->swallowed = 0;
  c->nforeign = 0;
}

/* Reports one victim's swallowed bytes. */
static void report_foreign(const mc_core_t *c, const mc_foreign_t *f)
{
  mc_emit_simple(c, MC_EV_SWALLOWED, f->conn, f->n, NULL, 0);
}

/* Reports every victim not reported yet. */
void mc_flush_foreign(mc_core_t *c)
{
  size_t i;

  for (i = 0; i < c->nforeign; i++)
    report_foreign(c, &c->foreign[i]);
  c->nforeign = 0;
}

/* Attributes `n` bytes of the current command to `conn`; nonzero when they are swallowed. */
int mc_count_bytes(mc_core_t *c, unsigned conn, uint64_t n)
{
  mc_foreign_t *last;

  if (conn == c->owner || n == 0)
    return 0;
  c->stats.swallowed += n;
  c->swallowed += n;
  last = c->nforeign ? &c->foreign[c->nforeign - 1] : NULL;
  if (last && last->conn == conn)
  {
    last->n += n;
    return 1;
  }
  if (c->nforeign == MC_FOREIGN_MAX)
    mc_flush_foreign(c);
  c->foreign[c->nforeign].conn = conn;
  c->foreign[c->nforeign].n = n;
  c->nforeign++;
  return 1;
}

/* `conn` ended mid-command: reports its swallowed bytes and, if involved, the pending command. */
void mc_conn_end(mc_core_t *c, unsigned conn, uint64_t expected, const unsigned char *cmd,
                 size_t len)
{
  size_t i;
  int involved = conn == c->owner;

  for (i = 0; i < c->nforeign; i++)
    if (c->foreign[i].conn == conn)
    {
      report_foreign(c, &c->foreign[i]);
      memmove(&c->foreign[i], &c->foreign[i + 1], (c->nforeign - i - 1) * sizeof(c->foreign[0]));
      c->nforeign--;
      involved = 1;
      break;
    }
  if (involved)
    mc_emit_simple(c, MC_EV_PENDING, conn, expected, cmd, len);
}

/* Counts one byte from `conn` that is outside any command and ignored. */
void mc_note_ignored(mc_core_t *c, unsigned conn)
{
  if (c->ignored > 0 && c->ignored_conn != conn)
    mc_flush_ignored(c);
  c->ignored_conn = conn;
  c->ignored++;
  c->stats.ignored++;
}

/* Reports the ignored bytes counted so far. */
void mc_flush_ignored(mc_core_t *c)
{
  if (c->ignored == 0)
    return;
  mc_emit_simple(c, MC_EV_IGNORED, c->ignored_conn, c->ignored, NULL, 0);
  c->ignored = 0;
}

/* Prints the line `t` (possibly empty) as a text event for `conn`, and empties it. */
void mc_text_print(mc_core_t *c, mc_text_t *t, unsigned conn)
{
  c->stats.texts++;
  mc_emit_simple(c, MC_EV_TEXT, conn, 0, t->data, t->len);
  t->len = 0;
}

/* Appends byte `b` to the line `t`, printing the line first when it is full. */
void mc_text_add(mc_core_t *c, mc_text_t *t, unsigned conn, unsigned char b)
{
  if (t->len == MC_TEXT_MAX)
    mc_text_print(c, t, conn); /* wrap */
  t->data[t->len++] = b;
}

/* Feeds `len` bytes from `conn` to a model: counted blocks in bulk, the rest byte by byte. */
void mc_feed(void *model, unsigned conn, const unsigned char *buf, size_t len, mc_take_fn take,
             mc_step_fn step)
{
  size_t i = 0, n;

  while (i < len)
  {
    if ((n = take(model, conn, buf + i, len - i)) > 0)
      i += n;
    else if (step(model, conn, buf[i]))
      i++;
  }
}

/* How many of `len` bytes a block with `remaining` bytes left takes. */
size_t mc_block_part(size_t len, uint64_t remaining)
{
  return (uint64_t)len > remaining ? (size_t)remaining : len;
}

/* How many of `n` bytes are 0x00. */
uint64_t mc_zeros(const unsigned char *buf, size_t n)
{
  uint64_t zeros = 0;
  size_t i;

  for (i = 0; i < n; i++)
    zeros += buf[i] == 0;
  return zeros;
}

/* Reports a status command, then its answer unless the printer is dumb or has gone silent. */
void mc_status_reply(mc_core_t *c, unsigned conn, const unsigned char *query, size_t qlen,
                     const unsigned char *reply, size_t rlen)
{
  if (query)
    mc_emit_simple(c, MC_EV_QUERY, conn, 0, query, qlen);
  if (!reply || c->dumb || (c->answer_limit && c->answered >= c->answer_limit))
    return;
  c->answered++;
  mc_emit_simple(c, MC_EV_REPLY, conn, 0, reply, rlen);
}

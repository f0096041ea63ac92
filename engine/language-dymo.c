/*
 * The DYMO LabelWriter tracker (LabelWriter 300/400/450 raster protocol, as
 * CUPS rastertolabel and LPrint send it).  Between commands only three bytes
 * mean something: ESC begins a command whose parameter count is fixed by
 * its command byte (the table below; unknown commands take none, and ESC
 * right after ESC begins the command anew, which is what lets 85 or more
 * ESC bytes resynchronize the printer), SYN begins a raster line of exactly
 * bytes-per-line data bytes, and ETB a compressed line of run-length bytes
 * (bit 7 set: black, bits 0-6: run length - 1) that covers bytes-per-line
 * x 8 dots.  Bytes-per-line is the last ESC D value, 84 at power-on and
 * after ESC @ or ESC * (the LabelWriter 400 manual's default).  Raster
 * data is skipped in one step; run-length bytes are added up one by one.
 * CUPS rastertolabel writes its density as ESC ('c' + darkness), so its
 * "Dark" is ESC f, the skip command: the printer, and the tracker with it,
 * takes the next two bytes (ESC q) as its parameters.
 *
 * Completing a half-sent command (dymo_completion):
 * - a lone ESC becomes ESC @ (reset);
 * - missing parameters repeat the setting in force, so that the command
 *   changes nothing: ESC D (bytes per line), ESC B (dot tab, 0 at first),
 *   ESC L (label length, 0 before any), ESC Q (line tab, 0 at first),
 *   ESC q (roll, '0' automatic at first), ESC C (tape type, 0 at first);
 *   ESC f 1 n (skip n lines) gets 1 then n = 0;
 * - the rest of a SYN line is sent as 0x00, white dots;
 * - the rest of an ETB line is sent as white runs: one byte of (r mod 128)
 *   - 1 when r, the dots left, is not a multiple of 128, then r / 128 bytes
 *   of 0x7F (128 white dots each), so that the line adds up exactly.
 * No harmless value exists, and the completion has a visible effect, for:
 * raster lines already begun (the white rest of the line feeds the label by
 * one dot line).  The reset preset "dymo" (100 ESC then ESC @) follows.
 *
 * Bounds.  Every count of the protocol is bounded by its own width: a line
 * is bytes-per-line bytes (one byte, ESC D: at most 255, where the widest
 * LabelWriter, the 4XL, uses 156) or that many x 8 dots of runs, and the
 * other commands take at most 2 parameters.  So a completion is at most 256
 * bytes, and no count makes the tracker lose the stream.
 *
 * The resynchronisation is a run of 256 ESC then '@': ESC is a data byte of
 * at most 255 in a SYN line, and counts 28 dots of an ETB line (at most
 * 2040), so the run outlasts any line or parameter, and ESC ESC begins a
 * command anew: the printer ends on ESC @ (reset), which an idle printer
 * also takes as a plain reset.
 */

#include "language.h"

#include <string.h>

#define ESC 0x1b
#define SYN 0x16
#define ETB 0x17

#define DEFAULT_BYTES_PER_LINE 84
#define RUN_DOTS 128    /* dots of one run-length byte at most */
#define WHITE_RUN 0x7f  /* 128 white dots */
#define RUN_LENGTH 0x7f /* bits of a run-length byte: length - 1 */

/* 16, 64 and 256 ESC bytes. */
#define ESC16 ESC, ESC, ESC, ESC, ESC, ESC, ESC, ESC, ESC, ESC, ESC, ESC, ESC, ESC, ESC, ESC
#define ESC64 ESC16, ESC16, ESC16, ESC16
#define ESC256 ESC64, ESC64, ESC64, ESC64

/* The resynchronisation (see the top of this file). */
static const uint8_t resync[] = { ESC256, '@' };

/* Where the parser is. */
typedef enum phase_e
{
  P_IDLE = 0, /* between commands */
  P_ESC,      /* ESC arrived: the command byte is next */
  P_PARAMS,   /* collecting parameter bytes */
  P_LINE,     /* SYN: data bytes owed */
  P_PACKED    /* ETB: dots owed */
} phase_t;

/* Where a command keeps its parameters between commands (settings repeat them). */
typedef enum slot_e
{
  S_NONE = 0,       /* not kept: ESC f */
  S_BYTES_PER_LINE, /* ESC D, 1 byte */
  S_DOT_TAB,        /* ESC B, 1 byte */
  S_LABEL_LENGTH,   /* ESC L, 2 bytes */
  S_LINE_TAB,       /* ESC Q, 2 bytes */
  S_ROLL,           /* ESC q, 1 byte */
  S_TAPE,           /* ESC C, 1 byte */
  S_COUNT
} slot_t;

/* Offset of each slot's bytes in the settings array. */
static const uint8_t slot_offset[S_COUNT] = {
  [S_BYTES_PER_LINE] = 0, [S_DOT_TAB] = 1, [S_LABEL_LENGTH] = 2,
  [S_LINE_TAB] = 4,       [S_ROLL] = 6,    [S_TAPE] = 7,
};

#define SETTINGS_SIZE 8

/* One ESC command that takes parameters. */
typedef struct command_s
{
  uint8_t params; /* parameter bytes */
  uint8_t slot;   /* slot_t */
} command_t;

/* ESC commands with parameters; every other command byte takes none. */
static const command_t commands[128] = {
  ['B'] = { 1, S_DOT_TAB },        /* dot tab: blank bytes at the left */
  ['C'] = { 1, S_TAPE },           /* tape type (LabelWriter Duo tape) */
  ['D'] = { 1, S_BYTES_PER_LINE }, /* bytes per line */
  ['L'] = { 2, S_LABEL_LENGTH },   /* label length, most significant byte first */
  ['Q'] = { 2, S_LINE_TAB },       /* line tab */
  ['f'] = { 2, S_NONE },           /* ESC f 1 n: skip n lines */
  ['q'] = { 1, S_ROLL },           /* roll select: '0' auto, '1' left, '2' right */
};

/* The tracker state: plain data, copied freely. */
typedef struct dymo_s
{
  uint64_t owed;                    /* P_LINE: bytes left; P_PACKED: dots left */
  uint8_t  phase;                   /* phase_t */
  uint8_t  code;                    /* P_PARAMS: the command byte */
  uint8_t  got;                     /* P_PARAMS: parameters received */
  uint8_t  param[2];                /* P_PARAMS: parameters received */
  uint8_t  settings[SETTINGS_SIZE]; /* the kept parameters of the settings in force */
} dymo_t;

_Static_assert(sizeof(dymo_t) <= FP_TRACKER_STATE_MAX, "Dymo state too large");

/* The power-on settings. */
static void restore_defaults(dymo_t *s)
{
  memset(s->settings, 0, sizeof(s->settings));
  s->settings[slot_offset[S_BYTES_PER_LINE]] = DEFAULT_BYTES_PER_LINE;
  s->settings[slot_offset[S_ROLL]] = '0';
}

/* The command's parameters have all arrived: keep a setting. */
static void run_command(dymo_t *s)
{
  const command_t *c = &commands[s->code];

  if (c->slot != S_NONE)
    memcpy(s->settings + slot_offset[c->slot], s->param, c->params);
  s->phase = P_IDLE;
}

/* The byte after ESC. */
static void command_byte(dymo_t *s, uint8_t code)
{
  if (code == ESC)
    return; /* ESC ESC: the command begins anew */
  s->phase = P_IDLE;
  if (code == '@' || code == '*')
    restore_defaults(s);
  else if (code < 128 && commands[code].params)
  {
    s->code = code;
    s->got = 0;
    s->phase = P_PARAMS;
  }
}

/* SYN or ETB: a raster line of bytes-per-line bytes, or of that many x 8 dots. */
static void begin_line(dymo_t *s, uint8_t first)
{
  uint64_t bytes = s->settings[slot_offset[S_BYTES_PER_LINE]];

  s->owed = first == SYN ? bytes : bytes * 8;
  s->phase = !s->owed ? P_IDLE : first == SYN ? P_LINE : P_PACKED;
}

/* Run-length bytes of an ETB line; returns where the line (or the input) ended. */
static const uint8_t *packed_feed(dymo_t *s, const uint8_t *p, const uint8_t *end)
{
  while (p < end && s->owed)
  {
    uint64_t run = (uint64_t)(*p++ & RUN_LENGTH) + 1;

    s->owed -= run < s->owed ? run : s->owed;
  }
  if (!s->owed)
    s->phase = P_IDLE;
  return p;
}

/* Skip bytes between commands up to ESC, SYN or ETB. */
static const uint8_t *idle_feed(dymo_t *s, const uint8_t *p, const uint8_t *end)
{
  for (; p < end; p++)
  {
    if (*p == ESC)
    {
      s->phase = P_ESC;
      return p + 1;
    }
    if (*p == SYN || *p == ETB)
    {
      begin_line(s, *p);
      return p + 1;
    }
  }
  return p;
}

/* Observe bytes the printer accepted. */
static void dymo_feed(void *state, const uint8_t *p, size_t len)
{
  dymo_t        *s = state;
  const uint8_t *end = p + len;

  while (p < end)
  {
    switch (s->phase)
    {
      case P_IDLE: p = idle_feed(s, p, end); break;
      case P_ESC: command_byte(s, *p++); break;
      case P_PARAMS:
        s->param[s->got++] = *p++;
        if (s->got == commands[s->code].params)
          run_command(s);
        break;
      case P_PACKED: p = packed_feed(s, p, end); break;
      default:
      {
        size_t n = (size_t)(end - p) < s->owed ? (size_t)(end - p) : (size_t)s->owed;

        p += n;
        if (!(s->owed -= n))
          s->phase = P_IDLE;
        break;
      }
    }
  }
}

/* Start in the idle state with the power-on settings. */
static void dymo_init(void *state)
{
  dymo_t *s = state;

  memset(s, 0, sizeof(*s));
  restore_defaults(s);
}

/* The parameter byte that keeps the current command from changing anything. */
static uint8_t safe_param(const dymo_t *s)
{
  const command_t *c = &commands[s->code];

  if (c->slot == S_NONE)
    return s->got ? 0 : 1; /* ESC f 1 0: skip no line */
  return s->settings[slot_offset[c->slot] + s->got];
}

/* true when mid-command; `out` gets the shortest harmless completion. */
static bool dymo_completion(const void *state, fp_completion_t *out)
{
  const dymo_t *s = state;

  switch (s->phase)
  {
    case P_IDLE: return false;
    case P_ESC: out->prefix[out->prefix_len++] = '@'; break;
    case P_PARAMS:
    {
      dymo_t copy = *s; /* parameters at most 2: they fit the prefix */

      while (copy.phase == P_PARAMS)
      {
        uint8_t b = safe_param(&copy);

        out->prefix[out->prefix_len++] = b;
        dymo_feed(&copy, &b, 1);
      }
      break;
    }
    case P_LINE: out->fill_count = s->owed; break;
    default:
      if (s->owed % RUN_DOTS)
        out->prefix[out->prefix_len++] = (uint8_t)(s->owed % RUN_DOTS - 1);
      out->fill_count = s->owed / RUN_DOTS;
      out->fill_byte = WHITE_RUN;
      break;
  }
  return true;
}

const fp_language_t fp_language_dymo = {
  .name = "dymo",
  .reset_preset = "dymo",
  .state_size = sizeof(dymo_t),
  .init = dymo_init,
  .feed = dymo_feed,
  .completion = dymo_completion,
  .surplus_fill_harmless = false, /* the reset's ESC flood absorbs a line in doubt */
  .resync = resync,
  .resync_len = sizeof(resync),
};

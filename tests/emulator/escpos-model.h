/*
 * escpos-model.h: the printer emulator's model of a cheap ESC/POS receipt
 * printer's command parser.
 *
 * This is an independent implementation, written for the tests and shares no
 * code with the library's ESC/POS tracker: the tests compare the two.
 *
 * A raster command begun by connection A consumes the following bytes as
 * pixels whichever connection they come from (model-common.h).
 */

#ifndef FP_ESCPOS_MODEL_H
#define FP_ESCPOS_MODEL_H

#include "model-common.h"

/* The ESC/POS model ("escpos"): events TEXT, IMAGE_BEGIN/END, SWALLOWED, RESET, CLEAR, CUT,
   UNKNOWN, PENDING; a power cycle also drops the line buffer. */
extern const mc_language_t ep_language;

#endif /* FP_ESCPOS_MODEL_H */

/*
 * zpl-model.h: the printer emulator's model of a Zebra ZPL II printer's
 * command parser.
 *
 * This is an independent implementation, written for the tests and shares no
 * code with the library's ZPL tracker: the tests compare the two.
 *
 * Binary graphic data (^GF B/C, ~DY B/C) begun by connection A consumes the
 * following bytes as image data whichever connection they come from, until
 * the image is complete (model-common.h); hex graphic data (~DG, ^GF A, ~DY
 * A/P) ends at the next ^ or ~ as well.
 */

#ifndef FP_ZPL_MODEL_H
#define FP_ZPL_MODEL_H

#include "model-common.h"

/* The ZPL model ("zpl"): events TEXT (a field's data), IMAGE_BEGIN/END (cmd "dg", "gfa", "gfb",
   "gfc", "dya", "dyb", "dyc", "dyp"), SWALLOWED, LABEL (cmd "xz"), ABORT (~DN), RESET (~JR),
   CLEAR (~JA, ~JX), UNKNOWN, IGNORED, PENDING; a power cycle also drops the format in
   progress. */
extern const mc_language_t zpl_language;

#endif /* FP_ZPL_MODEL_H */

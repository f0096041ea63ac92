/*
 * dymo-model.h: the printer emulator's model of a DYMO LabelWriter's raster
 * command parser, as CUPS's rastertolabel, LPrint and DYMO's own driver use it.
 *
 * This is an independent implementation, written for the tests and shares no
 * code with the library: the tests compare the two.
 *
 * A raster line begun by connection A (SYN or ETB) consumes the following
 * bytes as pixels whichever connection they come from, ESC bytes included
 * (model-common.h); that is why at least 85 ESC bytes followed by ESC @ reset
 * a LabelWriter from any state.
 */

#ifndef FP_DYMO_MODEL_H
#define FP_DYMO_MODEL_H

#include "model-common.h"

/* Bytes per raster line after power-on and ESC @ (a 672-dot print head). */
#define DM_DEFAULT_BYTES_PER_LINE 84

/* The DYMO model ("dymo"): events IMAGE_BEGIN/END (cmd "label": a label's raster lines),
   SWALLOWED, LABEL, RESET, UNKNOWN, IGNORED, PENDING; a power cycle also drops the label in
   progress and restores the default settings. */
extern const mc_language_t dm_language;

#endif /* FP_DYMO_MODEL_H */

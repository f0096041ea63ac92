/*
 * pcl-model.h: the printer emulator's model of an HP LaserJet's PJL and
 * PCL 5 command parser.
 *
 * This is an independent implementation, written for the tests and shares no
 * code with the library's PCL tracker: the tests compare the two.
 *
 * A parameter that carries binary data (ESC*b#W: # bytes of raster row)
 * begun by connection A consumes the following # bytes whichever connection
 * they come from, a UEL or ESC E included (model-common.h).
 */

#ifndef FP_PCL_MODEL_H
#define FP_PCL_MODEL_H

#include "model-common.h"

/* The PCL model ("pcl"): events TEXT, IMAGE_BEGIN/END (cmd "raster": ESC*r#A .. ESC*rB/C),
   SWALLOWED, PAGE, RESET (ESC E), UEL, PJL, UNKNOWN, PENDING; a power cycle also drops the
   page in progress and returns to PJL. */
extern const mc_language_t pcl_language;

#endif /* FP_PCL_MODEL_H */

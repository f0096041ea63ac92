/*
 * epl-model.h: the printer emulator's model of an EPL2 label printer's
 * command parser (Zebra LP/TLP 2844 and the like, Intermec ESim).
 *
 * This is an independent implementation, written for the tests and shares no
 * code with the library: the tests compare the two.
 */

#ifndef FP_EPL_MODEL_H
#define FP_EPL_MODEL_H

#include "model-common.h"

/* The EPL2 model ("epl"): events TEXT (an A line's quoted data), IMAGE_BEGIN/END (cmd "gw",
   "gm"), LABEL (cmd "p": P printed the label buffer), RESET (N cleared it), SWALLOWED,
   PENDING, QUERY and REPLY (^ee). */
extern const mc_language_t epl_language;

#endif /* FP_EPL_MODEL_H */

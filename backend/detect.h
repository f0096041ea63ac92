/*
 * language=auto in the backend: resolve the printer language of a job
 * before its first byte goes out (see lib/language-detect.h).
 */

#ifndef FP_DETECT_H
#define FP_DETECT_H

#include "session.h"

/*
 * When the options still say language=auto: detect the language from the
 * PPD and content type (environment), the device ID (transport) and the job
 * data buffered (waiting briefly for more when those are inconclusive), set
 * the tracker and, without reset=, the language's reset preset, and report
 * the choice.  Does nothing afterwards.
 */
void fp_detect_session_language(fp_session_t *s);

/*
 * Before the job's first byte: when the job data clearly is a document
 * format (PDF, PostScript, an image...) that the session's tracker cannot
 * follow, say so and track nothing (a cancel then sends only the reset).
 */
void fp_detect_foreign_job(fp_session_t *s);

#endif /* FP_DETECT_H */

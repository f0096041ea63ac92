/*
 * The backend's side of the CUPS side channel: standard commands and
 * flushprinter's private FLUSH command.
 */

#ifndef FP_SERVE_H
#define FP_SERVE_H

#include "session.h"

#define FP_SERVE_STALE_MS 250 /* a partial request older than this is junk */

/*
 * Read what the side channel holds and answer every complete request.
 * Closes the session's side channel (side_fd = -1) when all filters closed it.
 */
void fp_serve_side_channel(fp_session_t *s);

/* Answer a partial message stuck too long with BAD_MESSAGE; true if one was. */
bool fp_serve_expire(fp_session_t *s);

#endif /* FP_SERVE_H */

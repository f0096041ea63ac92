/*
 * pjl-status.h: what the emulator's PCL printer answers at the PJL level:
 * INFO STATUS, ECHO, unsolicited USTATUS DEVICE when its conditions change,
 * and USTATUS JOB END when a job's EOJ is reached (after its pages printed).
 * With --stall-reason paper-out (or cover-open), a connection that asked
 * USTATUS DEVICE=ON gets USTATUS DEVICE CODE=41302 (40021) with ONLINE=FALSE
 * when the stall begins (--stall-after N) and CODE=10001 when it ends
 * (--resume-after MS).
 */

#ifndef FP_PJL_STATUS_H
#define FP_PJL_STATUS_H

#include "model-common.h"

#define PJL_STATUS_NAME_MAX 80

/* The PJL status settings of one connection (USTATUS ends with it). */
typedef struct
{
  int device;                          /* USTATUS DEVICE=ON or VERBOSE */
  int job;                             /* USTATUS JOB=ON */
  char name[PJL_STATUS_NAME_MAX + 1];  /* the last JOB's NAME */
  uint64_t pages_at_job;               /* pages ejected when it began */
} pjl_status_t;

/* A PJL command line (`line`/`len`, CR removed) from `conn`: answers it where it asks. */
void pjl_status_line(mc_core_t *c, pjl_status_t *st, unsigned conn, const unsigned char *line,
                     size_t len);

/* The printer's conditions changed: USTATUS DEVICE if it was asked for. */
void pjl_status_changed(mc_core_t *c, pjl_status_t *st);

/* A connection ended: its USTATUS settings end with it. */
void pjl_status_conn_end(pjl_status_t *st);

#endif /* FP_PJL_STATUS_H */

/*
 * Constants shared by the library, the backend and the filter: the scheme
 * prefix of every flushprinter device URI and the longest wait anyone may
 * configure.
 */

#ifndef FP_COMMON_H
#define FP_COMMON_H

/* Device URIs and backend program names: "flushprinter+" SCHEME. */
#define FP_URI_PREFIX     "flushprinter+"
#define FP_URI_PREFIX_LEN (sizeof(FP_URI_PREFIX) - 1)

/*
 * One hour: the longest quiet window (idle=, a filter's flush) or stall
 * (timeout=) anyone may ask for; longer is surely a typo, and a deadline
 * further away than this is a clock jump.
 */
#define FP_WAIT_LIMIT_MS 3600000

#endif /* FP_COMMON_H */

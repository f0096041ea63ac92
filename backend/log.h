/*
 * Messages to cupsd on stderr: one "LEVEL: text" line each (INFO:, ERROR:,
 * STATE:, DEBUG:, ...), at most 2047 bytes, flushed at once.
 */

#ifndef FP_LOG_H
#define FP_LOG_H

void fp_log(const char *level, const char *format, ...)
  __attribute__((format(printf, 2, 3)));

#endif /* FP_LOG_H */

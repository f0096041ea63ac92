/*
 * Messages to cupsd on stderr.
 */

#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

/* Write one "LEVEL: text" line in a single write() so lines never interleave. */
void fp_log(const char *level, const char *format, ...)
{
  char    line[2048];
  int     n;
  va_list ap;

  n = snprintf(line, sizeof(line), "%s: ", level);
  va_start(ap, format);
  vsnprintf(line + n, sizeof(line) - (size_t)n - 1, format, ap);
  va_end(ap);
  for (char *p = line; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  n = (int)strlen(line);
  line[n++] = '\n';
  while (write(2, line, (size_t)n) < 0 && errno == EINTR)
    ;
}

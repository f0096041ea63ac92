/*
 * pjl-status.c: the emulator's PCL printer talking back at the PJL level
 * (HP's "Printer Job Language Technical Reference Manual": INFO STATUS,
 * USTATUS, ECHO, JOB/EOJ; every answer ends with a form feed).
 *
 * Codes sent: 10001 ready, 41302 paper out (41xyy: load paper), 40021 door
 * open, with ONLINE=FALSE while either holds.  USTATUS settings end with the
 * connection that set them (the reading that makes a host re-arm on every
 * connection).  USTATUS JOB END goes out when EOJ is parsed: the model parses
 * at the emulator's print rate, so the job's pages have printed by then.
 */

#include "pjl-status.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define REPLY_MAX 512

/* `line` with blanks removed and letters in upper case, NUL-terminated in `out`. */
static void squeeze(const unsigned char *line, size_t len, char *out, size_t size)
{
  size_t n = 0;

  for (size_t i = 0; i < len && n + 1 < size; i++)
    if (line[i] != ' ' && line[i] != '\t')
      out[n++] = (char)toupper(line[i]);
  out[n] = '\0';
}

/* The code and ONLINE value the printer's conditions make. */
static int status_code(const mc_core_t *c, const char **display)
{
  if (c->conditions & MC_COND_COVER_OPEN)
  {
    *display = "CLOSE DOOR";
    return 40021;
  }
  if (c->conditions & MC_COND_PAPER_OUT)
  {
    *display = "LOAD TRAY 1";
    return 41302;
  }
  *display = "READY";
  return 10001;
}

/* Sends "@PJL <what>" with the device status. */
static void send_status(mc_core_t *c, unsigned conn, const char *what,
                        const unsigned char *query, size_t qlen)
{
  char reply[REPLY_MAX];
  const char *display;
  int code = status_code(c, &display);
  int n = snprintf(reply, sizeof(reply),
                   "@PJL %s\r\nCODE=%d\r\nDISPLAY=\"%s\"\r\nONLINE=%s\r\n\f", what, code,
                   display, code == 10001 ? "TRUE" : "FALSE");

  mc_status_reply(c, conn, query, qlen, (const unsigned char *)reply, (size_t)n);
}

/* Copies the quoted NAME="..." of a JOB line into `st`. */
static void take_name(pjl_status_t *st, const unsigned char *line, size_t len)
{
  const char *at = memmem(line, len, "NAME=\"", 6);
  const char *end;
  size_t n;

  st->name[0] = '\0';
  if (at == NULL)
    return;
  at += 6;
  end = memchr(at, '"', len - (size_t)(at - (const char *)line));
  n = end ? (size_t)(end - at) : 0;
  if (n > PJL_STATUS_NAME_MAX)
    n = PJL_STATUS_NAME_MAX;
  memcpy(st->name, at, n);
  st->name[n] = '\0';
}

/* A PJL command line: answers INFO STATUS and ECHO, records USTATUS, JOB and EOJ. */
void pjl_status_line(mc_core_t *c, pjl_status_t *st, unsigned conn, const unsigned char *line,
                     size_t len)
{
  char sq[64], reply[REPLY_MAX];
  int n;

  squeeze(line, len, sq, sizeof(sq));
  if (strcmp(sq, "@PJLINFOSTATUS") == 0)
    send_status(c, conn, "INFO STATUS", line, len);
  else if (strncmp(sq, "@PJLECHO", 8) == 0)
  {
    const unsigned char *text = line + 4;
    size_t rest = len - 4;

    while (rest > 0 && (*text == ' ' || *text == '\t'))
      text++, rest--;
    n = snprintf(reply, sizeof(reply), "@PJL %.*s\r\n\f", (int)(rest < 400 ? rest : 400),
                 (const char *)text);
    mc_status_reply(c, conn, line, len, (const unsigned char *)reply, (size_t)n);
  }
  else if (strncmp(sq, "@PJLUSTATUSDEVICE=", 18) == 0)
  {
    st->device = strcmp(sq + 18, "OFF") != 0;
    mc_status_reply(c, conn, line, len, NULL, 0);
  }
  else if (strncmp(sq, "@PJLUSTATUSJOB=", 15) == 0)
  {
    st->job = strcmp(sq + 15, "OFF") != 0;
    mc_status_reply(c, conn, line, len, NULL, 0);
  }
  else if (strcmp(sq, "@PJLUSTATUSOFF") == 0)
  {
    st->device = st->job = 0;
    mc_status_reply(c, conn, line, len, NULL, 0);
  }
  else if (strncmp(sq, "@PJLJOB", 7) == 0)
  {
    take_name(st, line, len);
    st->pages_at_job = c->stats.pages;
  }
  else if (strncmp(sq, "@PJLEOJ", 7) == 0 && st->job)
  {
    n = snprintf(reply, sizeof(reply), "@PJL USTATUS JOB\r\nEND\r\nNAME=\"%s\"\r\nPAGES=%llu\r\n\f",
                 st->name, (unsigned long long)(c->stats.pages - st->pages_at_job));
    mc_status_reply(c, conn, NULL, 0, (const unsigned char *)reply, (size_t)n);
  }
}

/* The conditions changed: USTATUS DEVICE if it was asked for. */
void pjl_status_changed(mc_core_t *c, pjl_status_t *st)
{
  if (st->device)
    send_status(c, 0, "USTATUS DEVICE", NULL, 0);
}

/* A connection ended: USTATUS ends with it. */
void pjl_status_conn_end(pjl_status_t *st)
{
  st->device = st->job = 0;
}

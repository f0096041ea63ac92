"""The system's CUPS scheduler (the one the packages serve), for the tests of
the installed packages: debian/tests/cupsd-cancel and
tests/packaging/lifecycle.sh.

SystemCupsd offers what tests/behaviour/scenario.py asks of a scheduler
(cupsd.Cupsd's run, add_queue, submit, ipp_job_state, printer_state,
wait_job_ended, logged, error_log), talking to the system cupsd on its Unix
socket and on localhost:631.  It neither starts nor stops cupsd:
tests/packaging/system-cupsd.sh does that.

Usage (FP_BUILDDIR names a directory holding tests/fp-emulator):
  python3 syscupsd.py cancel             the project's scenario on the system
                                         cupsd: print, cancel mid-job, print
  python3 syscupsd.py submit QUEUE TEXT [ROWS]
                                         lp a receipt titled TEXT (ROWS raster
                                         rows) on QUEUE; prints the job id
  python3 syscupsd.py wait JOB TEXT LOG  wait until job JOB completed and the
                                         emulator whose event log is LOG
                                         printed it whole
  python3 syscupsd.py print QUEUE TEXT LOG   submit, then wait
"""

import os
import re
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "behaviour"))

import cupsd      # noqa: E402
import fptest     # noqa: E402
import scenario   # noqa: E402

SOCKET = "/run/cups/cups.sock"
ERROR_LOG = "/var/log/cups/error_log"
BACKEND_DIR = "/usr/lib/cups/backend"
STATEDIR = "/var/cache/cups/flushprinter"


class SystemCupsd(cupsd.Cupsd):
    """The running system cupsd, through the methods the scenario uses."""

    def __init__(self):     # nothing to lay out or start: it is the system's
        self.base = None
        self.server = "localhost:631"
        self.proc = None
        self._log_offset, self._log_cache = 0, []
        try:                # read only what this test's jobs make cupsd log
            self._log_offset = os.path.getsize(ERROR_LOG)
        except OSError:
            pass

    @property
    def statedir(self):
        return STATEDIR

    def env(self):
        return dict(os.environ, CUPS_SERVER=SOCKET)

    def _log_lines(self):
        try:
            with open(ERROR_LOG, "rb") as f:
                f.seek(self._log_offset)
                data = f.read()
        except FileNotFoundError:
            return self._log_cache
        whole = data.rfind(b"\n") + 1
        self._log_offset += whole
        self._log_cache.extend(data[:whole].decode(errors="replace").splitlines())
        return self._log_cache

    def error_log(self):
        return "\n".join(self._log_lines())

    def stop(self):
        pass


def check(ok, what):
    """Print `what` as a passed or failed check; True if it passed."""
    print("%s: %s" % ("ok" if ok else "FAILED", what), flush=True)
    return ok


def cancel_scenario():
    """The project's scenario (demo, test_cupsd) on the system cupsd with the
    installed backend; 0 if the next job printed clean after the quiet window."""
    cups = SystemCupsd()
    good = True
    devices = cups.run("lpinfo", "-v").stdout
    good &= check(re.search(r"^network flushprinter\+socket$", devices, re.M) is not None,
                  "lpinfo -v lists flushprinter+socket")
    for scheme in ("flushprinter+socket", "flushprinter+file", "flushprinter+usb"):
        st = os.stat(os.path.join(BACKEND_DIR, scheme))
        good &= check(st.st_uid == 0 and (st.st_mode & 0o7777) == 0o700 and st.st_nlink == 3,
                      "%s/%s is root's, mode 0700, one of 3 hard links (mode %o, %d links)"
                      % (BACKEND_DIR, scheme, st.st_mode & 0o7777, st.st_nlink))
    work = tempfile.mkdtemp(prefix="flushprinter-autopkgtest-")
    idle_ms = 2000
    try:
        out = scenario.run_cupsd(work, "flushprinter", cups, idle_ms=idle_ms)
    finally:
        cups.run("lpadmin", "-x", "receipt_flushprinter", check=False)
    for t, sentence in out.timeline:
        print("  %s  %s" % ("%+8.3f s" % t if t is not None else " " * 10, sentence))
    # the reset the flush sent on the canceled job's connection (the next job
    # begins with ESC @ too)
    resets = [e for e in out.events if e.name == "reset" and e.conn == 1]
    firsts = [e for e in out.events if e.name == "first-byte" and e.conn == 2]
    good &= check(out.job1_state == "canceled", "the long job is canceled (%s)" % out.job1_state)
    good &= check(out.delivered < 7e6, "the canceled job stopped mid-transfer (%.2f MB of 7.2 MB)"
                  % (out.delivered / 1e6))
    good &= check(bool(resets), "the printer parsed the reset after the cancel")
    good &= check(out.clean, "the next job printed clean: " + out.verdict)
    if resets and firsts:
        quiet = firsts[0].t - resets[-1].t
        good &= check(quiet >= (idle_ms - 100) / 1000.0,
                      "the quiet window held: the next job's first byte came %.3f s after "
                      "the reset (idle=%d ms)" % (quiet, idle_ms))
    good &= check(any("Printer port quiet for" in s for _, s in out.timeline),
                  "the queue said the printer port is quiet")
    states = [n for n in os.listdir(STATEDIR) if n.endswith(".state")] \
        if os.path.isdir(STATEDIR) else []
    good &= check(bool(states), "the backend keeps its state in %s (%s)" % (STATEDIR, states))
    return 0 if good else 1


def submit(queue, text, rows=8):
    """lp a receipt titled `text` (BEGIN text ... END text) on `queue`; the job id."""
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(fptest.receipt(text, rows=rows))
        f.flush()
        return SystemCupsd().submit(queue, f.name)


def wait(job, text, log, timeout=120):
    """Wait until job `job` is done and, if it completed, until the printer whose
    event log is `log` printed its last line; True if both."""
    state = SystemCupsd().wait_job(job, timeout=timeout)
    printed = False
    end = time.time() + 10
    while state == "completed" and time.time() < end and not printed:
        with open(log) as f:
            printed = ('text="END %s"' % text) in f.read()
        time.sleep(0.05)
    return check(state == "completed" and printed, "job %d: %s%s" % (
        job, state, ", the printer printed %r whole" % text if printed else ""))


def main(argv):
    if argv[1:2] == ["cancel"]:
        return cancel_scenario()
    if argv[1:2] == ["submit"] and len(argv) in (4, 5):
        print(submit(argv[2], argv[3], int(argv[4]) if len(argv) > 4 else 8))
        return 0
    if argv[1:2] == ["wait"] and len(argv) == 5:
        return 0 if wait(int(argv[2]), argv[3], argv[4]) else 1
    if argv[1:2] == ["print"] and len(argv) == 5:
        return 0 if wait(submit(argv[2], argv[3]), argv[3], argv[4]) else 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""The scenario this project exists for, runnable with either backend:
print a long banded receipt, cancel it mid-transfer, print the next receipt,
and read off the printer emulator what happened.  Used by the demo, the
stock-comparison test and the benchmark."""

import os
import signal
import time

import fptest

STOCK_SOCKET = "/usr/lib/cups/backend/socket"
NEXT_TEXT = "NEXT RECEIPT"


def banded_receipt(name, bands=400, rows=256, width=72):
    """A receipt the way raster drivers send it: many GS v 0 bands (here 7 MB)."""
    band = fptest.raster(width, rows)
    return b"\x1b@" + fptest.text("BEGIN " + name) + band * bands + fptest.text("END " + name)


class Outcome:
    """What the printer saw, with times relative to the cancel."""

    def __init__(self):
        self.timeline = []          # (seconds after the cancel, sentence)
        self.clean = False
        self.verdict = ""

    def at(self, t, t0, sentence):
        """Record `sentence` at time `t` (None: a fact with no time of its own)."""
        self.timeline.append((None if t is None else t - t0, sentence))


def run(workdir, kind, rate=1000000, idle_ms=2000, cancel_after=0.5, statedir=None):
    """Cancel a job mid-transfer through `kind` ("stock" or "flushprinter"); an Outcome."""
    emu = fptest.Emulator(workdir, "--rate", rate)
    procs = []
    try:
        return _run(emu, procs, workdir, kind, idle_ms, cancel_after,
                    statedir or os.path.join(workdir, "state-%s" % kind))
    finally:
        for p in procs:
            p.kill()
        emu.stop()


def _write_jobs(workdir):
    """Spool files of the long receipt to cancel and of the next receipt."""
    paths = (os.path.join(workdir, "long-receipt"), os.path.join(workdir, "next-receipt"))
    for path, data in zip(paths, (banded_receipt("long"), b"\x1b@" + fptest.text(NEXT_TEXT))):
        with open(path, "wb") as f:
            f.write(data)
    return paths


def _start(procs, kind, port, idle_ms, statedir, job_id, spool):
    if kind == "stock":
        path, uri = STOCK_SOCKET, "socket://127.0.0.1:%d" % port
    else:
        path = fptest.BACKEND
        uri = "flushprinter+socket://127.0.0.1:%d/?reset=escpos&idle=%d" % (port, idle_ms)
    p = fptest.raw_job(uri, statedir, spool, job_id, program=path)
    procs.append(p)
    return p


def _run(emu, procs, workdir, kind, idle_ms, cancel_after, statedir):
    out = Outcome()
    first, second = _write_jobs(workdir)

    job1 = _start(procs, kind, emu.port, idle_ms, statedir, 1, first)
    emu.wait_event("image-begin")
    time.sleep(cancel_after)
    t0 = time.time()
    job1.signal(signal.SIGTERM)                      # what cupsd does on cancel
    out.at(t0, t0, "job 1 canceled (SIGTERM to the backend)")
    job1.wait(120)
    rc = job1.returncode
    out.at(job1.ended, t0, "job 1's backend exited (%s)" % (
        "killed by SIGTERM" if rc == -signal.SIGTERM else "exit code %d" % rc))
    out.exit_code = rc

    # cupsd starts the queue's next job once every process of job 1 has exited
    job2 = _start(procs, kind, emu.port, idle_ms, statedir, 2, second)
    job2.wait(120)
    flushed_at = job1.line_time(r"^INFO: Printer flushed")
    _read_printer(emu, out, t0, flushed_at and job1.wait_line(r"^INFO: Printer flushed"),
                  flushed_at, idle_ms)
    return out


def _read_printer(emu, out, t0, flushed_line, flushed_at, idle_ms):
    """Fill `out` from what the emulator saw after the cancel at `t0`."""
    closed = emu.wait_event("close", conn=2, timeout=120)
    conn1 = emu.wait_event("close", conn=1)
    out.delivered = conn1["bytes"]
    out.padding = 0
    if flushed_line:
        out.padding = int(flushed_line.split("Printer flushed: ")[1].split()[0])
        out.at(flushed_at, t0, "backend: completed the half-sent band with %d white bytes, "
               "sent the reset, armed a %d ms quiet window" % (out.padding, idle_ms))
    resets = [e for e in emu.events("reset") if e.t >= t0]
    if resets:
        out.at(resets[0].t, t0, "printer: ESC @ (reset) parsed as a command")
    out.at(conn1.t, t0, "printer: the canceled job's connection closed after %.2f MB" % (
        out.delivered / 1e6))
    first_byte = emu.wait_event("first-byte", conn=2)
    out.at(first_byte.t, t0, "printer: the next job's first byte")
    out.swallowed = sum(e["n"] for e in emu.events("swallowed") if e.conn == 2)
    out.next_printed = NEXT_TEXT in emu.texts(conn=2)
    out.clean = out.next_printed and out.swallowed == 0
    if out.clean:
        out.verdict = 'CLEAN: "%s" printed' % NEXT_TEXT
    else:
        out.verdict = ('CORRUPTED: %d bytes of the next job were swallowed as pixels of the '
                       'canceled image; "%s" never printed' % (out.swallowed, NEXT_TEXT))
    out.at(closed.t, t0, "printer: the next job is done -- " + out.verdict)
    out.timeline.sort(key=lambda item: (item[0] is None, item[0] or 0))
    out.first_byte_after = first_byte.t - t0


def run_cupsd(workdir, kind, cups, rate=1000000, idle_ms=2000, cancel_after=0.5):
    """The same scenario through a real cupsd: lpadmin, lp, cancel, lp."""
    emu = fptest.Emulator(workdir, "--rate", rate)
    try:
        out = Outcome()
        queue = "receipt_" + kind
        if kind == "stock":
            uri = "socket://127.0.0.1:%d" % emu.port
        else:
            uri = "flushprinter+socket://127.0.0.1:%d/?reset=escpos&idle=%d" % (emu.port, idle_ms)
        cups.add_queue(queue, uri, "-m", "raw")
        first, second = _write_jobs(workdir)
        job1 = cups.submit(queue, first)
        emu.wait_event("image-begin", timeout=30)
        time.sleep(cancel_after)
        t0 = time.time()
        cups.run("cancel", "%s-%d" % (queue, job1))
        out.at(t0, t0, "cancel %s-%d" % (queue, job1))
        job2 = cups.submit(queue, second)
        out.at(time.time(), t0, "lp: job %d submitted" % job2)
        seen_quiet = None
        while cups.ipp_job_state(job2) not in ("completed", "canceled", "aborted"):
            message = cups.printer_state(queue)[2]
            if seen_quiet is None and "Printer port quiet for" in message:
                seen_quiet = time.time()
                out.at(seen_quiet, t0, 'lpstat: "%s"' % message)
            time.sleep(0.05)
        out.job1_state = cups.ipp_job_state(job1)
        line = cups.logged(r"Printer flushed: \d+ padding")
        _read_printer(emu, out, t0, line, None, idle_ms)
        out.exit_code = 0
        return out
    finally:
        emu.stop()

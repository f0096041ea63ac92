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
        self.timeline.append((t - t0, sentence))


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


def _start(procs, kind, port, idle_ms, statedir, job_id, spool):
    if kind == "stock":
        path, uri = STOCK_SOCKET, "socket://127.0.0.1:%d" % port
    else:
        path = fptest.BACKEND
        uri = "flushprinter+socket://127.0.0.1:%d/?reset=escpos&idle=%d" % (port, idle_ms)
    env = dict(os.environ, DEVICE_URI=uri, FLUSHPRINTER_STATEDIR=statedir)
    fds = {0: os.open(os.devnull, os.O_RDONLY), 1: os.open(os.devnull, os.O_WRONLY)}
    p = fptest.Process(path, [uri, str(job_id), "demo", "receipt", "1", "", spool], env, fds,
                       "%s job %d" % (kind, job_id))
    for fd in fds.values():
        os.close(fd)
    procs.append(p)
    return p


def _run(emu, procs, workdir, kind, idle_ms, cancel_after, statedir):
    out = Outcome()
    first = os.path.join(workdir, "long-receipt")
    second = os.path.join(workdir, "next-receipt")
    with open(first, "wb") as f:
        f.write(banded_receipt("long"))
    with open(second, "wb") as f:
        f.write(b"\x1b@" + fptest.text(NEXT_TEXT))

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
    closed = emu.wait_event("close", conn=2, timeout=120)

    conn1 = emu.wait_event("close", conn=1)
    out.delivered = conn1["bytes"]
    padding_line = job1.line_time(r"^INFO: Printer flushed")
    if padding_line:
        line = job1.wait_line(r"^INFO: Printer flushed")
        out.padding = int(line.split()[3])
        out.at(padding_line, t0, "backend completed the half-sent band with %d white bytes and "
               "sent the reset; quiet window %d ms armed" % (out.padding, idle_ms))
    resets = [e for e in emu.events("reset") if e.t >= t0]
    if resets:
        out.at(resets[0].t, t0, "printer: ESC @ (reset) parsed as a command")
    out.at(conn1.t, t0, "printer: job 1's connection closed after %.2f MB" % (
        out.delivered / 1e6))
    first_byte = emu.wait_event("first-byte", conn=2)
    out.at(first_byte.t, t0, "printer: job 2's first byte")
    swallowed = sum(e["n"] for e in emu.events("swallowed") if e.conn == 2)
    out.swallowed = swallowed
    out.next_printed = NEXT_TEXT in emu.texts(conn=2)
    out.clean = out.next_printed and swallowed == 0
    if out.clean:
        out.verdict = 'CLEAN: "%s" printed' % NEXT_TEXT
    else:
        out.verdict = ('CORRUPTED: %d bytes of job 2 were swallowed as pixels of job 1\'s '
                       'image; "%s" never printed' % (swallowed, NEXT_TEXT))
    out.at(closed.t, t0, "printer: job 2 done -- " + out.verdict)
    out.timeline.sort()
    out.first_byte_after = first_byte.t - t0
    return out

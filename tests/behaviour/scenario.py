"""The scenario this project exists for, runnable with either backend:
print a long banded receipt, cancel it mid-transfer, print the next receipt,
and read off the printer emulator what happened.  Used by the demo, the
stock-comparison test and the benchmark; the same with a PCL page or a ZPL
label (binary graphics) by the language tests."""

import os
import signal
import time

import fptest

STOCK_SOCKET = "/usr/lib/cups/backend/socket"


def banded_receipt(name, bands=400, rows=256, width=72):
    """A receipt the way raster drivers send it: many GS v 0 bands (here 7 MB)."""
    band = fptest.raster(width, rows)
    return b"\x1b@" + fptest.text("BEGIN " + name) + band * bands + fptest.text("END " + name)


class Language:
    """A printer language as the scenario prints it."""

    def __init__(self, name, long_job, next_text, next_job, options, reset_event, reset_name):
        self.name = name                # the emulator's --language
        self.long_job = long_job        # name -> a long job that a cancel cuts mid-command
        self.next_text = next_text      # the text that shows the next job printed
        self.next_job = next_job        # the next job
        self.options = options          # flushprinter's URI options for this language
        self.reset_event = reset_event  # the emulator's event for the reset command
        self.reset_name = reset_name    # and what to call it


ESCPOS = Language("escpos", banded_receipt, "NEXT RECEIPT", b"\x1b@" + fptest.text("NEXT RECEIPT"),
                  "reset=escpos", "reset", "ESC @ (reset)")
PCL = Language("pcl", fptest.pcl_page, "NEXT PAGE", fptest.pcl_job(fptest.pcl_text("NEXT PAGE")),
               "language=pcl&reset=pjl+pcl", "reset", "ESC E (reset)")
ZPL = Language("zpl", fptest.zpl_graphic_labels, "NEXT LABEL", fptest.zpl_label("NEXT LABEL"),
               "language=zpl&reset=zpl", "abort-download", "~DN (abort download)")


class Outcome:
    """What the printer saw, with times relative to the cancel."""

    def __init__(self):
        self.timeline = []          # (seconds after the cancel, sentence)
        self.clean = False
        self.verdict = ""

    def at(self, t, t0, sentence):
        """Record `sentence` at time `t` (None: a fact with no time of its own)."""
        self.timeline.append((None if t is None else t - t0, sentence))


def run(workdir, kind, rate=1000000, idle_ms=2000, cancel_after=0.5, statedir=None,
        language=ESCPOS, options=None):
    """Cancel a job mid-transfer through `kind` ("stock" or "flushprinter", whose URI options
    are `options` or the language's); an Outcome."""
    emu = fptest.Emulator(workdir, "--rate", rate, "--language", language.name)
    procs = []
    try:
        return _run(emu, procs, workdir, kind, idle_ms, cancel_after,
                    statedir or os.path.join(workdir, "state-%s" % kind), language,
                    options or language.options)
    finally:
        for p in procs:
            p.kill()
        emu.stop()


def _write_jobs(workdir, language):
    """Spool files of the long job to cancel and of the next job."""
    paths = (os.path.join(workdir, "long-job"), os.path.join(workdir, "next-job"))
    for path, data in zip(paths, (language.long_job("long"), language.next_job)):
        with open(path, "wb") as f:
            f.write(data)
    return paths


def _start(procs, kind, port, idle_ms, statedir, job_id, spool, options):
    if kind == "stock":
        path, uri = STOCK_SOCKET, "socket://127.0.0.1:%d" % port
    else:
        path = fptest.BACKEND
        uri = "flushprinter+socket://127.0.0.1:%d/?%s&idle=%d" % (port, options, idle_ms)
    p = fptest.raw_job(uri, statedir, spool, job_id, program=path)
    procs.append(p)
    return p


def _wait_image(emu, job):
    """Waits until the printer began the job's image; fails at once if the backend quits."""
    end = time.time() + 10
    while not emu.events("image-begin"):
        if job.poll() is not None or time.time() > end:
            raise AssertionError("the printer began no image; backend:\n%s\nprinter:\n%s" % (
                job.stderr(), emu.log_text()))
        time.sleep(0.01)


def _run(emu, procs, workdir, kind, idle_ms, cancel_after, statedir, language, options):
    out = Outcome()
    first, second = _write_jobs(workdir, language)

    job1 = _start(procs, kind, emu.port, idle_ms, statedir, 1, first, options)
    _wait_image(emu, job1)
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
    job2 = _start(procs, kind, emu.port, idle_ms, statedir, 2, second, options)
    job2.wait(120)
    flushed_at = job1.line_time(r"^INFO: Printer flushed")
    _read_printer(emu, out, t0, flushed_at and job1.wait_line(r"^INFO: Printer flushed"),
                  flushed_at, idle_ms, language)
    return out


def _read_printer(emu, out, t0, flushed_line, flushed_at, idle_ms, language=ESCPOS):
    """Fill `out` from what the emulator saw after the cancel at `t0`."""
    closed = emu.wait_event("close", conn=2, timeout=120)
    conn1 = emu.wait_event("close", conn=1)
    out.delivered = conn1["bytes"]
    out.padding = 0
    if flushed_line:
        out.padding = int(flushed_line.split("Printer flushed: ")[1].split()[0])
        out.at(flushed_at, t0, "backend: completed the half-sent band with %d white bytes, "
               "sent the reset, armed a %d ms quiet window" % (out.padding, idle_ms))
    resets = [e for e in emu.events(language.reset_event) if e.t >= t0]
    if resets:
        out.at(resets[0].t, t0, "printer: %s parsed as a command" % language.reset_name)
    out.at(conn1.t, t0, "printer: the canceled job's connection closed after %.2f MB" % (
        out.delivered / 1e6))
    first_byte = emu.wait_event("first-byte", conn=2)
    out.at(first_byte.t, t0, "printer: the next job's first byte")
    out.swallowed = sum(e["n"] for e in emu.events("swallowed") if e.conn == 2)
    out.next_printed = language.next_text in emu.texts(conn=2)
    out.clean = out.next_printed and out.swallowed == 0
    if out.clean:
        out.verdict = 'CLEAN: "%s" printed' % language.next_text
    else:
        out.verdict = ('CORRUPTED: %d bytes of the next job were swallowed as pixels of the '
                       'canceled image; "%s" never printed' % (out.swallowed, language.next_text))
    out.at(closed.t, t0, "printer: the next job is done -- " + out.verdict)
    out.timeline.sort(key=lambda item: (item[0] is None, item[0] or 0))
    out.first_byte_after = first_byte.t - t0
    out.events = emu.events()


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
        first, second = _write_jobs(workdir, ESCPOS)
        job1 = cups.submit(queue, first)
        emu.wait_event("image-begin", timeout=30)
        time.sleep(cancel_after)
        t0 = time.time()
        cups.run("cancel", "%s-%d" % (queue, job1))
        out.at(t0, t0, "cancel %s-%d" % (queue, job1))
        job2 = cups.submit(queue, second)
        out.at(time.time(), t0, "lp: job %d submitted" % job2)
        seen_quiet = None
        end = time.time() + 120
        while cups.ipp_job_state(job2) not in ("completed", "canceled", "aborted"):
            if time.time() > end:
                raise AssertionError("job %d not done in 120 s\n%s" % (
                    job2, cups.error_log()[-4000:]))
            message = cups.printer_state(queue)[2]
            if seen_quiet is None and "Printer port quiet for" in message:
                seen_quiet = time.time()
                out.at(seen_quiet, t0, 'lpstat: "%s"' % message)
            time.sleep(0.05)
        out.job1_state = cups.ipp_job_state(job1)
        cups.wait_job_ended(job1)        # all job 1's processes logged is in cupsd's log
        line = cups.logged(r"Printer flushed: \d+ padding")
        _read_printer(emu, out, t0, line, None, idle_ms)
        out.exit_code = 0
        return out
    finally:
        emu.stop()

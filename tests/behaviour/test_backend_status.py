"""The backend listens to the printer (status=): a paper-out mid-job is shown
as media-empty-error and waited out beyond timeout=, and the receipt prints
exactly once; a printer that does not answer gets today's behaviour and one
INFO: line (and, with status=auto, the default, no probe for ten minutes after
one it did not answer); status=off sends the printer no query at all."""

import os
import re
import signal
import termios
import time

import fptest
from fptest import CUPS_BACKEND_OK

ROWS, WIDTH = 40000, 72     # a 2.9 MB raster receipt


class PaperOut(fptest.TestCase):

    def test_paper_out_mid_job_waits_and_prints_once(self):
        # Out of paper for 6 s after 200 kB; the backend's timeout= is 2 s.
        emu = self.emulator("--stall-after", 200000, "--resume-after", 6000,
                            "--stall-reason", "paper-out", "--buffer", 8192)
        # The job asks DLE EOT 4 itself: its answer is the filters' (fd 3), not the backend's.
        job = b"\x1b@\x10\x04\x04" + fptest.receipt("paper", rows=ROWS, width=WIDTH)[2:]
        b = self.backend(self.socket_uri(emu, "reset=escpos&timeout=2000&status=auto"),
                         spool_file=self.spool(job))
        b.proc.wait_line(r"^INFO: Printer status is on")
        self.assertPaperOutWaitedOut(emu, b, 6)            # well beyond timeout=
        emu.wait_event("text", text="END paper")
        self.assertEqual(emu.texts(), ["BEGIN paper", "END paper"])
        self.assertImagePrintedOnce(emu, ROWS, WIDTH)
        # The probe, the arming, the job's query, the arming again after the job's ESC @.
        self.assertEqual([e.fields["cmd"] for e in emu.events("query")],
                         ["100401", "1d610e", "1d610e", "100404"])
        # fd 3 got the answer to the job's query and nothing of the backend's.
        os.set_blocking(b.back_read, False)
        self.assertEqual(os.read(b.back_read, 4096), b"\x12")


    def test_timeout_counts_from_the_paper_back(self):
        # Paper back after 6 s (three times timeout=), and the printer feeds the new roll
        # for 1 s before it reads again: timeout= counts from the paper's return.
        emu = self.emulator("--stall-after", 200000, "--resume-after", 6000,
                            "--feed-after", 1000, "--stall-reason", "paper-out",
                            "--buffer", 8192)
        b = self.backend(self.socket_uri(emu, "reset=escpos&timeout=2000&status=auto"),
                         spool_file=self.spool(fptest.receipt("paper", rows=ROWS, width=WIDTH)))
        b.proc.wait_line(r"^INFO: Printer status is on")
        self.assertPaperOutWaitedOut(emu, b, 6)
        clear = emu.wait_event("condition", cleared="paper-out")
        self.assertGreaterEqual(emu.wait_event("resume").t - clear.t, 0.9)
        emu.wait_event("text", text="END paper")
        self.assertEqual(emu.texts(), ["BEGIN paper", "END paper"])
        self.assertImagePrintedOnce(emu, ROWS, WIDTH)


class SerialLine(fptest.TestCase):
    """flushprinter+file: on a terminal (a serial printer; usblp reads the same way):
    the back channel is read like a socket's, in raw mode for the job."""

    def test_paper_out_on_a_serial_line(self):
        emu = self.emulator("--stall-after", 200000, "--resume-after", 4000,
                            "--stall-reason", "paper-out", "--buffer", 8192)
        line = self.serial_printer(emu)
        before = termios.tcgetattr(line.slave)
        before[0] |= termios.IXON                   # the line's own flow control: XON/XOFF
        termios.tcsetattr(line.slave, termios.TCSANOW, before)
        before = termios.tcgetattr(line.slave)
        job = b"\x1b@\x10\x04\x04" + fptest.receipt("paper", rows=ROWS, width=WIDTH)[2:]
        b = self.backend("flushprinter+file:%s?reset=escpos&timeout=2000&status=auto" % line.path,
                         spool_file=self.spool(job))
        b.proc.wait_line(r"^INFO: Printer status is on: the printer answers escpos")
        # Raw for the job (no line editing, echo or output processing), the line's own
        # settings kept (flow control, character size, parity).
        iflag, oflag, cflag, lflag = termios.tcgetattr(line.slave)[:4]
        self.assertEqual(lflag & (termios.ICANON | termios.ECHO | termios.ISIG), 0)
        self.assertEqual(oflag & termios.OPOST, 0)
        self.assertEqual(iflag & (termios.ICRNL | termios.IXON), termios.IXON)
        self.assertEqual(cflag & (termios.CSIZE | termios.PARENB), before[2] & (termios.CSIZE
                                                                                  | termios.PARENB))
        self.assertPaperOutWaitedOut(emu, b, 4)
        emu.wait_event("text", text="END paper")
        self.assertEqual(emu.texts(), ["BEGIN paper", "END paper"])
        # Every byte as sent (a terminal in its default mode would turn LF into CR LF).
        self.assertImagePrintedOnce(emu, ROWS, WIDTH)
        os.set_blocking(b.back_read, False)
        self.assertEqual(os.read(b.back_read, 4096), b"\x12")
        self.assertEqual(termios.tcgetattr(line.slave), before)  # the line as it was

    def test_a_fifo_is_written_only(self):
        fifo = os.path.join(self.tmp, "lp0")
        emu = self.emulator(fifo=fifo)
        b = self.backend("flushprinter+file:%s?reset=escpos&status=auto" % fifo,
                         spool_file=self.spool(fptest.receipt("fifo", rows=50)))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertIn("INFO: Printer status is off: not available on this connection yet",
                      b.proc.stderr())
        emu.wait_event("text", text="END fifo")
        self.assertEqual(emu.events("query"), [])


class SlowPrinter(fptest.TestCase):

    def test_draining_slower_than_the_timeout_is_not_a_failure(self):
        """status=auto at 4 kB/s, timeout=1500: the job's last ~24 kB take about 6 s to
        drain, a window that opens every second or so; that is progress, not a stall."""
        emu = self.emulator("--rate", 4000)
        job = fptest.receipt("slow", rows=400)
        b = self.backend(self.socket_uri(emu, "reset=escpos&timeout=1500&status=auto"),
                         spool_file=self.spool(job))
        b.proc.wait_line(r"^INFO: Printer status is on")
        self.assertEqual(b.proc.wait(60), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertNotIn("accepted nothing", b.proc.stderr())
        emu.wait_event("text", text="END slow")
        self.assertImagePrintedOnce(emu, 400, 72)


class CancelDuringPaperOut(fptest.TestCase):
    """A cancel while the printer is out of paper: the flush waits for the paper (twice
    timeout=), or leaves the half-sent command owed in the journal for the next job."""

    def cancel_in_paper_out(self, resume_ms):
        emu = self.emulator("--stall-after", 200000, "--resume-after", resume_ms,
                            "--stall-reason", "paper-out", "--buffer", 8192)
        uri = self.socket_uri(emu, "reset=escpos&status=auto&timeout=1000&idle=500&band=0")
        # 360 kB: what the image owes at the cancel stays within the default maxflush=; band=0
        # keeps it one image, so that the cancel always lands inside it and owes white.
        b = self.backend(uri, spool_file=self.spool(fptest.receipt("paper", rows=5000)))
        b.proc.wait_line(r"^STATE: \+media-empty-error\b", timeout=20)
        b.proc.signal(signal.SIGTERM)
        b.proc.wait_line(r"^INFO: The printer cannot read the cancel's flush until it is fixed; "
                         r"waiting up to 2000 ms")
        return emu, b

    def test_paper_back_in_time(self):
        emu, b = self.cancel_in_paper_out(1500)
        flushed = r"^INFO: Printer flushed: \d+ padding bytes, 2 reset bytes"
        b.proc.wait_line(flushed, timeout=10)
        self.assertEqual(b.proc.wait(20), CUPS_BACKEND_OK, b.proc.stderr())
        clear = emu.wait_event("condition", cleared="paper-out")
        # The image the printer stopped in is completed with white, then reset, after the paper.
        image = emu.wait_event("image-end")
        reset = emu.wait_event("reset", after=image.t)
        self.assertGreaterEqual(image.t, clear.t)
        self.assertGreater(image["zeros"], 0)
        self.assertEqual(image["swallowed"], 0)
        self.assertGreaterEqual(reset.t, image.t)
        # The quiet window is held after the flush; the reason is withdrawn.
        self.assertGreaterEqual(b.proc.ended, b.proc.line_time(flushed) + 0.5 - 0.05)
        self.assertIn("STATE: -media-empty-error", b.proc.stderr())
        self.assertNotIn("WARNING", b.proc.stderr())

    def test_paper_not_back_leaves_the_debt(self):
        emu, b = self.cancel_in_paper_out(6000)
        canceled = b.proc.line_time(r"^INFO: Job canceled after")
        b.proc.wait_line(r"^WARNING: The printer did not become ready within 2000 ms of the "
                         r"cancel; what its half-sent command owes is recorded", timeout=10)
        self.assertEqual(b.proc.wait(20), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertLess(b.proc.ended - canceled, 2.0 + 1.5)   # the bound held
        self.assertNotIn("Printer flushed", b.proc.stderr())
        self.assertEqual([e.fields for e in emu.events("condition")], [{"set": "paper-out"}])
        # The next job pays the debt: the image completed with white and a reset before its text.
        nxt = self.backend(self.socket_uri(emu, "reset=escpos"), job_id=2,
                           spool_file=self.spool(fptest.text("NEXT"), "next"))
        self.assertEqual(nxt.proc.wait(30), CUPS_BACKEND_OK, nxt.proc.stderr())
        self.assertRegex(nxt.proc.stderr(), r"Job 1 was interrupted after \d+ bytes without a "
                                             r"flush; flushing the printer first")
        text = emu.wait_event("text", text="NEXT")
        image = emu.wait_event("image-end")
        self.assertGreater(image["zeros"], 0)
        self.assertLessEqual(emu.wait_event("reset", after=image.t).t, text.t)


class Completion(fptest.TestCase):

    def job_printed_at_exit(self, emu, b, name):
        """The backend's exit came after the printer printed the job's last line."""
        self.assertEqual(b.proc.wait(60), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertIn("END " + name, emu.texts())  # looked at once, without waiting
        self.assertIn("INFO: The printer confirmed it printed the job", b.proc.stderr())
        pid_queries = [e for e in emu.events("query") if e.fields["cmd"].startswith("1d2848")]
        self.assertEqual(len(pid_queries), 1)

    def test_confirmed_only_once_printed(self):
        # 43 kB at 20 kB/s into a 64 kB buffer: without the confirmation the backend is
        # done about 2 s before the end prints (status=auto exits before it).
        emu = self.emulator("--rate", 20000, "--buffer", 65536)
        b = self.backend(self.socket_uri(emu, "reset=escpos&timeout=1000&status=on"),
                         spool_file=self.spool(fptest.receipt("confirm", rows=600)))
        self.job_printed_at_exit(emu, b, "confirm")

    def test_not_by_default_but_with_confirm_on(self):
        # GS ( H is no blind-safe probe: status=auto alone does not ask it (a clone that
        # answers DLE EOT may print it); confirm=on is the queue saying the printer has it.
        emu = self.emulator("--rate", 20000, "--buffer", 65536)
        b = self.backend(self.socket_uri(emu, "reset=escpos&timeout=1000"),
                         spool_file=self.spool(fptest.receipt("auto", rows=100)))
        self.assertEqual(b.proc.wait(60), CUPS_BACKEND_OK, b.proc.stderr())
        b.proc.wait_line(r"^INFO: Printer status is on")
        self.assertNotIn("confirmed it printed", b.proc.stderr())
        emu.wait_event("text", text="END auto")
        self.assertEqual([e for e in emu.events("query") if e.fields["cmd"].startswith("1d2848")],
                         [])
        emu2 = self.emulator("--rate", 20000, "--buffer", 65536)
        b = self.backend(self.socket_uri(emu2, "reset=escpos&timeout=1000&confirm=on"),
                         job_id=2, spool_file=self.spool(fptest.receipt("on", rows=600), "on"))
        self.job_printed_at_exit(emu2, b, "on")

    def test_paper_out_in_the_tail(self):
        """Out of paper 4 kB before the end, for 4 s: the job waits beyond timeout=, and is
        completed only once its end printed."""
        job = fptest.receipt("tail", rows=3000)
        emu = self.emulator("--rate", 100000, "--stall-after", len(job) - 4000,
                            "--resume-after", 4000, "--stall-reason", "paper-out")
        b = self.backend(self.socket_uri(emu, "reset=escpos&timeout=1500&status=on"),
                         spool_file=self.spool(job))
        b.proc.wait_line(r"^STATE: \+media-empty-error\b", timeout=20)
        self.job_printed_at_exit(emu, b, "tail")
        self.assertIn("STATE: -media-empty-error", b.proc.stderr())
        self.assertImagePrintedOnce(emu, 3000, 72)


class VerifiedFlush(fptest.TestCase):
    """With status=on, a cancel's flush ends with a question only a parser at command
    level answers (GS ( H fn 48); the log says whether the printer answered it."""

    IDLE = 800

    def cancel_and_flush(self, emu, name):
        uri = self.socket_uri(emu, "reset=escpos&status=on&timeout=2000&idle=%d" % self.IDLE)
        # the image takes seconds: the cancel comes mid-image
        b = self.cancel_in_first_image(emu, uri, fptest.receipt(name, rows=4000))
        b.proc.wait_line(r"^INFO: Printer flushed: \d+ padding bytes, 2 reset bytes")
        return b

    def pid_queries(self, emu):
        return [e for e in emu.events("query") if e.fields["cmd"].startswith("1d284806003030")]

    def test_not_after_a_refused_debt(self):
        # An unbanded image cut short owes more than maxflush=: the flush sends the reset
        # without completing it, the printer may still be inside the image, and a question
        # would be pixels -- none is asked, and the next job sends no probe either.
        emu = self.emulator("--rate", 40000)
        uri = self.socket_uri(emu, "reset=escpos&status=on&timeout=2000&band=0&maxflush=1000")
        b = self.cancel_in_first_image(emu, uri, fptest.receipt("refused", rows=4000))
        self.assertEqual(b.proc.wait(20), CUPS_BACKEND_OK, b.proc.stderr())
        b.proc.wait_line(r"^WARNING: The half-sent command still owed \d+ bytes, more than "
                         r"maxflush=1000; sent the reset without completing it")
        self.assertNotIn("back at command level", b.proc.stderr())
        emu.wait_event("close", conn=1)
        self.assertEqual(self.pid_queries(emu), [])
        nxt = self.backend(uri, job_id=2, spool_file=self.spool(fptest.text("NEXT"), "next"))
        self.assertEqual(nxt.proc.wait(20), CUPS_BACKEND_OK, nxt.proc.stderr())
        nxt.proc.wait_line(r"^INFO: Printer status is off: the last flush could not complete the "
                           r"command the printer was in")
        emu.wait_event("close", conn=2)
        self.assertEqual([q for q in emu.events("query") if q.conn == 2], [])

    def test_confirmed(self):
        emu = self.emulator("--rate", 40000)
        b = self.cancel_and_flush(emu, "verified")
        confirmed = (r"^INFO: Printer confirmed it is back at command level after the "
                     r"cancel's flush \(\d+ ms\)")
        b.proc.wait_line(confirmed)
        self.assertEqual(b.proc.wait(20), CUPS_BACKEND_OK, b.proc.stderr())
        # The question followed the completed image and the reset, and was answered.
        image = emu.wait_event("image-end")
        reset = emu.wait_event("reset", after=image.t)
        [query] = self.pid_queries(emu)
        self.assertGreaterEqual(query.t, reset.t)
        reply = emu.wait_event("reply", after=query.t)
        self.assertTrue(reply.fields["data"].startswith("3722"))
        # The quiet window runs in full after the backend's last byte, the question.
        self.assertGreaterEqual(b.proc.ended, b.proc.line_time(confirmed) + self.IDLE / 1000 - 0.05)
        self.assertNotIn("WARNING", b.proc.stderr())
        # The journal is clean: the next job starts without a recovery flush.
        nxt = self.backend(self.socket_uri(emu, "reset=escpos"), job_id=2,
                           spool_file=self.spool(b"\x1b@" + fptest.text("NEXT"), "next"))
        self.assertEqual(nxt.proc.wait(20), CUPS_BACKEND_OK, nxt.proc.stderr())
        self.assertNotIn("interrupted", nxt.proc.stderr())

    def test_recovery_confirmed(self):
        """A backend killed mid-image leaves the device dirty; the next job's recovery flush
        is verified the same way before the job's first byte."""
        emu = self.emulator("--rate", 40000)
        uri = self.socket_uri(emu, "reset=escpos&status=on&timeout=2000")
        b = self.backend(uri, spool_file=self.spool(fptest.receipt("killed", rows=4000)))
        emu.wait_event("image-begin")
        b.proc.kill()
        emu.wait_event("close", conn=1)
        nxt = self.backend(uri, job_id=2, spool_file=self.spool(fptest.receipt("after"), "next"))
        self.assertRecoveryConfirmed(nxt)
        # Asked on the second connection after the completed image and its reset.
        [query] = [q for q in self.pid_queries(emu) if q.conn == 2][:1]
        image = emu.wait_event("image-end")
        self.assertGreaterEqual(query.t, emu.wait_event("reset", after=image.t).t)
        emu.wait_event("text", text="END after")

    def test_not_confirmed(self):
        # Answers the probe, the arming and the re-arming after the job's ESC @, then nothing.
        emu = self.emulator("--rate", 40000, "--answers", 3)
        b = self.cancel_and_flush(emu, "unverified")
        flushed = b.proc.line_time(r"^INFO: Printer flushed")
        unconfirmed = r"^WARNING: Printer did not confirm within 2000 ms that it is back"
        b.proc.wait_line(unconfirmed + r" at command level after the cancel's flush; it may need "
                         r"attention", timeout=10)
        self.assertLess(b.proc.line_time(unconfirmed) - flushed, 2.0 + 1.0)   # the bound holds
        self.assertEqual(b.proc.wait(20), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertIn("WARNING: The next job resets the printer before its first byte",
                      b.proc.stderr())
        self.assertEqual(len(self.pid_queries(emu)), 1)   # the printer got the question
        # The journal kept the device dirty: the next job resets it before its own data.
        nxt = self.backend(self.socket_uri(emu, "reset=escpos"), job_id=2,
                           spool_file=self.spool(fptest.text("NEXT"), "next"))
        self.assertEqual(nxt.proc.wait(20), CUPS_BACKEND_OK, nxt.proc.stderr())
        self.assertIn("flushing the printer first", nxt.proc.stderr())
        text = emu.wait_event("text", text="NEXT")
        resets = [e for e in emu.events("reset") if e.conn == 2]
        self.assertEqual(len(resets), 1)      # the recovery's: the job has no ESC @ of its own
        self.assertLessEqual(resets[0].t, text.t)


class SilentPrinter(fptest.TestCase):

    def test_auto_on_a_dumb_printer(self):
        emu = self.emulator("--dumb")
        b = self.backend(self.socket_uri(emu, "reset=escpos&status=auto"),
                         spool_file=self.spool(fptest.receipt("dumb", rows=50)))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        lines = [l for l in b.proc.stderr().splitlines() if "Printer status" in l]
        self.assertEqual(lines, ["INFO: Printer status is off: the printer did not answer its "
                                 "status query in 1000 ms"])
        emu.wait_event("text", text="END dumb")
        # Only the probe, which prints nothing: no arming, no other query.
        self.assertEqual([e.fields["cmd"] for e in emu.events("query")], ["100401"])
        self.assertNotIn("STATE: +media", b.proc.stderr())

    def test_answers_then_goes_silent(self):
        # Answers the probe and sends its first automatic status back, then nothing: the
        # paper-out it does not report is what it is without status, a printer that
        # accepts nothing, and timeout= applies (no media-empty that it never said).
        emu = self.emulator("--answers", 2, "--stall-after", 200000, "--resume-after", 8000,
                            "--stall-reason", "paper-out", "--buffer", 8192)
        b = self.backend(self.socket_uri(emu, "reset=escpos&timeout=2000&status=auto"),
                         spool_file=self.spool(fptest.receipt("quiet", rows=ROWS, width=WIDTH)))
        b.proc.wait_line(r"^INFO: Printer status is on")
        emu.wait_event("condition", set="paper-out", timeout=20)
        self.assertEqual(b.proc.wait(60), fptest.CUPS_BACKEND_FAILED, b.proc.stderr())
        err = b.proc.stderr()
        self.assertIn("ERROR: The printer accepted nothing for 2000 ms", err)
        self.assertNotIn("media-empty", err)
        self.assertEqual(len(emu.events("reply")), 2, emu.log_text()[-3000:])

    def test_status_off_asks_nothing(self):
        emu = self.emulator()
        b = self.backend(self.socket_uri(emu, "reset=escpos&status=off"),
                         spool_file=self.spool(fptest.receipt("plain", rows=50)))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        emu.wait_event("text", text="END plain")
        self.assertEqual(emu.events("query"), [])
        self.assertNotIn("Printer status", b.proc.stderr())

    def key(self, emu):
        return "socket://127.0.0.1:%d" % emu.port

    def unheard_until(self, emu):
        m = re.search(r" unheard_until=(\d+) ", fptest.newest_record(self.statedir, self.key(emu)))
        return int(m.group(1)) if m else None

    def probe_and_print(self, emu, name, query="reset=escpos"):
        """One job with status= at its default: the INFO: line about status, and the probes the
        printer has seen so far."""
        b = self.backend(self.socket_uri(emu, query),
                         spool_file=self.spool(fptest.receipt(name, rows=50)))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        emu.wait_event("text", text="END " + name)
        lines = [l for l in b.proc.stderr().splitlines() if "Printer status" in l]
        self.assertEqual(len(lines), 1, b.proc.stderr())
        return lines[0], [e.fields["cmd"] for e in emu.events("query")]

    def test_auto_by_default_and_a_silent_printer_is_asked_once_in_ten_minutes(self):
        emu = self.emulator("--dumb")
        before = time.time() * 1000
        line, probes = self.probe_and_print(emu, "first")
        self.assertEqual(line, "INFO: Printer status is off: the printer did not answer its "
                               "status query in 1000 ms")
        self.assertEqual(probes, ["100401"])
        until = self.unheard_until(emu)
        self.assertIsNotNone(until, fptest.newest_record(self.statedir, self.key(emu)))
        self.assertGreaterEqual(until, before + 600000)
        self.assertLessEqual(until, time.time() * 1000 + 600000)
        # The next jobs send it nothing and do not wait for it.
        for name in ("second", "third"):
            line, probes = self.probe_and_print(emu, name)
            self.assertRegex(line, r"^INFO: Printer status is off: the printer did not answer "
                                   r"its status query lately; it is asked again in \d+ s "
                                   r"\(\d\d:\d\d:\d\d\)$")
            self.assertEqual(probes, ["100401"])
            self.assertEqual(self.unheard_until(emu), until)
        # status=on is the queue saying the printer answers: it is asked all the same.
        line, probes = self.probe_and_print(emu, "fourth", "reset=escpos&status=on")
        self.assertEqual(probes, ["100401", "100401"])

    def test_an_answer_forgets_a_silent_spell_that_ended(self):
        emu = self.emulator()
        now = int(time.time() * 1000)
        fptest.forge(self.statedir, self.key(emu), extra=" unheard_until=%d" % (now - 1000))
        line, probes = self.probe_and_print(emu, "answered")
        self.assertTrue(line.startswith("INFO: Printer status is on: the printer answers escpos"),
                        line)
        self.assertEqual(probes[0], "100401")
        self.assertIsNone(self.unheard_until(emu))

    def test_a_silent_spell_too_far_ahead_is_not_believed(self):
        # Nothing this backend writes holds for more than ten minutes: a deadline two hours
        # ahead is a clock change or a forged file, and the printer is asked.
        emu = self.emulator()
        fptest.forge(self.statedir, self.key(emu),
                     extra=" unheard_until=%d" % (int(time.time() * 1000) + 7200 * 1000))
        line, probes = self.probe_and_print(emu, "asked")
        self.assertTrue(line.startswith("INFO: Printer status is on"), line)
        self.assertEqual(probes[0], "100401")
        self.assertIsNone(self.unheard_until(emu))

if __name__ == "__main__":
    fptest.main()

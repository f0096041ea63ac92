"""No job, byte or peer holds a printer hostage: a completion is bounded by
maxflush= and by what the language can mean, a flush stops on a cancel with
the rest journaled exactly, and a side-channel peer that does not read its
replies is dropped instead of stalling the job."""

import os
import random
import signal
import struct
import time

import fptest
from fptest import CUPS_BACKEND_OK

ESCPOS_RESET = b"\x1b@"
SC_GET_BIDI = 3


def tall_image_head(rows, width=72):
    """ESC @ and a GS v 0 header for `rows` rows of `width` bytes, no data."""
    return ESCPOS_RESET + b"\x1dv0\x00" + struct.pack("<HH", width, rows)


class BoundedFlush(fptest.TestCase):
    """The long debts here are unbanded images (band=0): with bands, a job cut
    short owes at most one band (test_banding.py)."""

    def run_raw(self, emu, query, data, job_id=1, name="job"):
        return self.backend(self.socket_uri(emu, query), job_id=job_id,
                            spool_file=self.spool(data, name))

    def next_job_prints(self, emu, query="reset=escpos", job_id=2, text="NEXT RECEIPT"):
        nxt = self.run_raw(emu, query, ESCPOS_RESET + fptest.text(text), job_id, "next")
        self.assertEqual(nxt.proc.wait(60), CUPS_BACKEND_OK, nxt.proc.stderr())
        emu.wait_event("text", text=text)
        return nxt

    def journaled_debt(self):
        """owed_fill of the newest dirty record in the state directory (0: none)."""
        best = (-1, 0)
        for name in os.listdir(self.statedir) if os.path.isdir(self.statedir) else []:
            with open(os.path.join(self.statedir, name), "rb") as f:
                for slot in f.read().split(b"\n"):
                    fields = dict(w.split(b"=", 1) for w in slot.split() if b"=" in w)
                    if fields.get(b"dirty") == b"1" and b"seq" in fields:
                        best = max(best, (int(fields[b"seq"]), int(fields[b"owed_fill"])))
        return best[1]

    def test_debt_over_maxflush_sends_the_reset_only(self):
        emu = self.emulator()
        job = tall_image_head(1000) + b"\xaa" * 72      # owes 999 rows: 71928 bytes
        b = self.run_raw(emu, "reset=escpos&maxflush=50000&band=0", job)
        self.assertEqual(b.proc.wait(10), CUPS_BACKEND_OK, b.proc.stderr())
        b.proc.wait_line(r"^WARNING: The half-sent command still owed 71928 bytes, more than "
                         r"maxflush=50000; sent the reset without completing it")
        self.assertIsNone(b.proc.line_time(r"^INFO: Printer flushed: [1-9]"))
        closed = emu.wait_event("close", conn=1)
        self.assertEqual(closed["bytes"], len(job) + len(ESCPOS_RESET) + self.status_bytes(emu, 1))

    def test_debt_at_maxflush_is_paid(self):
        emu = self.emulator()
        job = tall_image_head(1000) + b"\xaa" * 72
        b = self.run_raw(emu, "reset=escpos&maxflush=71928&band=0", job)
        self.assertEqual(b.proc.wait(10), CUPS_BACKEND_OK, b.proc.stderr())
        b.proc.wait_line(r"^INFO: Printer flushed: 71928 padding bytes, 2 reset bytes")
        image = emu.wait_event("image-end")
        self.assertEqual(image["zeros"], 71928)
        self.next_job_prints(emu)

    def test_cancel_stops_the_end_of_job_flush_and_the_next_job_pays_the_rest(self):
        emu = self.emulator("--rate", 20000)
        owed = 2000 * 72 - 72
        job = tall_image_head(2000) + b"\xaa" * 72
        b = self.run_raw(emu, "reset=escpos&maxflush=1000000&band=0", job)
        b.proc.wait_line(r"^WARNING: The job ended in the middle of a command \(%d bytes" % owed)
        emu.wait_event("image-begin")
        b.proc.signal(signal.SIGTERM)
        sent = time.time()
        self.assertEqual(b.proc.wait(10), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertLess(b.proc.ended - sent, 2.0, "a cancel ends a flush within a second")
        line = b.proc.wait_line(r"^WARNING: Flush stopped by a cancel after \d+ completion bytes; "
                                r"\d+ still owed")
        paid, left = int(line.split()[7]), int(line.split()[10])
        self.assertEqual(paid + left, owed)
        self.assertGreater(left, 0)
        nxt = self.next_job_prints(emu)
        nxt.proc.wait_line(r"^INFO: Job 1 was interrupted")
        image = emu.wait_event("image-end")
        self.assertEqual(image["zeros"], owed, "the two flushes pay the debt exactly once")
        self.assertLess(image.t, emu.wait_event("text", text="NEXT RECEIPT").t)

    def test_sigkill_in_an_oversized_flush_then_the_next_job_refuses_the_rest(self):
        emu = self.emulator("--rate", 20000)
        job = tall_image_head(2000) + b"\xaa" * 72
        b = self.run_raw(emu, "reset=escpos&maxflush=1000000&band=0", job)
        b.proc.wait_line(r"^WARNING: The job ended in the middle of a command")
        emu.wait_event("image-begin")
        # Crash once the journal shows the flush under way.
        end = time.time() + 10
        while not 0 < self.journaled_debt() < 143928 and time.time() < end:
            time.sleep(0.02)
        b.proc.kill()
        start = time.time()
        nxt_job = ESCPOS_RESET + fptest.text("NEXT RECEIPT")
        nxt = self.run_raw(emu, "reset=escpos&maxflush=16384", nxt_job, 2, "next")
        self.assertEqual(nxt.proc.wait(10), CUPS_BACKEND_OK, nxt.proc.stderr())
        self.assertLess(nxt.proc.ended - start, 5, "the rest over the ceiling is not replayed")
        nxt.proc.wait_line(r"^INFO: Job 1 was interrupted")
        nxt.proc.wait_line(r"^WARNING: The half-sent command still owed \d+ bytes, more than "
                           r"maxflush=16384; sent the reset without completing it; the printer "
                           r"may need attention")
        closed = emu.wait_event("close", conn=2)
        # A printer that honours the header still owes the rest: nothing more can be done
        # within the ceiling, and the warning says so; the backend sent only the reset and
        # the job.
        self.assertEqual(closed["bytes"], 2 + len(nxt_job) + self.status_bytes(emu, 2))

    def test_crafted_header_is_not_paid_and_not_replayed(self):
        crafted = ESCPOS_RESET + b"\x1dv0\x00\xff\xff\xff\xff"   # 65535 x 65535 bytes
        emu = self.emulator()
        b = self.run_raw(emu, "reset=escpos", crafted)
        self.assertEqual(b.proc.wait(10), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertLess(b.proc.ended - b.proc.started, 5)
        b.proc.wait_line(r"^WARNING: The job claimed \d+ more bytes for a command than a escpos "
                         r"printer accepts: the data is not escpos")
        self.assertEqual(emu.wait_event("close", conn=1)["bytes"],
                         len(crafted) + 2 + self.status_bytes(emu, 1))
        self.assertEqual(self.journaled_debt(), 0, "nothing is left for the next job to pay")

    def test_sigkill_with_an_implausible_debt_then_the_next_job_does_not_replay_it(self):
        crafted = ESCPOS_RESET + b"\x1dv0\x00\xff\xff\xff\xff" + b"\xaa" * 400000
        emu = self.emulator("--rate", 20000)
        b = self.run_raw(emu, "reset=escpos", crafted)
        end = time.time() + 10
        while self.journaled_debt() == 0 and time.time() < end:   # streaming, journaled
            time.sleep(0.02)
        b.proc.kill()
        start = time.time()
        nxt_job = ESCPOS_RESET + fptest.text("NEXT RECEIPT")
        nxt = self.run_raw(emu, "reset=escpos", nxt_job, 2, "next")
        self.assertEqual(nxt.proc.wait(10), CUPS_BACKEND_OK, nxt.proc.stderr())
        self.assertLess(nxt.proc.ended - start, 5)
        nxt.proc.wait_line(r"^INFO: Job 1 was interrupted")
        nxt.proc.wait_line(r"^WARNING: The job claimed \d+ more bytes for a command than a escpos "
                           r"printer accepts")
        # No status query either: it would land inside the image the printer may still be in.
        nxt.proc.wait_line(r"^INFO: Printer status is off: the last flush could not complete the "
                           r"command the printer was in")
        self.assertEqual(emu.wait_event("close", conn=2)["bytes"],
                         2 + len(nxt_job) + self.status_bytes(emu, 2))

    def test_pdf_on_an_escpos_queue_is_tracked_as_nothing(self):
        pdf = "/usr/share/cups/data/default-testpage.pdf"
        if not os.path.exists(pdf):
            self.skipTest("no CUPS test page")
        with open(pdf, "rb") as f:
            data = f.read()
        emu = self.emulator()
        b = self.run_raw(emu, "reset=escpos", data)
        self.assertEqual(b.proc.wait(20), CUPS_BACKEND_OK, b.proc.stderr())
        b.proc.wait_line(r"^WARNING: The job is PDF, not escpos printer commands")
        self.assertIsNone(b.proc.line_time(r"in the middle of a command"))
        closed = emu.wait_event("close", conn=1)
        self.assertEqual(closed["bytes"], len(data))


POSTSCRIPT = b"""%!PS-Adobe-3.0
%%Pages: 1
%%EndComments
/Helvetica findfont 24 scalefont setfont
72 720 moveto (flushprinter) show
0 1 200 { 72 exch 3 mul 100 add moveto 300 0 rlineto stroke } for
showpage
%%EOF
"""
LANGUAGES = (("escpos", "escpos"), ("pcl", "pjl+pcl"), ("escp", "escp"), ("zpl", "zpl"),
             ("epl", "epl"), ("dymo", "dymo"), ("escpr", "escpr"))


class HostileInput(fptest.TestCase):
    """Every tracker fed what no queue of its language should get: random bytes,
    the CUPS test page PDF, a PostScript file.  Each job ends within seconds and
    no flush sends more than the ceiling."""

    def inputs(self):
        rng = random.Random(10)
        found = [("random-%d" % i, bytes(rng.getrandbits(8) for _ in range(65536)))
                 for i in range(3)]
        found.append(("postscript", POSTSCRIPT))
        pdf = "/usr/share/cups/data/default-testpage.pdf"
        if os.path.exists(pdf):
            with open(pdf, "rb") as f:
                found.append(("testpage-pdf", f.read()))
        return found

    def test_every_tracker_ends_bounded_on_hostile_input(self):
        ceiling = 1048576
        longest = (0, 0.0, "")
        report = []
        for language, reset in LANGUAGES:
            for name, data in self.inputs():
                emu = self.emulator()
                query = "language=%s&reset=%s&idle=0" % (language, reset)
                b = self.backend(self.socket_uri(emu, query), job_id=len(report) + 1,
                                 spool_file=self.spool(data, "%s-%s" % (language, name)))
                self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
                took = b.proc.ended - b.proc.started
                closed = emu.wait_event("close", conn=1)
                flushed = b.proc.line_time(r"^INFO: Printer flushed")
                padding = 0
                if flushed:
                    padding = int(b.proc.wait_line(r"^INFO: Printer flushed: (\d+)").split()[3])
                self.assertLessEqual(padding, ceiling)
                self.assertLessEqual(closed["bytes"], len(data) + padding + 256)
                self.assertLess(took, 15, "%s on %s took %.1f s" % (name, language, took))
                refused = b.proc.line_time(r"^WARNING: .*sent the reset without completing it")
                report.append("%-7s %-13s %8d padding bytes %6.2f s%s" % (
                    language, name, padding, took, "  (debt refused)" if refused else ""))
                longest = max(longest, (padding, took, "%s on %s" % (name, language)))
                emu.stop()
        print("\n".join(["", "hostile input, one job each:"] + report
                        + ["longest flush: %d bytes (that job took %.2f s: %s)" % longest]))


class SideChannelFlood(fptest.TestCase):

    def test_a_peer_that_never_reads_is_dropped(self):
        emu = self.emulator()
        b = self.backend(self.socket_uri(emu, "reset=escpos"))
        b.write(ESCPOS_RESET + fptest.text("FIRST"))
        emu.wait_event("text", text="FIRST")
        request = struct.pack(">BBH", SC_GET_BIDI, 0, 0)
        dropped = r"^WARNING: A filter does not read its side-channel replies; closing the side channel"
        b.side.sock.setblocking(False)
        sent, end = 0, time.time() + 20
        # Requests, never reading a reply, until the backend gives up on us.
        while time.time() < end and b.proc.line_time(dropped) is None:
            try:
                b.side.sock.send(request)
                sent += 1
            except BlockingIOError:
                time.sleep(0.005)
            except (BrokenPipeError, ConnectionResetError):
                break
        b.proc.wait_line(dropped, timeout=5)
        b.write(fptest.text("AFTER FLOOD"))
        emu.wait_event("text", text="AFTER FLOOD")
        b.proc.signal(signal.SIGTERM)
        canceled = time.time()
        self.assertEqual(b.proc.wait(10), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertLess(b.proc.ended - canceled, 3.0)
        self.assertGreater(sent, 100)


if __name__ == "__main__":
    fptest.main()

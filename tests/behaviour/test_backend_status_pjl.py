"""PJL status for PCL queues (status=on): the backend asks a printer that speaks PJL
for its status with UEL @PJL INFO STATUS, arms USTATUS DEVICE=ON, shows a paper-out
mid-job as media-empty-error and waits it out beyond timeout=, printing the page once;
with status=on it ends the job with an ECHO the printer answers once it parsed all of
it, and verifies a cancel's flush with one.  status=auto sends a PCL printer no PJL
query at all (a printer without PJL would print it).  Every wait has a deadline."""

import os
import signal

import fptest
from fptest import CUPS_BACKEND_OK

PCL = "language=pcl&reset=pjl+pcl"
ROWS, ROW_BYTES = 100, 32000        # a 3.2 MB raster page


def queries(emu, conn=None):
    """The PJL status lines the printer parsed, in order."""
    return [bytes.fromhex(e["cmd"]).decode("ascii", "replace").strip()
            for e in emu.events("query") if conn is None or e.conn == conn]


class PaperOut(fptest.TestCase):

    def test_paper_out_mid_job_waits_and_prints_once(self):
        # Out of paper for 6 s after 200 kB; the backend's timeout= is 2 s.
        emu = self.emulator("--language", "pcl", "--stall-after", 200000, "--resume-after", 6000,
                            "--stall-reason", "paper-out", "--buffer", 8192)
        b = self.backend(self.socket_uri(emu, PCL + "&timeout=2000&status=on"),
                         spool_file=self.spool(fptest.pcl_page("paper", ROWS, ROW_BYTES)))
        b.proc.wait_line(r"^INFO: Printer status is on: the printer answers pjl status queries")
        err = self.assertPaperOutWaitedOut(emu, b, 6)     # well beyond timeout=
        self.assertIn("INFO: The printer confirmed it printed the job", err)
        emu.wait_event("text", text="END paper")
        self.assertEqual(emu.texts(), ["BEGIN paper", "END paper"])
        pages = emu.events("page")
        self.assertEqual(len(pages), 1, emu.log_text()[-3000:])
        self.assertEqual((pages[0]["texts"], pages[0]["images"]), (2, 1))
        self.assertCleanImages(emu)
        # The probe and the arming, the arming again after each of the job's three UELs, and
        # the completion's ECHO; the printer's USTATUS DEVICE came unasked.
        sent = queries(emu)
        self.assertEqual(sent[:5], ["@PJL INFO STATUS"] + ["@PJL USTATUS DEVICE=ON"] * 4, sent)
        self.assertEqual(len(sent), 6, sent)
        self.assertRegex(sent[5], r"^@PJL ECHO \d{4}$")
        # fd 3 got nothing of the backend's.
        os.set_blocking(b.back_read, False)
        try:
            got = os.read(b.back_read, 4096)
        except BlockingIOError:
            got = b""
        self.assertEqual(got, b"", (sent, emu.log_text()[-4000:]))

    def test_rearmed_after_the_jobs_own_ustatusoff(self):
        """The job switches unsolicited status off in a PJL section of its own; the backend
        arms it again after that section's UEL, so the paper-out in the page is still heard."""
        emu = self.emulator("--language", "pcl", "--stall-after", 200000, "--resume-after", 4000,
                            "--stall-reason", "paper-out", "--buffer", 8192)
        job = (fptest.UEL + b"@PJL\r\n@PJL USTATUSOFF\r\n"
               + fptest.pcl_page("off", ROWS, ROW_BYTES))
        b = self.backend(self.socket_uri(emu, PCL + "&timeout=1500&status=on"),
                         spool_file=self.spool(job))
        b.proc.wait_line(r"^STATE: \+media-empty-error$", timeout=20)
        self.assertEqual(b.proc.wait(60), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertIn("STATE: -media-empty-error", b.proc.stderr())
        emu.wait_event("text", text="END off")
        self.assertEqual(len(emu.events("page")), 1)
        sent = queries(emu)
        off = sent.index("@PJL USTATUSOFF")
        self.assertEqual(sent[off + 1], "@PJL USTATUS DEVICE=ON", sent)

    def test_cancel_during_the_paper_out(self):
        """A cancel while the printer is out of paper: the flush waits for the paper (twice
        timeout=), then flushes, and the ECHO after the reset confirms it."""
        emu = self.emulator("--language", "pcl", "--stall-after", 200000, "--resume-after", 1500,
                            "--stall-reason", "paper-out", "--buffer", 8192)
        b = self.backend(self.socket_uri(emu, PCL + "&timeout=1000&idle=300&status=on"),
                         spool_file=self.spool(fptest.pcl_page("cancel", ROWS, ROW_BYTES)))
        b.proc.wait_line(r"^STATE: \+media-empty-error\b", timeout=20)
        b.proc.signal(signal.SIGTERM)
        b.proc.wait_line(r"^INFO: The printer cannot read the cancel's flush until it is fixed; "
                         r"waiting up to 2000 ms")
        b.proc.wait_line(r"^INFO: Printer confirmed it is back at command level after the "
                         r"cancel's flush", timeout=20)
        self.assertEqual(b.proc.wait(20), CUPS_BACKEND_OK, b.proc.stderr())
        err = b.proc.stderr()
        self.assertIn("STATE: -media-empty-error", err)
        self.assertNotIn("WARNING", err)
        clear = emu.wait_event("condition", cleared="paper-out")
        emu.wait_event("reset", after=clear.t)    # the flush's ESC E, once the paper is back


class DoorOpen(fptest.TestCase):

    def test_door_open_mid_job_is_cover_open(self):
        emu = self.emulator("--language", "pcl", "--stall-after", 200000, "--resume-after", 4000,
                            "--stall-reason", "cover-open", "--buffer", 8192)
        b = self.backend(self.socket_uri(emu, PCL + "&timeout=1500&status=on"),
                         spool_file=self.spool(fptest.pcl_page("door", ROWS, ROW_BYTES)))
        b.proc.wait_line(r"^STATE: \+cover-open-error$", timeout=20)
        self.assertEqual(b.proc.wait(60), CUPS_BACKEND_OK, b.proc.stderr())
        err = b.proc.stderr()
        self.assertLess(err.index("STATE: +cover-open-error"), err.index("STATE: -cover-open-error"))
        self.assertNotIn("media-empty", err)
        emu.wait_event("text", text="END door")
        self.assertEqual(len(emu.events("page")), 1)


class Auto(fptest.TestCase):

    def test_auto_sends_no_pjl_query(self):
        emu = self.emulator("--language", "pcl")
        b = self.backend(self.socket_uri(emu, PCL + "&status=auto"),
                         spool_file=self.spool(fptest.pcl_job(fptest.pcl_text("AUTO"))))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        lines = [l for l in b.proc.stderr().splitlines() if "Printer status" in l]
        self.assertEqual(lines, ["INFO: Printer status is off: the language's status query is "
                                 "not safe for a printer that does not know it (status=on "
                                 "sends it)"])
        emu.wait_event("text", text="AUTO")
        self.assertEqual(emu.events("query"), [])
        self.assertEqual(emu.events("reply"), [])


class Completion(fptest.TestCase):

    def test_confirmed_once_parsed(self):
        # 1.6 MB at 400 kB/s into a 64 kB buffer: the ECHO comes back only once the printer
        # parsed the page before it.
        emu = self.emulator("--language", "pcl", "--rate", 400000, "--buffer", 65536)
        b = self.backend(self.socket_uri(emu, PCL + "&timeout=1000&status=on"),
                         spool_file=self.spool(fptest.pcl_page("confirm", 50, ROW_BYTES)))
        self.assertEqual(b.proc.wait(60), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertIn("INFO: The printer confirmed it printed the job", b.proc.stderr())
        self.assertIn("END confirm", emu.texts())     # looked at once, without waiting
        [echo] = [e for e in emu.events("query")
                  if bytes.fromhex(e["cmd"]).startswith(b"@PJL ECHO")]
        page = emu.wait_event("page")
        self.assertGreaterEqual(echo.t, page.t)
        emu.wait_event("reply", after=echo.t)


    def test_the_jobs_own_echo_goes_to_the_filters(self):
        """The job's own PJL query is answered on fd 3; the backend's ECHO stays its own."""
        emu = self.emulator("--language", "pcl")
        job = (fptest.UEL + b"@PJL\r\n@PJL ECHO from the driver\r\n"
               + fptest.pcl_job(fptest.pcl_text("OWN")))
        b = self.backend(self.socket_uri(emu, PCL + "&status=on"), spool_file=self.spool(job))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertIn("INFO: The printer confirmed it printed the job", b.proc.stderr())
        os.set_blocking(b.back_read, False)
        try:
            back = os.read(b.back_read, 4096)
        except BlockingIOError:
            back = b""
        self.assertEqual(back, b"@PJL ECHO from the driver\r\n\f")


class Silent(fptest.TestCase):

    def test_on_with_a_printer_that_does_not_answer(self):
        emu = self.emulator("--language", "pcl", "--dumb")
        b = self.backend(self.socket_uri(emu, PCL + "&status=on"),
                         spool_file=self.spool(fptest.pcl_job(fptest.pcl_text("DUMB"))))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        lines = [l for l in b.proc.stderr().splitlines() if "Printer status" in l]
        self.assertEqual(lines, ["INFO: Printer status is off: the printer did not answer its "
                                 "status query in 1000 ms"])
        emu.wait_event("text", text="DUMB")
        # The probe only: no arming, no ECHO.
        self.assertEqual(queries(emu), ["@PJL INFO STATUS"])


class VerifiedFlush(fptest.TestCase):

    IDLE = 800

    def test_cancel_confirmed(self):
        emu = self.emulator("--language", "pcl", "--rate", 400000)
        uri = self.socket_uri(emu, PCL + "&status=on&timeout=2000&idle=%d" % self.IDLE)
        b = self.backend(uri, spool_file=self.spool(fptest.pcl_page("verified", 240, ROW_BYTES)))
        b.proc.wait_line(r"^INFO: Printer status is on")
        emu.wait_event("text", text="BEGIN verified")
        b.proc.signal(signal.SIGTERM)
        confirmed = (r"^INFO: Printer confirmed it is back at command level after the "
                     r"cancel's flush \(\d+ ms\)")
        b.proc.wait_line(confirmed, timeout=30)
        self.assertEqual(b.proc.wait(20), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertNotIn("WARNING", b.proc.stderr())
        # The ECHO followed the flush's reset, and was answered.
        [echo] = [e for e in emu.events("query")
                  if bytes.fromhex(e["cmd"]).startswith(b"@PJL ECHO")]
        reset = emu.wait_event("reset")
        self.assertGreaterEqual(echo.t, reset.t)
        reply = emu.wait_event("reply", after=echo.t)
        self.assertTrue(bytes.fromhex(reply["data"]).startswith(b"@PJL ECHO"))
        # The journal is clean: the next job starts without a recovery flush.
        nxt = self.backend(self.socket_uri(emu, PCL), job_id=2,
                           spool_file=self.spool(fptest.pcl_job(fptest.pcl_text("NEXT")), "next"))
        self.assertEqual(nxt.proc.wait(20), CUPS_BACKEND_OK, nxt.proc.stderr())
        self.assertNotIn("interrupted", nxt.proc.stderr())
        emu.wait_event("text", text="NEXT")

    def test_recovery_confirmed(self):
        """A backend killed mid-page leaves the device dirty; the next job's recovery flush
        is verified with an ECHO before the job's first byte."""
        emu = self.emulator("--language", "pcl", "--rate", 400000)
        uri = self.socket_uri(emu, PCL + "&status=on&timeout=2000")
        b = self.backend(uri, spool_file=self.spool(fptest.pcl_page("killed", 240, ROW_BYTES)))
        emu.wait_event("text", text="BEGIN killed")
        b.proc.kill()
        emu.wait_event("close", conn=1)
        nxt = self.backend(uri, job_id=2,
                           spool_file=self.spool(fptest.pcl_job(fptest.pcl_text("AFTER")), "next"))
        self.assertRecoveryConfirmed(nxt)
        # On the second connection the ECHO came first, after the flush's reset.
        sent = queries(emu, conn=2)
        self.assertRegex(sent[0], r"^@PJL ECHO \d{4}$")
        self.assertEqual(sent[1], "@PJL INFO STATUS")
        emu.wait_event("text", text="AFTER")


if __name__ == "__main__":
    fptest.main()

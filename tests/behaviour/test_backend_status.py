"""The backend listens to the printer (status=): a paper-out mid-job is shown
as media-empty-error and waited out beyond timeout=, and the receipt prints
exactly once; a printer that does not answer gets today's behaviour and one
INFO: line; status=off (the default) sends the printer no query at all."""

import os

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
        b.proc.wait_line(r"^STATE: \+media-empty-error\b", timeout=20)
        # The side channel's GET_STATE says so too: paper out, an error, not online.
        command, status, data = b.side.request(fptest.SC_GET_STATE)
        self.assertEqual((command, status), (fptest.SC_GET_STATE, fptest.SC_OK))
        self.assertEqual(data[0] & (32 | 4 | 1), 32 | 4)
        self.assertEqual(b.proc.wait(60), CUPS_BACKEND_OK, b.proc.stderr())
        err = b.proc.stderr()
        self.assertIn("STATE: -media-empty-error", err)
        self.assertLess(err.index("STATE: +media-empty-error"),
                        err.index("STATE: -media-empty-error"))
        self.assertNotIn("accepted nothing", err)
        stall = emu.wait_event("condition", set="paper-out")
        clear = emu.wait_event("condition", cleared="paper-out")
        self.assertGreaterEqual(clear.t - stall.t, 5.5)  # well beyond timeout=
        emu.wait_event("text", text="END paper")
        self.assertEqual(emu.texts(), ["BEGIN paper", "END paper"])
        self.assertImagePrintedOnce(emu, ROWS, WIDTH)
        # The probe, the arming, the job's query, the arming again after the job's ESC @.
        self.assertEqual([e.fields["cmd"] for e in emu.events("query")],
                         ["100401", "1d610e", "1d610e", "100404"])
        # fd 3 got the answer to the job's query and nothing of the backend's.
        os.set_blocking(b.back_read, False)
        self.assertEqual(os.read(b.back_read, 4096), b"\x12")


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

    def test_off_by_default_asks_nothing(self):
        emu = self.emulator()
        b = self.backend(self.socket_uri(emu, "reset=escpos"),
                         spool_file=self.spool(fptest.receipt("plain", rows=50)))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        emu.wait_event("text", text="END plain")
        self.assertEqual(emu.events("query"), [])
        self.assertNotIn("Printer status", b.proc.stderr())


if __name__ == "__main__":
    fptest.main()

"""The documented comparisons: the same canceled receipt through the stock CUPS
socket backend (the next receipt is swallowed as pixels) and through
flushprinter (the next receipt prints, after the quiet window); and the same
paper-out through the stock socket backend (it waits and says nothing of the
paper) and through flushprinter without status (it fails the job after
timeout=, and cupsd's retry prints the part before the paper-out again).
flushprinter with status= on the same paper-out is test_backend_status.py's
PaperOut."""

import os
import unittest

import fptest
import scenario


class StockComparison(fptest.TestCase):

    @unittest.skipUnless(os.path.exists(scenario.STOCK_SOCKET), "stock socket backend missing")
    def test_stock_socket_backend_leaves_the_next_job_swallowed(self):
        outcome = scenario.run(self.tmp, "stock")
        self.assertFalse(outcome.next_printed, outcome.timeline)
        self.assertGreater(outcome.swallowed, 0)

    def test_flushprinter_prints_the_next_job_after_the_quiet_window(self):
        outcome = scenario.run(self.tmp, "flushprinter", idle_ms=1000)
        self.assertTrue(outcome.clean, outcome.timeline)
        self.assertEqual(outcome.exit_code, fptest.CUPS_BACKEND_OK)
        self.assertGreater(outcome.padding, 0)
        self.assertGreaterEqual(outcome.first_byte_after, 1.0)


class PaperOutComparison(fptest.TestCase):
    """Out of paper for 6 s once the printer took 200 kB of a 2.9 MB receipt."""

    ROWS, WIDTH = 40000, 72

    def paper_out(self):
        emu = self.emulator("--stall-after", 200000, "--resume-after", 6000,
                            "--stall-reason", "paper-out", "--buffer", 8192)
        return emu, self.spool(fptest.receipt("paper", rows=self.ROWS, width=self.WIDTH))

    @unittest.skipUnless(os.path.exists(scenario.STOCK_SOCKET), "stock socket backend missing")
    def test_stock_socket_backend_waits_and_says_nothing_of_the_paper(self):
        emu, spool = self.paper_out()
        p = fptest.raw_job("socket://127.0.0.1:%d/" % emu.port, self.statedir, spool,
                           program=scenario.STOCK_SOCKET)
        self.assertEqual(p.wait(60), fptest.CUPS_BACKEND_OK, p.stderr())
        stall = emu.wait_event("condition", set="paper-out")
        clear = emu.wait_event("condition", cleared="paper-out")
        self.assertGreaterEqual(clear.t - stall.t, 5.5)
        emu.wait_event("text", text="END paper")
        self.assertEqual(emu.texts(), ["BEGIN paper", "END paper"])
        ends = emu.events("image-end")           # printed once, unbanded
        self.assertEqual([(e["bytes"], e["zeros"], e["swallowed"]) for e in ends],
                         [(self.ROWS * self.WIDTH, 0, 0)])
        # What cupsd hears while the paper is out: nothing about paper.
        err = p.stderr()
        self.assertNotRegex(err, r"media-empty|paper")
        self.assertIn("INFO: Waiting for printer to finish.", err)

    def test_flushprinter_without_status_fails_the_job_after_timeout(self):
        emu, spool = self.paper_out()
        b = self.backend(self.socket_uri(emu, "reset=escpos&timeout=2000&status=off"),
                         spool_file=spool)
        self.assertEqual(b.proc.wait(60), fptest.CUPS_BACKEND_FAILED, b.proc.stderr())
        err = b.proc.stderr()
        self.assertIn("ERROR: The printer accepted nothing for 2000 ms", err)
        self.assertIn("STATE: +offline-report", err)
        self.assertNotIn("media-empty", err)
        # The start of the receipt reached the printer: cupsd's retry prints it again.
        self.assertEqual(emu.texts()[:1], ["BEGIN paper"])
        self.assertGreater(sum(e["bytes"] for e in emu.events("image-end")), 100000)


if __name__ == "__main__":
    fptest.main()

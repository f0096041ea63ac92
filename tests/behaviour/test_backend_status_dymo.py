"""DYMO LabelWriter status (status=on): ESC A, answered with one status byte.
ESC A is not blind-safe (a 550-series printer takes a third byte after it), so
status=auto asks nothing; with status=on the backend probes, asks again between
raster lines as the job goes (DYMO has no unsolicited status), waits out a
paper-out that a paused printer reports from its receive buffer, and completes
the job once the printer says it is at the top of form with nothing waiting."""

import fptest
from fptest import CUPS_BACKEND_OK

WIDTH, ROWS, LABELS = 48, 100, 60        # about 300 kB of raster labels
ESC_A = "1b41"


def labels(count=LABELS):
    """LabelWriter raster labels: ESC D (bytes per line), SYN lines, ESC E each."""
    label = b"\x1bD" + bytes([WIDTH]) + (b"\x16" + b"\xaa" * WIDTH) * ROWS + b"\x1bE"
    return b"\x1b@" + label * count


class Dymo(fptest.TestCase):

    URI = "language=dymo&reset=dymo&timeout=2000&status="

    def assertEveryLabelOnce(self, emu, count=LABELS):
        emu.wait_event("close")
        printed = emu.events("label")
        self.assertEqual(len(printed), count)
        self.assertEqual({e["lines"] for e in printed}, {ROWS})
        self.assertCleanImages(emu)

    def test_paper_out_waited_out_and_completion_confirmed(self):
        emu = self.emulator("--language", "dymo", "--stall-after", 30000, "--resume-after", 4000,
                            "--stall-reason", "paper-out", "--buffer", 8192, "--hold", 65536)
        b = self.backend(self.socket_uri(emu, self.URI + "on"), spool_file=self.spool(labels()))
        b.proc.wait_line(r"^INFO: Printer status is on: the printer answers dymo status queries")
        self.assertPaperOutWaitedOut(emu, b, 4)
        self.assertIn("INFO: The printer confirmed it printed the job", b.proc.stderr())
        self.assertEveryLabelOnce(emu)
        queries = emu.events("query")
        self.assertEqual({q.fields["cmd"] for q in queries}, {ESC_A})
        self.assertGreaterEqual(len(queries), 3)           # the probe, and again as it went
        # Completed only after an answer at the top of form (03h), once the paper was back.
        self.assertEqual(emu.events("reply")[-1].fields["data"], "03")

    def test_auto_asks_nothing(self):
        emu = self.emulator("--language", "dymo")
        b = self.backend(self.socket_uri(emu, self.URI + "auto"),
                         spool_file=self.spool(labels(3)))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertIn("INFO: Printer status is off: the language's status query is not safe for "
                      "a printer that does not know it (status=on sends it)", b.proc.stderr())
        self.assertEveryLabelOnce(emu, 3)
        self.assertEqual(emu.events("query"), [])


if __name__ == "__main__":
    fptest.main()

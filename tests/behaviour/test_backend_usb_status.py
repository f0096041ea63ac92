"""Printer status over USB (status=), under the umockdev fixture: a printer out
of paper stops reading its bulk pipe, and the backend hears it on the control
endpoint (GET_PORT_STATUS) instead, whatever the printer's language; a
bidirectional printer is heard in its own language (ESC/POS, PJL) on the bulk IN
pipe too.  A
paper-out mid-job is shown as media-empty-error, waited out beyond timeout=,
withdrawn when the paper is back, and the job prints exactly once; with
status=off (the default) the same paper-out fails the job after timeout=, as
before, and the backend asks the port nothing."""

import os
import re
import signal

import fptest
from fptest import CUPS_BACKEND_FAILED, CUPS_BACKEND_OK
from test_backend_usb import TM_T20, UsbCase

ROWS, WIDTH = 3000, 72        # a 216 kB raster receipt
PAPER_AFTER = 20000           # bytes the printer takes before its paper runs out
PAPER_OUT_MS = 4000           # how long it is out of paper: four times timeout=
TIMEOUT_MS = 1000
PCL_ID = "MFG:EPSON;MDL:TM-T20;CMD:PJL,PCL;CLS:PRINTER;SN:S1;"
PAPER_OUT = ["--paper-out-after", PAPER_AFTER, "--paper-out-for", PAPER_OUT_MS]


class PaperOutOverUsb(UsbCase):

    def paper_out_job(self, job, query, printer=TM_T20 + "S1"):
        return self.usb_job(job, "timeout=%d&%s" % (TIMEOUT_MS, query), printers=[printer],
                            mock=PAPER_OUT)

    def check_waited_out(self, b):
        """The backend showed the paper-out while it lasted, withdrew it after, and ended
        well: the wait did not count against timeout=."""
        b.proc.wait_line(r"^INFO: Printer status is on: the port's paper-out", timeout=20)
        b.proc.wait_line(r"^STATE: \+media-empty-error$", timeout=20)
        b.proc.wait_line(r"^STATE: -media-empty-error$", timeout=PAPER_OUT_MS / 1000 + 20)
        self.assertEqual(b.proc.wait(60), CUPS_BACKEND_OK, b.proc.stderr())
        log = b.proc.stderr()
        self.assertNotIn("accepted nothing", log)
        self.assertIn("GET_PORT_STATUS -> 0x38", log)
        self.assertEqual(log.count("STATE: +media-empty-error"), 1, log)
        self.assertLess(log.index("out of paper"), log.index("STATE: +media-empty-error"))
        self.assertLess(log.index("paper back"), log.index("STATE: -media-empty-error"))
        # the reason stood for about the paper-out, beyond timeout=
        shown = (b.proc.line_time(r"^STATE: -media-empty-error$")
                 - b.proc.line_time(r"^STATE: \+media-empty-error$"))
        self.assertGreater(shown, 2 * TIMEOUT_MS / 1000)
        return log

    def check_printed_once(self):
        self.emu.wait_event("text", text="END paper")
        self.assertEqual(self.emu.texts(), ["BEGIN paper", "END paper"])
        self.assertImagePrintedOnce(self.emu, ROWS, WIDTH)

    def test_paper_out_mid_job_is_shown_waited_out_and_printed_once(self):
        job = fptest.receipt("paper", rows=ROWS, width=WIDTH)
        b = self.paper_out_job(job, "reset=escpos&status=auto")
        b.proc.wait_line(r"^STATE: \+media-empty-error$", timeout=20)
        # The side channel's GET_STATE says so too: paper out, an error, not online.
        command, status, data = b.side.request(fptest.SC_GET_STATE)
        self.assertEqual((command, status), (fptest.SC_GET_STATE, fptest.SC_OK))
        self.assertEqual(data[0] & (32 | 4 | 1), 32 | 4)
        log = self.check_waited_out(b)
        sent = "INFO: Job sent: %d bytes" % len(fptest.banded(job))
        self.assertIn(sent, log)
        # heard as soon as the printer read again, not only when the job ended
        self.assertLess(log.index("STATE: -media-empty-error"), log.index(sent))
        self.check_printed_once()

    def test_a_unidirectional_printer_is_heard_on_its_port_too(self):
        # no bulk IN at all: only the control endpoint and the transport's timer
        job = fptest.receipt("paper", rows=ROWS, width=WIDTH)
        b = self.paper_out_job(job, "reset=escpos&status=on", printer=TM_T20 + "S1:1")
        self.check_waited_out(b)
        self.check_printed_once()

    def test_any_printer_language_gets_the_port_status(self):
        # PCL with status=auto: no PJL query (it would print on a printer without PJL), and
        # the port's path serves alone
        job = fptest.pcl_page("paper", rows=40, row_bytes=2000)
        out = os.path.join(self.tmp, "usb-out")
        b = self.usb_job(job, "timeout=%d&status=auto" % TIMEOUT_MS, sink=False,
                         mock=["--out", out, "--device-id", PCL_ID] + PAPER_OUT)
        log = self.check_waited_out(b)
        self.assertIn("INFO: Printer language: pcl", log)
        self.assertIn("the language's own status is off: the language's status query is not "
                      "safe for a printer that does not know it", log)
        with open(out, "rb") as f:
            self.assertTrue(f.read() == job, "the printer did not get the job byte for byte")

    def test_a_cancel_during_the_paper_out_flushes_once_the_paper_is_back(self):
        # timeout=2000: the cancel's flush waits up to 4 s, the paper comes back within 3 s
        job = fptest.receipt("paper", rows=5000)
        b = self.usb_job(job, "reset=escpos&status=auto&timeout=2000&idle=300&band=0",
                         mock=["--paper-out-after", PAPER_AFTER, "--paper-out-for", 3000])
        b.proc.wait_line(r"^STATE: \+media-empty-error$", timeout=20)
        b.proc.signal(signal.SIGTERM)                        # the fixture passes it on
        b.proc.wait_line(r"^INFO: The printer cannot read the cancel's flush until it is fixed; "
                         r"waiting up to 4000 ms")
        flushed = r"^INFO: Printer flushed: \d+ padding bytes, 2 reset bytes"
        b.proc.wait_line(flushed, timeout=20)
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        log = b.proc.stderr()
        self.assertLess(log.index("paper back"), log.index("Printer flushed"))
        self.assertIn("STATE: -media-empty-error", log)
        self.assertNotIn("WARNING", log)
        # the image the printer stopped in got exactly its missing white, then the reset
        padding = int(re.search(r"Printer flushed: (\d+) padding bytes", log).group(1))
        images, reset = self.emu.completed_image()
        self.assertEqual(sum(e["swallowed"] for e in images), 0)
        self.assertEqual(images[-1]["zeros"], padding)

    def test_a_printer_not_selected_holds_the_job_and_says_so(self):
        # 0x08: not selected, no error, paper in: offline, which has no reason of its own
        job = fptest.receipt("paper", rows=ROWS, width=WIDTH)
        b = self.usb_job(job, "reset=escpos&status=auto&timeout=%d" % TIMEOUT_MS,
                         mock=["--port-status", "08", "--hang-after", PAPER_AFTER,
                               "--resume-after", PAPER_OUT_MS])
        b.proc.wait_line(r"^INFO: Printer: offline; the job waits until it is fixed$", timeout=20)
        self.assertEqual(b.proc.wait(60), CUPS_BACKEND_OK, b.proc.stderr())
        log = b.proc.stderr()
        self.assertNotIn("accepted nothing", log)
        self.assertNotRegex(log, r"STATE: \+\S*-error")
        # the port said not selected to the end: the job's end is no "ready again"
        self.assertNotIn("INFO: The printer is ready again", log)
        self.check_printed_once()

    def test_a_port_status_with_reserved_bits_is_no_paper_out(self):
        # 0xff (reserved bits set: no reading, e.g. floating lines) holds nothing
        job = fptest.receipt("paper", rows=ROWS, width=WIDTH)
        b = self.usb_job(job, "reset=escpos&status=auto&retries=0&timeout=%d" % TIMEOUT_MS,
                         mock=["--port-status", "ff"] + PAPER_OUT)
        b.proc.wait_line(r"^ERROR: The printer accepted nothing for %d ms" % TIMEOUT_MS, timeout=20)
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_FAILED, b.proc.stderr())
        log = b.proc.stderr()
        self.assertIn("GET_PORT_STATUS -> 0xff", log)
        self.assertNotRegex(log, r"STATE: \+\S*-error")   # no condition of the printer's

    def test_status_off_fails_after_timeout_as_before_and_asks_the_port_nothing(self):
        job = fptest.receipt("paper", rows=ROWS, width=WIDTH)
        b = self.paper_out_job(job, "reset=escpos&retries=0&status=off")
        b.proc.wait_line(r"^ERROR: The printer accepted nothing for %d ms" % TIMEOUT_MS, timeout=20)
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_FAILED, b.proc.stderr())
        log = b.proc.stderr()
        self.assertIn("Printer failed after %d bytes of the job" % PAPER_AFTER, log)
        self.assertNotIn("media-empty", log)
        self.assertNotIn("Printer status is", log)
        self.assertNotIn("GET_PORT_STATUS", log)



class LanguageStatusOverUsb(UsbCase):
    """The printer's own status over USB: the fixture's printer is the emulator
    (bulk OUT goes to it as fast as it reads, its replies answer bulk IN), so it answers
    DLE EOT, sends automatic status back and answers GS ( H as a real one does."""

    def printer(self, *args):
        self.emu = self.emulator(*args)
        return ["--socket", self.emu.port]

    def test_paper_out_reported_by_the_printer(self):
        mock = self.printer("--stall-after", PAPER_AFTER, "--resume-after", PAPER_OUT_MS,
                            "--stall-reason", "paper-out", "--buffer", 8192)
        job = fptest.receipt("paper", rows=ROWS, width=WIDTH)
        b = self.usb_job(job, "reset=escpos&status=auto&timeout=%d" % TIMEOUT_MS, mock=mock,
                         sink=False)
        b.proc.wait_line(r"^INFO: Printer status is on: the printer answers escpos status "
                         r"queries, and its port's status is watched too", timeout=20)
        self.assertPaperOutWaitedOut(self.emu, b, PAPER_OUT_MS / 1000)
        self.assertIn("bulk IN answered with", b.proc.stderr())
        self.emu.wait_event("text", text="END paper")
        self.assertEqual(self.emu.texts(), ["BEGIN paper", "END paper"])
        self.assertImagePrintedOnce(self.emu, ROWS, WIDTH)

    def test_completion_and_a_cancels_flush_confirmed(self):
        mock = self.printer("--rate", 40000)
        b = self.usb_job(fptest.receipt("done", rows=50), "reset=escpos&status=on", mock=mock,
                         sink=False)
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertIn("INFO: The printer confirmed it printed the job", b.proc.stderr())
        c = self.usb_job(fptest.receipt("cut", rows=4000), "reset=escpos&status=on&timeout=2000",
                         mock=mock, sink=False, job_id=2)
        c.proc.wait_line(r"^INFO: Printer status is on", timeout=20)
        self.emu.wait_event("text", text="BEGIN cut")
        c.proc.signal(signal.SIGTERM)                        # the fixture passes it on
        c.proc.wait_line(r"^INFO: Printer confirmed it is back at command level after the "
                         r"cancel's flush \(\d+ ms\)", timeout=30)
        self.assertEqual(c.proc.wait(30), CUPS_BACKEND_OK, c.proc.stderr())
        self.assertCleanImages(self.emu)
        # The flush completed the band it cut with white, reset, and only then asked.
        padding = self.flushed_padding(c.proc)
        reset = [e for e in self.emu.events("reset") if e.conn == 2][-1]
        cut = [e for e in self.emu.events("image-end") if e.conn == 2 and e.t <= reset.t][-1]
        self.assertCompletionWhite(cut, padding)
        asked = [q for q in self.emu.events("query") if q.conn == 2][-1]
        self.assertTrue(asked.fields["cmd"].startswith("1d284806003030"))
        self.assertGreaterEqual(asked.t, reset.t)

    def test_pjl_status_over_usb(self):
        # A PCL printer answering PJL on bulk IN: status=on probes, arms USTATUS and confirms
        # the job with ECHO, once the printer parsed the page before it.
        mock = self.printer("--language", "pcl", "--rate", 400000, "--buffer", 65536)
        b = self.usb_job(fptest.pcl_page("pjl", 50, 2000), "language=pcl&reset=pjl%2Bpcl"
                         "&status=on", mock=mock + ["--device-id", PCL_ID], sink=False)
        self.assertEqual(b.proc.wait(60), CUPS_BACKEND_OK, b.proc.stderr())
        log = b.proc.stderr()
        self.assertIn("INFO: Printer status is on: the printer answers pjl status queries", log)
        self.assertIn("INFO: The printer confirmed it printed the job", log)
        [echo] = [e for e in self.emu.events("query")
                  if bytes.fromhex(e["cmd"]).startswith(b"@PJL ECHO")]
        self.assertGreaterEqual(echo.t, self.emu.wait_event("page").t)
        self.assertIn("END pjl", self.emu.texts())

if __name__ == "__main__":
    fptest.main()

"""language=auto: the backend names the printer language before the first byte.

The backend is run as cupsd runs it, with the environment cupsd gives it
(PPD, CONTENT_TYPE, FINAL_CONTENT_TYPE), against the ESC/POS printer emulator.
"""

import os
import shutil
import signal
import time
import unittest
from unittest import mock

import fptest
from fptest import CUPS_BACKEND_OK

RATE = 40000           # printer drain rate, bytes/s: a big job takes seconds
IDLE = 300             # quiet window after a cancel, ms
CUPS_ENV = ("PPD", "CONTENT_TYPE", "FINAL_CONTENT_TYPE")
LANGUAGE_LINE = r"^INFO: Printer language: "


def text_job(lines=6000):
    """Plain text lines: no printer command at all."""
    return fptest.text(*("line %05d of a text job" % i for i in range(lines)))


class AutoTestCase(fptest.TestCase):
    """Runs backends with a clean CUPS environment plus what a test sets."""

    def setUp(self):
        super().setUp()
        patcher = mock.patch.dict(os.environ)
        patcher.start()
        self.addCleanup(patcher.stop)
        for name in CUPS_ENV:
            os.environ.pop(name, None)

    def write_ppd(self, *lines):
        """A PPD file with these lines."""
        path = os.path.join(self.tmp, "queue.ppd")
        with open(path, "w") as f:
            f.write('*PPD-Adobe: "4.3"\n' + "".join(line + "\n" for line in lines))
        return path

    def run_backend(self, query, env=None, **kwargs):
        """A backend for the emulator `self.emu` with `env` added to its environment."""
        with mock.patch.dict(os.environ, env or {}):
            return self.backend(self.socket_uri(self.emu, query), **kwargs)

    def finish(self, b):
        """Wait for a backend that should print its job whole."""
        b.close_input()
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        b.proc.wait_line(r"^INFO: Job sent")
        return b

    def cancel_mid_job(self, b, event="image-begin"):
        """SIGTERM once the printer is well inside the job."""
        self.emu.wait_event(event)
        time.sleep(0.3)
        b.proc.signal(signal.SIGTERM)
        return time.time()

    def next_job_prints(self, query, text="NEXT RECEIPT", job_id=2):
        nxt = self.run_backend(query, spool_file=self.spool(b"\x1b@" + fptest.text(text), "next"),
                               job_id=job_id)
        self.assertEqual(nxt.proc.wait(30), CUPS_BACKEND_OK, nxt.proc.stderr())
        self.emu.wait_event("text", text=text)
        self.assertCleanImages(self.emu)


class CanceledRaster(AutoTestCase):
    """With no language= in the URI, an ESC/POS raster is completed and reset as with
    language=escpos."""

    def cancel_receipt(self, query):
        self.emu = self.emulator("--rate", RATE)
        job = fptest.receipt("canceled", rows=4000)
        b = self.run_backend(query, spool_file=self.spool(job))
        self.cancel_mid_job(b)
        line = b.proc.wait_line(r"^INFO: Printer flushed: \d+ padding bytes, 2 reset bytes")
        padding = int(line.split()[3])
        images, reset = self.emu.completed_image()
        image = images[-1]
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK)
        self.assertEqual((image.conn, reset.conn), (1, 1))
        self.assertEqual(image["swallowed"], 0)
        self.assertCompletionWhite(image, padding)
        self.assertLess(sum(e["bytes"] for e in images) - padding, len(job) // 2,
                        "the job must stop early")
        self.next_job_prints(query)
        return b

    def test_detected_from_the_job_data(self):
        b = self.cancel_receipt("idle=%d" % IDLE)
        b.proc.wait_line(LANGUAGE_LINE + r"escpos \(from the job data: ESC/POS command GS v at "
                         r"byte 17\)$")
        b.proc.wait_line(r"^DEBUG: flushprinter: tracker escpos, reset escpos \(2 bytes\)")

    def test_explicit_language_escpos_does_the_same_without_detecting(self):
        b = self.cancel_receipt("language=escpos&reset=escpos&idle=%d" % IDLE)
        self.assertNotRegex(b.proc.stderr(), "(?m)" + LANGUAGE_LINE)

    def test_filter_queue_data_arriving_in_pieces(self):
        """A filter writes a few bytes first: detection waits briefly for more."""
        self.emu = self.emulator()
        b = self.run_backend("idle=0")
        job = fptest.receipt("pieces", rows=20)
        b.write(job[:8])
        time.sleep(0.1)
        b.write(job[8:])
        self.finish(b)
        b.proc.wait_line(LANGUAGE_LINE + r"escpos \(from the job data: ESC/POS command GS v")
        self.emu.wait_event("text", text="END pieces")
        self.assertCleanImages(self.emu)


class EnvironmentHints(AutoTestCase):
    """What cupsd tells the backend comes before the job's bytes."""

    def test_final_content_type_names_the_language(self):
        self.emu = self.emulator()
        b = self.run_backend("", {"FINAL_CONTENT_TYPE": "application/vnd.flushprinter-escpos"})
        b.write(text_job(20))
        self.finish(b)
        b.proc.wait_line(LANGUAGE_LINE + r"escpos \(from FINAL_CONTENT_TYPE: "
                         r"application/vnd.flushprinter-escpos\)$")

    def test_the_projects_own_ppd(self):
        self.emu = self.emulator()
        ppd = os.path.join(fptest.SRCDIR, "filter", "flushprinter-escpos.ppd")
        b = self.run_backend("", {"PPD": ppd, "FINAL_CONTENT_TYPE": "printer/receipt"})
        b.write(text_job(20))
        self.finish(b)
        b.proc.wait_line(LANGUAGE_LINE + r"escpos \(from the PPD: \*FlushPrinterReset escpos\)$")

    def test_label_driver_model_number(self):
        """rastertolabel with *cupsModelNumber 18 sends ZPL; its reset becomes the default."""
        self.emu = self.emulator()
        ppd = self.write_ppd('*cupsModelNumber: 18',
                             '*cupsFilter: "application/vnd.cups-raster 50 rastertolabel"')
        b = self.run_backend("", {"PPD": ppd, "FINAL_CONTENT_TYPE": "application/vnd.cups-raster"})
        b.write(b"^XA^FO10,10^FDLABEL^FS^XZ\n")
        self.finish(b)
        b.proc.wait_line(LANGUAGE_LINE + r"zpl \(from the PPD: \*cupsFilter rastertolabel with "
                         r"\*cupsModelNumber 18 \(Zebra ZPL\)\)")
        b.proc.wait_line(r"^DEBUG: flushprinter: tracker \w+, reset zpl \(6 bytes\)")

    def test_raw_job_on_a_driver_queue_is_sniffed(self):
        """A raw job bypassed the driver: the PPD's driver says nothing about it."""
        self.emu = self.emulator()
        ppd = self.write_ppd('*cupsModelNumber: 18',
                             '*cupsFilter: "application/vnd.cups-raster 50 rastertolabel"')
        b = self.run_backend("", {"PPD": ppd, "FINAL_CONTENT_TYPE": "printer/labels",
                                  "CONTENT_TYPE": "application/vnd.cups-raw"},
                             spool_file=self.spool(fptest.receipt("raw", rows=4)))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        b.proc.wait_line(LANGUAGE_LINE + r"escpos \(from the job data")
        self.assertNotIn("rastertolabel", b.proc.stderr())


class Unclassifiable(AutoTestCase):
    """A stream nothing names is still flushed with the configured reset."""

    def cancel_text(self, query, reset):
        self.emu = self.emulator("--rate", RATE)
        b = self.run_backend(query, spool_file=self.spool(text_job()))
        b.proc.wait_line(LANGUAGE_LINE + r"unknown \(the job data: no printer command in the "
                         r"first 4096 bytes\); a cancel sends only reset=%s$" % reset)
        canceled = self.cancel_mid_job(b, event="text")
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK, b.proc.stderr())
        b.proc.wait_line(r"^DEBUG: flushprinter: tracker none")
        return b, canceled

    def test_configured_reset_is_sent(self):
        b, canceled = self.cancel_text("reset=hex:1b40&idle=%d" % IDLE, "hex:1b40")
        b.proc.wait_line(r"^INFO: Printer flushed: 0 padding bytes, 2 reset bytes")
        self.emu.wait_event("reset", conn=1, after=canceled)
        self.next_job_prints("reset=hex:1b40")

    def test_no_reset_configured_sends_nothing(self):
        b, canceled = self.cancel_text("idle=0", "none")
        b.proc.wait_line(r"^INFO: Printer flushed: 0 padding bytes, 0 reset bytes")
        self.emu.wait_event("close", conn=1)
        self.assertEqual([e for e in self.emu.events("reset") if e.conn == 1], [])


@unittest.skipUnless(shutil.which("valgrind"), "valgrind is not installed")
class CrashRecovery(AutoTestCase):
    """A job killed mid-image leaves its language in the journal: without reset=,
    the next job recovers the printer with that language's reset."""

    def test_recovery_uses_the_interrupted_jobs_language(self):
        self.emu = self.emulator("--rate", RATE)
        b = self.run_backend("", spool_file=self.spool(fptest.receipt("killed", rows=4000)))
        b.proc.wait_line(LANGUAGE_LINE + "escpos")
        self.emu.wait_event("image-begin")
        b.proc.kill()
        # plain text: unclassifiable, and it has no ESC @ of its own
        nxt = self.run_backend("", job_id=2, spool_file=self.spool(fptest.text("AFTER CRASH"), "n"))
        self.assertEqual(nxt.proc.wait(60), CUPS_BACKEND_OK, nxt.proc.stderr())
        nxt.proc.wait_line(r"^INFO: Job 1 was interrupted after \d+ bytes without a flush")
        images, reset = self.emu.completed_image()
        self.assertEqual(images[-1]["swallowed"], images[-1]["zeros"])
        self.assertEqual(reset.conn, 2)
        self.emu.wait_event("text", text="AFTER CRASH")


class Valgrind(AutoTestCase):
    """Detection with every hint present leaks nothing and reads nothing it should not."""

    def test_detection_under_valgrind(self):
        self.emu = self.emulator()
        ppd = self.write_ppd('*cupsFilter: "application/vnd.cups-raster 50 rastertolabel"')
        os.environ.update(PPD=ppd, FINAL_CONTENT_TYPE="printer/receipt",
                          CONTENT_TYPE="application/vnd.cups-raw")
        p = fptest.raw_job(self.socket_uri(self.emu, "idle=0"), self.statedir,
                           self.spool(fptest.receipt("valgrind", rows=50)),
                           wrapper=(shutil.which("valgrind"), "--leak-check=full",
                                    "--show-leak-kinds=all", "--errors-for-leak-kinds=all",
                                    "--error-exitcode=99"))
        self.addCleanup(p.kill)
        self.assertEqual(p.wait(120), 0, p.stderr()[-3000:])
        p.wait_line(LANGUAGE_LINE + r"escpos \(from the job data: ESC/POS command GS v")
        self.assertIn("in use at exit: 0 bytes in 0 blocks", p.stderr())
        self.assertIn("ERROR SUMMARY: 0 errors", p.stderr())


if __name__ == "__main__":
    fptest.main()

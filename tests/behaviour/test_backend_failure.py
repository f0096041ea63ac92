"""A printer that fails mid-job: the job is never reported done, the printer is
flushed on reconnect, and the retried job prints whole and clean."""

import os

import fptest
from fptest import CUPS_BACKEND_FAILED, CUPS_BACKEND_OK

QUERY = "reset=escpos&idle=300&timeout=1000&retries=3"


class PrinterFailsMidJob(fptest.TestCase):

    def retry_prints_whole(self, emu, job, job_id=1):
        again = self.backend(self.socket_uri(emu, QUERY), job_id=job_id,
                             spool_file=self.spool(job, "retry"))
        self.assertEqual(again.proc.wait(30), CUPS_BACKEND_OK, again.proc.stderr())
        # the printer parses the last bytes a moment after the backend's drain
        emu.wait_event("text", text="END flaky")
        self.assertIn("BEGIN flaky", emu.texts())
        self.assertIn("END flaky", emu.texts())
        last = emu.events("image-end")[-1]
        self.assertEqual(last["swallowed"], 0)
        self.assertEqual(last["zeros"], 0)

    def check_failed_and_flushed(self, emu, b):
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_FAILED, b.proc.stderr())
        b.proc.wait_line(r"^STATE: \+offline-report")
        b.proc.wait_line(r"^ERROR: Printer failed after \d+ bytes")
        b.proc.wait_line(r"^INFO: Printer flushed: \d+ padding bytes, 2 reset bytes")
        self.assertNotIn("Job sent", b.proc.stderr())
        image = emu.wait_event("image-end")
        # The aborted image was completed over the new connection, only with
        # white padding (bytes lost with the old connection are made up for).
        self.assertGreater(image["swallowed"], 0)
        self.assertEqual(image["swallowed"], image["zeros"])
        # then the reset, over a new connection (the flush may itself have had
        # to reconnect while the printer was still stalled)
        self.assertGreaterEqual(emu.wait_event("reset", after=image.t).conn, 2)

    def test_printer_closes_the_connection_mid_image(self):
        emu = self.emulator("--close-after", "60000@1", "--rate", 200000)
        job = fptest.receipt("flaky", rows=3000)
        b = self.backend(self.socket_uri(emu, QUERY), spool_file=self.spool(job))
        self.check_failed_and_flushed(emu, b)
        self.retry_prints_whole(emu, job)

    def test_printer_stops_reading_mid_image(self):
        emu = self.emulator("--stall-after", "60000@1", "--resume-after", 2500, "--rate", 200000)
        job = fptest.receipt("flaky", rows=3000)
        b = self.backend(self.socket_uri(emu, QUERY), spool_file=self.spool(job))
        b.proc.wait_line(r"^ERROR: The printer accepted nothing for 1000 ms", timeout=15)
        self.check_failed_and_flushed(emu, b)
        self.retry_prints_whole(emu, job)

    def test_device_gone_while_idle_is_a_failure_not_a_spin(self):
        fifo = os.path.join(self.tmp, "lp0")
        emu = self.emulator(fifo=fifo)
        b = self.backend("flushprinter+file:%s?reset=escpos&retries=0" % fifo)
        b.write(b"\x1b@" + fptest.text("HELLO"))
        emu.wait_event("text", text="HELLO")
        emu.stop()                          # the device's reader goes away
        self.assertEqual(b.proc.wait(15), CUPS_BACKEND_FAILED, b.proc.stderr())
        b.proc.wait_line(r"^ERROR: The printer closed the connection")

    def test_unreachable_printer_fails_after_contimeout_without_losing_the_job(self):
        port = fptest.free_port()
        b = self.backend("flushprinter+socket://127.0.0.1:%d/?contimeout=1500" % port,
                         spool_file=self.spool(fptest.receipt("never")))
        self.assertEqual(b.proc.wait(15), CUPS_BACKEND_FAILED)
        b.proc.wait_line(r"^ERROR: Printer unreachable: cannot connect")


if __name__ == "__main__":
    fptest.main()

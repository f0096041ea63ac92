"""The backend without trouble: discovery, usage, bad URIs, whole jobs."""

import os
import struct
import subprocess
import time

import fptest
from fptest import BACKEND, CUPS_BACKEND_FAILED, CUPS_BACKEND_OK, CUPS_BACKEND_STOP


class Discovery(fptest.TestCase):

    def list_as(self, argv0):
        return subprocess.run([argv0], executable=BACKEND, capture_output=True, text=True,
                              timeout=10)

    def test_socket_lists_the_generic_network_entry(self):
        out = self.list_as("flushprinter+socket")
        self.assertEqual(out.returncode, 0)
        self.assertRegex(out.stdout, r'^network flushprinter\+socket "Unknown" "AppSocket/HP '
                                     r'JetDirect with flush on cancel \(flushprinter\)"')

    def test_file_lists_only_printer_devices_present(self):
        out = self.list_as("flushprinter+file")
        self.assertEqual(out.returncode, 0)
        for line in out.stdout.splitlines():
            self.assertRegex(line, r'^direct flushprinter\+file:/dev/usb/lp\d+ ')
        if not os.path.exists("/dev/usb"):
            self.assertEqual(out.stdout, "")


class BadInvocation(fptest.TestCase):

    def test_wrong_argument_count_prints_usage(self):
        out = subprocess.run(["flushprinter+socket", "1", "2"], executable=BACKEND,
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, CUPS_BACKEND_FAILED)
        self.assertIn("Usage:", out.stderr)

    def check_bad_uri(self, uri, message):
        b = self.backend(uri, spool_file=self.spool(b"data"))
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_STOP)
        b.proc.wait_line(r"^ERROR: flushprinter: .*" + message)

    def test_unknown_option_stops_the_queue_and_keeps_the_job(self):
        self.check_bad_uri("flushprinter+socket://127.0.0.1:9/?colour=red",
                           "unknown option 'colour'")

    def test_malformed_reset_names_the_character(self):
        self.check_bad_uri("flushprinter+socket://127.0.0.1:9/?reset=hex:1x",
                           "'x' at offset")

    def test_unknown_scheme(self):
        self.check_bad_uri("flushprinter+lpd://127.0.0.1/", "unknown scheme")


class WholeJobs(fptest.TestCase):

    def check_receipt_printed(self, emu, b, job):
        """The printer got the job as banded (band= default), counted as it got it, and
        besides it only the status commands of status=auto (the default)."""
        wire = fptest.banded(job)
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        b.proc.wait_line(r"^INFO: Job sent: %d bytes" % len(wire))
        b.proc.wait_line(r"^INFO: Printer status is (on|off): ")
        closed = emu.wait_event("close")          # then every query it parsed is logged
        self.assertEqual(closed["bytes"], len(wire) + self.status_bytes(emu))
        self.assertEqual(emu.texts(), ["BEGIN one", "END one"])
        at = job.find(b"\x1dv0")
        width, rows = struct.unpack("<HH", job[at + 4:at + 8])
        images = emu.events("image-end")
        self.assertEqual(len(images), -(-rows // fptest.BAND))
        self.assertEqual(sum(e["bytes"] for e in images), width * rows)
        for image in images:
            self.assertEqual(image["swallowed"], 0)
            self.assertEqual(image["zeros"], 0)

    def test_job_from_a_filter_pipe(self):
        emu = self.emulator()
        b = self.backend(self.socket_uri(emu, "reset=escpos"))
        job = fptest.receipt("one")
        b.write(job)
        b.close_input()
        self.check_receipt_printed(emu, b, job)

    def test_job_from_the_spool_file_of_a_raw_queue(self):
        emu = self.emulator()
        job = fptest.receipt("one")
        b = self.backend(self.socket_uri(emu, "reset=escpos"), spool_file=self.spool(job))
        self.check_receipt_printed(emu, b, job)

    def test_slow_printer_gets_everything(self):
        emu = self.emulator("--rate", 100000, "--buffer", 2048)
        job = fptest.receipt("one", rows=500)
        b = self.backend(self.socket_uri(emu), spool_file=self.spool(job))
        self.check_receipt_printed(emu, b, job)

    def test_draining_slower_than_the_timeout_is_not_a_failure(self):
        # ~24 kB still queued at the end at 4 kB/s: about 6 s, timeout 1.5 s.
        emu = self.emulator("--rate", 4000)
        job = fptest.receipt("one", rows=400)
        b = self.backend(self.socket_uri(emu, "timeout=1500"), spool_file=self.spool(job))
        self.check_receipt_printed(emu, b, job)

    def test_file_scheme_through_a_fifo(self):
        fifo = os.path.join(self.tmp, "lp0")
        emu = self.emulator(fifo=fifo)
        job = fptest.receipt("one")
        b = self.backend("flushprinter+file:%s?reset=escpos" % fifo, spool_file=self.spool(job))
        self.check_receipt_printed(emu, b, job)

    def test_idle_backend_uses_no_cpu(self):
        emu = self.emulator()
        b = self.backend(self.socket_uri(emu, "reset=escpos"))
        b.write(b"\x1b@" + fptest.text("HELLO"))
        emu.wait_event("text", text="HELLO")
        before = b.proc.cpu_seconds()
        time.sleep(1.5)                     # waiting for more job data from the filter
        self.assertLess(b.proc.cpu_seconds() - before, 0.05)
        b.close_input()
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK)

    def test_file_scheme_into_a_plain_file(self):
        out = os.path.join(self.tmp, "out.prn")
        open(out, "wb").close()
        job = fptest.receipt("one")
        b = self.backend("flushprinter+file:%s" % out, spool_file=self.spool(job))
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK, b.proc.stderr())
        with open(out, "rb") as f:
            self.assertEqual(f.read(), fptest.banded(job))


if __name__ == "__main__":
    fptest.main()

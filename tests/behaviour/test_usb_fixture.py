"""The USB test fixture (tests/usb/usb-printer-mock, umockdev) with the stock
CUPS usb backend: emulated printers are discovered, and a job reaches the
fixture's output byte for byte."""

import os
import re
import subprocess
import unittest

import fptest

MOCK = os.path.join(fptest.BUILDDIR, "tests", "usb", "usb-printer-mock")
STOCK_USB = "/usr/lib/cups/backend/usb"
TM_T20 = "04b8:0e15:EPSON:TM-T20:"


@unittest.skipUnless(os.access(MOCK, os.X_OK), "the USB fixture was not built (no umockdev)")
@unittest.skipUnless(os.access(STOCK_USB, os.X_OK), "the stock CUPS usb backend is missing")
class StockUsbBackend(fptest.TestCase):

    def run_mock(self, printers, command, out=None, env=None, timeout=60):
        argv = [MOCK]
        for p in printers:
            argv += ["--printer", p]
        if out:
            argv += ["--out", out]
        return subprocess.run(argv + ["--"] + command, capture_output=True, timeout=timeout,
                              env=dict(os.environ, **(env or {})))

    def listed_uris(self, out):
        return re.findall(r'^direct (usb://\S+) ', out.stdout.decode(), re.M)

    def test_discovery_lists_the_printer(self):
        out = self.run_mock([TM_T20 + "S123"], [STOCK_USB])
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assertEqual(self.listed_uris(out), ["usb://EPSON/TM-T20?serial=S123"])
        self.assertIn(b"usb-printer-mock: 001/002: GET_DEVICE_ID", out.stderr)

    def test_two_identical_printers_are_both_listed(self):
        out = self.run_mock([TM_T20 + "S123", TM_T20 + "S456"], [STOCK_USB])
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assertEqual(sorted(self.listed_uris(out)), ["usb://EPSON/TM-T20?serial=S123",
                                                         "usb://EPSON/TM-T20?serial=S456"])

    def test_a_megabyte_job_arrives_byte_for_byte(self):
        job = self.spool(os.urandom(1 << 20))
        dest = os.path.join(self.tmp, "usb-out")
        out = self.run_mock([TM_T20 + "S123"], [STOCK_USB, "1", "u", "t", "1", "", job], out=dest,
                            env={"DEVICE_URI": "usb://EPSON/TM-T20?serial=S123"})
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        with open(job, "rb") as a, open(dest, "rb") as b:
            self.assertTrue(a.read() == b.read(), "the fixture's output differs from the job")

    def test_the_command_exit_status_is_passed_on(self):
        out = self.run_mock([TM_T20 + "S123"], ["sh", "-c", "exit 7"])
        self.assertEqual(out.returncode, 7)


if __name__ == "__main__":
    fptest.main()

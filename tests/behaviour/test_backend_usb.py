"""The USB transport (flushprinter+usb) on emulated printers: the backend runs
under tests/usb/usb-printer-mock (umockdev), whose bulk OUT data goes through a
FIFO into the printer emulator, so that what the printer made of it shows in
the emulator's log exactly as with the other transports.  The fixture's
printers answer no status query: the tests that compare the bytes the
printer got with the job's say status=off, so that status=auto's probe is
not among them (test_backend_usb_status.py covers status on USB)."""

import os
import re
import select
import signal
import struct
import subprocess
import time
import unittest

import fptest
from fptest import CUPS_BACKEND_FAILED, CUPS_BACKEND_OK

TM_T20 = "04b8:0e15:EPSON:TM-T20:"
URI = "flushprinter+usb://EPSON/TM-T20?serial=S1"
IDLE = 1000                   # quiet window after a cancel, ms
RATE = 40000                  # the emulated printer's USB intake, bytes/s


def varied_receipt(name, rows, width=72):
    """A receipt whose raster bytes are random: a gap or a repeat in delivery shows."""
    return (b"\x1b@" + fptest.text("BEGIN " + name) + b"\x1dv0\x00"
            + struct.pack("<HH", width, rows) + os.urandom(width * rows) + fptest.text("END " + name))


@unittest.skipUnless(os.access(fptest.USB_MOCK, os.X_OK), "the USB fixture was not built (no umockdev)")
class UsbCase(fptest.TestCase):
    """Runs the backend (or its discovery) under the USB fixture."""

    def setUp(self):
        super().setUp()
        self.fifo = os.path.join(self.tmp, "usb-printer")
        self.emu = None

    def mock_argv(self, printers=(TM_T20 + "S1",), *args, sink=True):
        argv = [fptest.USB_MOCK]
        for p in printers:
            argv += ["--printer", p]
        if sink:
            if self.emu is None:
                self.emu = self.emulator(fifo=self.fifo)
            argv += ["--fifo", self.fifo]
        return argv + [str(a) for a in args] + ["--"]

    def usb_job(self, job, query="", mock=(), printers=(TM_T20 + "S1",), job_id=1, from_pipe=False,
                sink=True):
        """The backend printing `job` (a spool file, or fed through stdin) on the fixture."""
        uri = URI + ("&" + query if query else "")
        wrapper = self.mock_argv(printers, *mock, sink=sink)
        if from_pipe:
            b = self.backend(uri, wrapper=wrapper, job_id=job_id)
            b.write_async(job)
            return b
        return self.backend(uri, wrapper=wrapper, job_id=job_id,
                            spool_file=self.spool(job, "job%d" % job_id))

    def discover(self, printers, *args):
        """The lpinfo -v lines of the backend run with no arguments, and the fixture's log."""
        p = subprocess.run(self.mock_argv(printers, *args, sink=False) + [fptest.BACKEND],
                           capture_output=True, timeout=60, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = [l for l in p.stdout.splitlines() if l.startswith("direct flushprinter+usb:")]
        return lines, p.stderr

    def next_job_prints_clean(self, job_id=2):
        """A following job on the same printer prints its text, nothing swallowed."""
        nxt = self.usb_job(b"\x1b@" + fptest.text("NEXT RECEIPT"), "reset=escpos", job_id=job_id)
        self.assertEqual(nxt.proc.wait(), CUPS_BACKEND_OK, nxt.proc.stderr())
        self.emu.wait_event("text", text="NEXT RECEIPT")
        self.assertCleanImages(self.emu)
        return nxt

    def check_failed_then_flushed_exactly(self, b, title, taken):
        """The job failed after `taken` bytes; once the printer was back the image got
        exactly its missing white pixels (from a new connection), then the reset."""
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_FAILED, b.proc.stderr())
        log = b.proc.stderr()
        self.assertIn("Printer failed after %d bytes of the job" % taken, log)
        self.assertNotIn("Job sent", log)
        padding = int(re.search(r"Printer flushed: (\d+) padding bytes, 2 reset bytes", log).group(1))
        images, reset = self.emu.completed_image()
        header = len(b"\x1b@" + fptest.text("BEGIN " + title))
        self.assertEqual(sum(8 + e["bytes"] for e in images) - padding, taken - header)
        self.assertEqual((images[-1]["zeros"], images[-1]["swallowed"]), (padding, padding))
        self.assertNotIn("END " + title, self.emu.texts())

    def retry_prints_whole(self, job, title):
        """The job was not lost: its retry prints whole and clean."""
        again = self.usb_job(job, "reset=escpos", job_id=2)
        self.assertEqual(again.proc.wait(30), CUPS_BACKEND_OK, again.proc.stderr())
        self.emu.wait_event("text", text="END " + title)
        bands = fptest.banded(job).count(b"\x1dv0")
        last = self.emu.events("image-end")[-bands:]
        self.assertEqual((sum(e["bytes"] for e in last), sum(e["zeros"] for e in last),
                          sum(e["swallowed"] for e in last)),
                         (len(job) - len(b"\x1b@" + fptest.text("BEGIN " + title, "END " + title))
                          - 8, 0, 0))


class Discovery(UsbCase):

    def test_one_printer_is_listed_with_its_device_id(self):
        lines, log = self.discover([TM_T20 + "S1"])
        self.assertEqual(lines, ['direct flushprinter+usb://EPSON/TM-T20?serial=S1 "EPSON TM-T20" '
                                 '"EPSON TM-T20 (flushprinter, USB)" '
                                 '"MFG:EPSON;MDL:TM-T20;CMD:ESC/POS;CLS:PRINTER;SN:S1;" ""'])
        # usblp was detached only for the device ID request, and given back
        self.assertRegex(log, r"usblp detached[\s\S]*GET_DEVICE_ID[\s\S]*usblp attached")

    def test_two_identical_printers_are_told_apart_by_serial(self):
        lines, _ = self.discover([TM_T20 + "S1", TM_T20 + "S2"])
        uris = sorted(l.split()[1] for l in lines)
        self.assertEqual(uris, ["flushprinter+usb://EPSON/TM-T20?serial=S1",
                                "flushprinter+usb://EPSON/TM-T20?serial=S2"])

    def test_only_raw_printer_interfaces_are_listed(self):
        lines, _ = self.discover(["046d:c31c:Logitech:Keyboard:K1:hid",      # not a printer
                                  "03f0:0001:HP:Only1284dot4:D1:3",          # IEEE 1284.4 only
                                  "03f0:0002:HP:OnlyIPPUSB:I1:4",            # IPP over USB only
                                  "04b8:0202:EPSON:TM-U220:U1:1",            # unidirectional
                                  TM_T20 + "S1"])
        uris = sorted(l.split()[1] for l in lines)
        self.assertEqual(uris, ["flushprinter+usb://EPSON/TM-T20?serial=S1",
                                "flushprinter+usb://EPSON/TM-U220?serial=U1"])

    def test_make_and_model_fall_back_to_the_string_descriptors_and_are_encoded(self):
        lines, _ = self.discover(["0dd4:0195:Custom Eng:KUBE II:K 7"], "--device-id", "CLS:PRINTER;")
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith(
            'direct flushprinter+usb://Custom%20Eng/KUBE%20II?serial=K%207 "Custom Eng KUBE II" '),
            lines[0])


class Jobs(UsbCase):

    def test_a_whole_job_prints_and_usblp_is_given_back(self):
        job = fptest.receipt("one", rows=300) + fptest.receipt("two", rows=300)
        b = self.usb_job(job, "reset=escpos")
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK, b.proc.stderr())
        self.emu.wait_event("text", text="END two")
        self.assertEqual(self.emu.texts(), ["BEGIN one", "END one", "BEGIN two", "END two"])
        self.assertCleanImages(self.emu)
        log = b.proc.stderr()
        self.assertIn("INFO: Job sent: %d bytes" % len(fptest.banded(job)), log)
        # the job's own claim: usblp detached, interface claimed, then both given back
        job_part = log[log.index("INFO: Connected to the printer"):]
        self.assertRegex(job_part, r"interface 0 released[\s\S]*usblp attached")
        self.assertRegex(log[:log.index("INFO: Connected to the printer")],
                         r"usblp detached\n.*interface 0 claimed\n(?![\s\S]*interface 0 released)")

    def test_cancel_mid_transfer_completes_resets_soft_resets_and_holds_quiet(self):
        job = fptest.receipt("canceled", rows=4000)          # 288 kB: 7 s at RATE
        b = self.usb_job(job, "reset=escpos&softreset=yes&idle=%d" % IDLE, mock=["--rate", RATE])
        self.emu.wait_event("image-begin")
        time.sleep(0.3)
        b.proc.signal(signal.SIGTERM)                        # the fixture passes it on
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK, b.proc.stderr())
        log = b.proc.stderr()
        # the bulk transfer in flight was cut short and its bytes counted exactly
        discarded = re.search(r"bulk OUT URB discarded after (\d+) of (\d+) bytes", log)
        self.assertIsNotNone(discarded, log)
        self.assertLess(int(discarded.group(1)), int(discarded.group(2)))
        sent = int(re.search(r"INFO: Job canceled after (\d+) bytes", log).group(1))
        self.assertLess(sent, len(job) // 2)
        padding = int(re.search(r"Printer flushed: (\d+) padding bytes, 2 reset bytes", log).group(1))
        images, reset = self.emu.completed_image()
        self.assertEqual(sum(e["swallowed"] for e in images), 0)
        self.assertCompletionWhite(images[-1], padding)
        self.assertLessEqual(padding, fptest.BAND * 72, "a cancel owes at most one band")
        self.assertEqual(sum(8 + e["bytes"] for e in images) - padding + 2 + len("BEGIN canceled\n"),
                         sent)
        # the printer-class soft reset came after the reset buffer
        self.assertRegex(log, r"SOFT_RESET bmRequestType=0x23 interface=0")
        self.assertLess(log.index("bulk OUT ep 0x01 2 bytes"), log.index("SOFT_RESET"))
        # both pipes cleared right after it (the device reset its data toggles)
        self.assertRegex(log, r"SOFT_RESET bmRequestType=0x23 interface=0 \(#1\)\n"
                              r".*CLEAR_HALT ep 0x01\n.*CLEAR_HALT ep 0x82\n")
        armed = b.proc.line_time(r"^INFO: Printer flushed")
        nxt = self.next_job_prints_clean()
        first = self.emu.wait_event("first-byte", after=reset.t + 0.001)
        self.assertGreaterEqual(first.t, armed + IDLE / 1000.0 - 0.05,
                                "the next job must wait for the quiet window")
        self.assertEqual(nxt.proc.wait(), CUPS_BACKEND_OK)

    def test_soft_reset_falls_back_to_the_interface_request(self):
        job = fptest.receipt("canceled", rows=4000)
        b = self.usb_job(job, "reset=escpos&softreset=yes&idle=100",
                         mock=["--rate", 5 * RATE, "--soft-reset", "21"])
        self.emu.wait_event("image-begin")
        b.proc.signal(signal.SIGTERM)
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK, b.proc.stderr())
        log = b.proc.stderr()
        self.assertRegex(log, r"SOFT_RESET bmRequestType=0x23 refused[\s\S]*"
                              r"SOFT_RESET bmRequestType=0x21 interface=0 \(#1\)")
        self.assertIn("DEBUG: flushprinter: printer-class soft reset sent", log)

    def test_soft_reset_is_not_sent_unless_asked(self):
        job = fptest.receipt("canceled", rows=4000)
        b = self.usb_job(job, "reset=escpos&idle=100", mock=["--rate", 5 * RATE])
        self.emu.wait_event("image-begin")
        b.proc.signal(signal.SIGTERM)
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertIn("Printer flushed", b.proc.stderr())
        self.assertNotIn("SOFT_RESET", b.proc.stderr())

    def test_a_stalled_endpoint_is_cleared_and_the_job_goes_on(self):
        job = varied_receipt("one", rows=1000)
        out = os.path.join(self.tmp, "usb-out")
        b = self.usb_job(job, "reset=escpos&status=off", sink=False,
                         mock=["--out", out, "--stall-after", 30000])
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK, b.proc.stderr())
        log = b.proc.stderr()
        self.assertIn("bulk OUT stalled after 30000 bytes", log)
        self.assertIn("bulk OUT halt cleared", log)
        self.assertIn("INFO: Job sent: %d bytes" % len(fptest.banded(job)), log)
        with open(out, "rb") as f:
            self.assertTrue(f.read() == fptest.banded(job),
                            "the printer did not get the banded job byte for byte")

    def test_a_printer_stalling_for_a_while_is_waited_for_within_timeout(self):
        self.check_stalling_for_a_while(TM_T20 + "S1")

    def test_a_unidirectional_printer_stalling_for_a_while_too(self):
        # no back-channel read pending: only the transport's own timer wakes the resend
        self.check_stalling_for_a_while(TM_T20 + "S1:1")

    def check_stalling_for_a_while(self, printer):
        # paper out: every transfer stalls for 1.5 s; timeout= is 4 s, so the job goes on
        job = varied_receipt("paper", rows=1000)
        out = os.path.join(self.tmp, "usb-out")
        b = self.usb_job(job, "reset=escpos&timeout=4000&status=off", printers=[printer], sink=False,
                         mock=["--out", out, "--stall-after", 20000, "--stall-for", 1500])
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        log = b.proc.stderr()
        self.assertGreater(log.count("(halted)"), 2, "the endpoint should have stalled repeatedly")
        self.assertIn("INFO: Job sent: %d bytes" % len(fptest.banded(job)), log)
        with open(out, "rb") as f:
            self.assertTrue(f.read() == fptest.banded(job),
                            "the printer did not get the banded job byte for byte")

    def test_a_printer_stalling_longer_than_timeout_fails_the_job_then(self):
        job = fptest.receipt("stalled", rows=1000)
        b = self.usb_job(job, "reset=escpos&timeout=1000&retries=0&status=off",
                         mock=["--stall-after", 20000, "--stall-for", 60000])
        started = time.time()
        b.proc.wait_line(r"^ERROR: The printer accepted nothing for 1000 ms", timeout=15)
        self.assertGreaterEqual(time.time() - started, 0.9, "a stall is not a failure at once")
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_FAILED, b.proc.stderr())
        self.assertIn("Printer failed after 20000 bytes of the job", b.proc.stderr())

    def test_a_slow_printer_is_not_stalled_under_a_short_timeout(self):
        # 40 kB/s with timeout=500: transfers report progress within the timeout
        job = fptest.receipt("slow", rows=500)
        b = self.usb_job(job, "reset=escpos&timeout=500", mock=["--rate", RATE])
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertIn("INFO: Job sent: %d bytes" % len(fptest.banded(job)), b.proc.stderr())

    def test_a_printer_that_stops_taking_data_times_out_and_is_flushed_when_it_recovers(self):
        job = fptest.receipt("hung", rows=1000)
        b = self.usb_job(job, "reset=escpos&timeout=1000&idle=200&retries=3&status=off",
                         mock=["--hang-after", 20000, "--resume-after", 3000])
        b.proc.wait_line(r"^ERROR: The printer accepted nothing for 1000 ms", timeout=15)
        self.check_failed_then_flushed_exactly(b, "hung", 20000)
        self.retry_prints_whole(job, "hung")

    def test_unplugged_mid_job_the_printer_is_flushed_when_it_comes_back(self):
        job = fptest.receipt("unplugged", rows=1000)
        b = self.usb_job(job, "reset=escpos&idle=200&status=off",
                         mock=["--unplug-after", 20000, "--replug-after", 800])
        self.check_failed_then_flushed_exactly(b, "unplugged", 20000)
        log = b.proc.stderr()
        self.assertIn("unplugged after 20000 bytes", log)
        self.assertIn("plugged in again as", log)
        # the flush went to the device that came back: a second connection
        self.assertGreaterEqual(self.emu.completed_image()[1].conn, 2)
        self.retry_prints_whole(job, "unplugged")

    def test_an_absent_printer_is_waited_for(self):
        job = b"\x1b@" + fptest.text("LATE RECEIPT")
        b = self.usb_job(job, "reset=escpos", mock=["--absent-for", 1500])
        b.proc.wait_line(r"^STATE: \+connecting-to-device")
        b.proc.wait_line(r"^INFO: Waiting for the printer: EPSON TM-T20 serial S1 is not connected")
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK, b.proc.stderr())
        self.emu.wait_event("text", text="LATE RECEIPT")
        self.assertIn("STATE: -connecting-to-device", b.proc.stderr())

    def test_a_printer_that_never_comes_gives_up_after_contimeout(self):
        b = self.usb_job(b"x", "contimeout=1500", mock=["--absent-for", 60000])
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_FAILED, b.proc.stderr())
        self.assertIn("ERROR: Printer unreachable: EPSON TM-T20 serial S1 is not connected",
                      b.proc.stderr())


class SideChannelAndBackChannel(UsbCase):

    def idle_backend(self, mock=(), printers=(TM_T20 + "S1",)):
        """A backend whose filters sent a line and then nothing: it waits, connected."""
        b = self.usb_job(b"\x1b@" + fptest.text("HELLO"), "reset=escpos", mock=mock,
                         printers=printers, from_pipe=True)
        self.emu.wait_event("text", text="HELLO")
        return b

    def test_device_id_is_read_live_from_the_device(self):
        b = self.idle_backend(["--device-id", "MFG:EPSON;MDL:TM-T20;CMD:ESC/POS;SN:S1;"])
        before = b.proc.stderr().count("GET_DEVICE_ID")
        command, status, data = b.side.request(fptest.SC_GET_DEVICE_ID)
        self.assertEqual((command, status), (fptest.SC_GET_DEVICE_ID, fptest.SC_OK))
        self.assertEqual(data, b"MFG:EPSON;MDL:TM-T20;CMD:ESC/POS;SN:S1;")
        b.proc.wait_line(r"GET_DEVICE_ID", 5)
        self.assertGreater(b.proc.stderr().count("GET_DEVICE_ID"), before)

    def check_state(self, port_status, expected):
        b = self.idle_backend(["--port-status", port_status])
        command, status, data = b.side.request(fptest.SC_GET_STATE)
        self.assertEqual((command, status), (fptest.SC_GET_STATE, fptest.SC_OK))
        # BUSY (2) may still be set for the line just sent: the backend learns that a
        # transfer finished a moment after the printer has the data.
        self.assertEqual(data[0] & ~2, expected, "port status 0x%s" % port_status)
        b.close_input()
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK, b.proc.stderr())

    def test_state_online(self):
        self.check_state("18", 1)                 # selected, no error: ONLINE

    def test_state_paper_empty(self):
        self.check_state("38", 1 | 32)            # paper empty: ONLINE | MEDIA_EMPTY

    def test_state_offline_with_error(self):
        self.check_state("00", 4)                 # not selected, error: OFFLINE | ERROR

    def test_bidi_and_back_channel_data_reach_the_filters(self):
        b = self.idle_backend(["--back-channel", "PRINTER STATUS OK"])
        command, status, data = b.side.request(fptest.SC_GET_BIDI)
        self.assertEqual((status, data), (fptest.SC_OK, b"\x01"))
        got = b""
        end = time.time() + 10
        while len(got) < 17:
            left = end - time.time()
            if left <= 0 or not select.select([b.back_read], [], [], left)[0]:
                break                          # (a bare read would wait for ever)
            chunk = os.read(b.back_read, 100)
            if not chunk:
                break
            got += chunk
        self.assertEqual(got, b"PRINTER STATUS OK")

    def test_a_unidirectional_printer_says_so(self):
        b = self.idle_backend(printers=[TM_T20[:-1].replace("0e15", "0202") + ":S1:1"])
        command, status, data = b.side.request(fptest.SC_GET_BIDI)
        self.assertEqual((status, data), (fptest.SC_OK, b"\x00"))

    def test_an_idle_backend_on_a_bidirectional_printer_does_not_spin(self):
        b = self.idle_backend()
        with open("/proc/%d/task/%d/children" % (b.proc.pid, b.proc.pid)) as f:
            backend_pid = int(f.read().split()[0])        # the fixture runs the backend
        started, cpu0 = time.time(), fptest.cpu_seconds(backend_pid)
        time.sleep(3)
        used = fptest.cpu_seconds(backend_pid) - cpu0
        # A polling loop would use most of a core; waiting uses next to nothing.
        self.assertLess(used, 0.25 * (time.time() - started), "%.2f s of CPU while idle" % used)
        b.close_input()
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK, b.proc.stderr())


if __name__ == "__main__":
    fptest.main()

"""The backend's side channel: standard commands, garbage, SOFT_RESET, FLUSH refusal."""

import struct
import time

import fptest
from fptest import (SC_BAD_MESSAGE, SC_DRAIN_OUTPUT, SC_FLUSH, SC_GET_BIDI, SC_GET_CONNECTED,
                    SC_GET_DEVICE_ID, SC_GET_STATE, SC_NOT_IMPLEMENTED, SC_OK, SC_SNMP_GET,
                    SC_SNMP_GET_NEXT, SC_SOFT_RESET, CUPS_BACKEND_OK)


class SideChannel(fptest.TestCase):

    def connected_backend(self, query="reset=escpos&idle=300&grace=200"):
        emu = self.emulator()
        b = self.backend(self.socket_uri(emu, query))
        b.write(b"\x1b@" + fptest.text("HELLO"))
        emu.wait_event("text", text="HELLO")
        return emu, b

    def test_standard_commands(self):
        emu, b = self.connected_backend()
        self.assertEqual(b.side.request(SC_GET_BIDI), (SC_GET_BIDI, SC_OK, b"\x01"))
        self.assertEqual(b.side.request(SC_GET_CONNECTED), (SC_GET_CONNECTED, SC_OK, b"\x01"))
        command, status, data = b.side.request(SC_GET_STATE)
        self.assertEqual((command, status), (SC_GET_STATE, SC_OK))
        self.assertEqual(data[0] & 1, 1, "online bit")
        self.assertEqual(b.side.request(SC_GET_DEVICE_ID)[:2], (SC_GET_DEVICE_ID, SC_NOT_IMPLEMENTED))
        self.assertEqual(b.side.request(SC_SNMP_GET, b"1.3.6.1")[:2], (SC_SNMP_GET, SC_NOT_IMPLEMENTED))
        self.assertEqual(b.side.request(SC_SNMP_GET_NEXT, b"1.3")[:2],
                         (SC_SNMP_GET_NEXT, SC_NOT_IMPLEMENTED))
        b.close_input()
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK)

    def test_garbage_gets_bad_message_and_the_channel_keeps_working(self):
        emu, b = self.connected_backend()
        self.assertEqual(b.side.request(0x99, b"junk")[:2], (0x99, SC_BAD_MESSAGE))
        self.assertEqual(b.side.request(SC_GET_CONNECTED), (SC_GET_CONNECTED, SC_OK, b"\x01"))
        # A header that promises data which never comes is dropped after a while.
        b.side.send_raw(b"\x05\x00\x10")
        self.assertEqual(b.side.receive(), (SC_GET_STATE, SC_BAD_MESSAGE, b""))
        self.assertEqual(b.side.request(SC_GET_CONNECTED), (SC_GET_CONNECTED, SC_OK, b"\x01"))
        b.close_input()
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK)

    def test_requests_split_and_coalesced(self):
        emu, b = self.connected_backend()
        for byte in struct.pack(">BBH", SC_GET_BIDI, 0, 0):
            b.side.send_raw(bytes([byte]))
            time.sleep(0.02)
        self.assertEqual(b.side.receive(), (SC_GET_BIDI, SC_OK, b"\x01"))
        b.side.send_raw(struct.pack(">BBH", SC_GET_BIDI, 0, 0) +
                        struct.pack(">BBH", SC_GET_CONNECTED, 0, 0))
        self.assertEqual(b.side.receive()[0], SC_GET_BIDI)
        self.assertEqual(b.side.receive()[0], SC_GET_CONNECTED)
        b.close_input()
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK)

    def test_drain_output_answers_after_the_printer_has_the_data(self):
        emu, b = self.connected_backend()
        b.write(fptest.text("DRAINED"))
        self.assertEqual(b.side.request(SC_DRAIN_OUTPUT)[:2], (SC_DRAIN_OUTPUT, SC_OK))
        # "Drained" means the printer's TCP stack acknowledged every byte; the
        # emulator reads and logs them a moment later.
        emu.wait_event("text", text="DRAINED", timeout=2)
        b.close_input()
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK)

    def test_soft_reset_completes_the_image_and_resets(self):
        emu = self.emulator("--rate", 40000)
        b = self.backend(self.socket_uri(emu, "reset=escpos&idle=300"))
        b.write_async(fptest.receipt("reset-me", rows=4000))
        emu.wait_event("image-begin")
        time.sleep(0.2)
        self.assertEqual(b.side.request(SC_SOFT_RESET, timeout=20)[:2], (SC_SOFT_RESET, SC_OK))
        images, reset = emu.completed_image()
        image = images[-1]
        self.assertEqual(image["swallowed"], 0)
        self.assertCompletionWhite(image, self.flushed_padding(b.proc))
        self.assertGreaterEqual(reset.t, image.t)
        b.proc.wait_line(r"^INFO: Printer flushed")
        b.proc.signal(15)
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK)

    def test_flush_request_without_cancel_is_refused(self):
        emu, b = self.connected_backend()
        begin = bytes([1]) + struct.pack(">II", 100, 2)
        command, status, data = b.side.request(SC_FLUSH, begin)
        self.assertEqual(command, SC_FLUSH)
        self.assertNotEqual(status, SC_OK)
        self.assertEqual(data[0], 2, "FP_ERROR_NO_FAILED_WRITE")
        b.close_input()
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK)
        emu.wait_event("close", conn=1)        # the printer has parsed all it was sent
        self.assertEqual(emu.events("reset")[-1].conn, 1)
        self.assertEqual(len(emu.events("reset")), 1)

    def test_requests_during_the_quiet_window_leave_the_printer_alone(self):
        """After a cancel the job is flushed once; a SOFT_RESET or a late FLUSH during
        the quiet window is answered without a second connection to the printer."""
        emu = self.emulator("--rate", 40000)
        b = self.backend(self.socket_uri(emu, "reset=escpos&idle=3000&grace=100"))
        b.write_async(fptest.receipt("cancel-me", rows=4000))
        emu.wait_event("image-begin")
        b.proc.signal(15)
        b.proc.wait_line(r"^INFO: Printer port quiet for \d+ ms after a canceled job")
        self.assertEqual(b.side.request(SC_SOFT_RESET, timeout=5), (SC_SOFT_RESET, SC_OK, b""))
        command, status, data = b.side.request(SC_FLUSH, bytes([1]) + struct.pack(">II", 100, 2))
        self.assertEqual(command, SC_FLUSH)
        self.assertNotEqual(status, SC_OK)
        self.assertEqual(data[0], 3, "FP_ERROR_ALREADY_FLUSHED")
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK)
        self.assertEqual(len(emu.events("open")), 1, emu.log_text())
        self.assertEqual(len(emu.events("reset")), 2, "the job's ESC @ and the flush's")


if __name__ == "__main__":
    fptest.main()

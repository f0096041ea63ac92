"""libflushprinter's flush contract against the real backend (through ctypes):
refused before a failed write, NULL/0 rules, the device-confirmed byte count,
the caller's buffer and idle time reaching the printer, once per job."""

import ctypes
import signal
import threading
import time

import fptest
from fptest import CUPS_BACKEND_OK

FP_OK, FP_ERROR_INVALID_ARGUMENT, FP_ERROR_NO_FAILED_WRITE = 0, -1, -2
FP_ERROR_ALREADY_FLUSHED, FP_ERROR_CANCELED = -3, -4


class Config(ctypes.Structure):
    _fields_ = [("data_fd", ctypes.c_int), ("side_fd", ctypes.c_int),
                ("device_uri", ctypes.c_char_p), ("timeout_ms", ctypes.c_int)]


class Result(ctypes.Structure):
    _fields_ = [("written", ctypes.c_uint64), ("padding", ctypes.c_uint64),
                ("idle_ms", ctypes.c_uint32), ("route", ctypes.c_int)]


lib = ctypes.CDLL(fptest.LIBRARY)
lib.fp_job_open.argtypes = [ctypes.POINTER(Config), ctypes.POINTER(ctypes.c_void_p)]
lib.fp_job_write.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                             ctypes.POINTER(ctypes.c_size_t)]
lib.fp_job_flush.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint32,
                             ctypes.POINTER(Result)]
lib.fp_job_cancel.argtypes = [ctypes.c_void_p]
lib.fp_job_close.argtypes = [ctypes.c_void_p]
lib.fp_job_message.argtypes = [ctypes.c_void_p]
lib.fp_job_message.restype = ctypes.c_char_p


class LibraryFlush(fptest.TestCase):

    def open_job(self, b):
        config = Config(b.stdin, b.side.sock.fileno(), b.uri.encode(), 20000)
        job = ctypes.c_void_p()
        self.assertEqual(lib.fp_job_open(ctypes.byref(config), ctypes.byref(job)), FP_OK)
        self.addCleanup(lib.fp_job_close, job)
        return job

    def start(self, query="reset=escpos&idle=3000&grace=2000&band=0"):
        emu = self.emulator("--rate", 40000)
        b = self.backend(self.socket_uri(emu, query))
        return emu, b, self.open_job(b)

    def write_in_background(self, job, data):
        outcome = {}

        def run():
            written = ctypes.c_size_t()
            outcome["status"] = lib.fp_job_write(job, data, len(data), ctypes.byref(written))
            outcome["written"] = written.value

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread, outcome

    def cancel(self, b, job):
        """What cupsd does on cancel: SIGTERM to the backend and the filter."""
        b.proc.signal(signal.SIGTERM)
        lib.fp_job_cancel(job)

    def cancel_mid_image(self, emu, b, job):
        """Write receipts in the background and cancel once the first image is under
        way; the outcome of that write.  Ten 4000-row receipts (2.9 MB, 72 s at the
        printer's 40 kB/s): however late a loaded machine delivers the cancel, the write
        is still going, and the image it lands in owes at most its own 288 kB (band=0:
        the image as the job has it)."""
        receipts = b"".join(fptest.receipt("lib%d" % i, rows=4000) for i in range(10))
        thread, outcome = self.write_in_background(job, receipts)
        emu.wait_event("image-begin")
        time.sleep(0.3)
        self.cancel(b, job)
        # The write sees the cancel once the backend drains the pipe (fp_job_cancel()
        # from another thread interrupts no system call); a loaded machine takes a while.
        thread.join(60)
        self.assertFalse(thread.is_alive(), "the canceled write never returned")
        self.assertEqual(outcome["status"], FP_ERROR_CANCELED)
        return outcome

    def test_flush_is_refused_before_a_failed_write(self):
        emu, b, job = self.start()
        self.assertEqual(lib.fp_job_write(job, b"\x1b@HI\n", 5, None), FP_OK)
        result = Result()
        self.assertEqual(lib.fp_job_flush(job, b"\x1b@", 2, 100, ctypes.byref(result)),
                         FP_ERROR_NO_FAILED_WRITE)
        self.assertIn(b"no write", lib.fp_job_message(job).lower())
        b.close_input()
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK)
        emu.wait_event("text", text="HI")
        self.assertNotIn("Printer flushed", b.proc.stderr())

    def test_null_buffer_needs_zero_length(self):
        emu, b, job = self.start()
        self.assertEqual(lib.fp_job_flush(job, None, 5, 0, None), FP_ERROR_INVALID_ARGUMENT)

    def test_cancel_then_flush_sends_the_callers_buffer_with_exact_counts(self):
        emu, b, job = self.start()
        outcome = self.cancel_mid_image(emu, b, job)
        self.assertEqual(outcome["status"], FP_ERROR_CANCELED)
        self.assertEqual(lib.fp_job_write(job, b"more", 4, None), FP_ERROR_CANCELED)

        own_reset = b"\x1b@\x1b!\x00"            # the caller's buffer, not the queue's
        result = Result()
        self.assertEqual(lib.fp_job_flush(job, own_reset, len(own_reset), 700,
                                          ctypes.byref(result)), FP_OK)
        self.assertEqual(result.written, len(own_reset))
        self.assertEqual(result.idle_ms, 700)
        self.assertEqual(result.route, 0)
        images, reset = emu.completed_image()
        self.assertEqual(images[-1]["swallowed"], 0)
        self.assertEqual(images[-1]["zeros"], result.padding)
        b.proc.wait_line(r"^INFO: Printer flushed: %d padding bytes, %d reset bytes; port quiet "
                         r"for 700 ms" % (result.padding, len(own_reset)))
        self.assertEqual(lib.fp_job_flush(job, own_reset, len(own_reset), 700,
                                          ctypes.byref(result)), FP_ERROR_ALREADY_FLUSHED)
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK)
        # the filter's 700 ms window, not the queue's 3000 ms
        armed = b.proc.line_time(r"^INFO: Printer flushed")
        self.assertGreaterEqual(b.proc.ended, armed + 0.7 - 0.05)
        self.assertLess(b.proc.ended, armed + 2.5)

    def test_null_zero_flush_still_completes_the_command(self):
        emu, b, job = self.start()
        self.cancel_mid_image(emu, b, job)
        result = Result()
        self.assertEqual(lib.fp_job_flush(job, None, 0, 0, ctypes.byref(result)), FP_OK)
        self.assertEqual(result.written, 0)
        self.assertGreater(result.padding, 0)
        emu.wait_event("image-end", zeros=result.padding)       # no reset: none was given
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK)


if __name__ == "__main__":
    fptest.main()

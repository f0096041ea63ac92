"""A printer that fails mid-job: the job is never reported done, the printer is
flushed on reconnect, and the retried job prints whole and clean."""

import os
import socket
import struct
import time

import fptest
from fptest import CUPS_BACKEND_FAILED, CUPS_BACKEND_OK, CUPS_BACKEND_STOP

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
        images, reset = emu.completed_image()
        image = images[-1]
        # The aborted image (band) was completed over the new connection, only
        # with white padding (bytes lost with the old connection are made up for).
        self.assertGreater(image["swallowed"], 0)
        self.assertEqual(image["swallowed"], image["zeros"])
        # then the reset, over a new connection (the flush may itself have had
        # to reconnect while the printer was still stalled)
        self.assertGreaterEqual(reset.conn, 2)

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

    def test_printer_resets_the_connection(self):
        """A printer that resets the connection is reported as that, not as a lost backend."""
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        self.addCleanup(srv.close)
        b = self.backend("flushprinter+socket://127.0.0.1:%d/?reset=escpos&retries=0&timeout=2000"
                         % srv.getsockname()[1], spool_file=self.spool(b"\x1b@" + b"x" * 4000000))
        srv.settimeout(10)
        conn, _ = srv.accept()
        got = 0
        while got < 8192:           # into the job's data, past any status probe (status=auto)
            got += len(conn.recv(4096))
        # close with unread data and a zero linger time: the kernel sends RST
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        srv.close()
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_FAILED, b.proc.stderr())
        b.proc.wait_line(r"^ERROR: Printer failed after \d+ bytes of the job \(The printer "
                         r"reset the connection\)")
        self.assertNotIn("backend is gone", b.proc.stderr())


class BadDeviceFailsAtOnce(fptest.TestCase):
    """A device URI that can never work stops the queue at once (exit 4), and a
    connection attempt never outlasts contimeout."""

    def check_stops_at_once(self, uri, pattern):
        started = time.time()
        b = self.backend(uri, spool_file=self.spool(fptest.text("NEVER")))
        self.assertEqual(b.proc.wait(10), CUPS_BACKEND_STOP, b.proc.stderr())
        self.assertLess(time.time() - started, 3)
        b.proc.wait_line(pattern)

    def test_host_with_an_encoded_slash(self):
        self.check_stops_at_once("flushprinter+socket://printer%2Fqueue:9100/?contimeout=60000",
                                 r"^ERROR: flushprinter: bad host 'printer/queue'")

    def test_file_uri_naming_a_directory(self):
        self.check_stops_at_once("flushprinter+file:///?contimeout=60000",
                                 r"^ERROR: flushprinter: bad path in device URI: / is a directory")

    def test_contimeout_bounds_a_connect_that_gets_no_answer(self):
        """A listener whose backlog is full drops new SYNs, like a firewalled printer:
        contimeout=3000 ends after about 3 s, not after one 10 s connect attempt."""
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(0)
        self.addCleanup(srv.close)
        port = srv.getsockname()[1]
        for _ in range(3):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", port))
            self.addCleanup(c.close)
        started = time.time()
        b = self.backend("flushprinter+socket://127.0.0.1:%d/?contimeout=3000" % port,
                         spool_file=self.spool(fptest.text("NEVER")))
        self.assertEqual(b.proc.wait(20), CUPS_BACKEND_FAILED, b.proc.stderr())
        elapsed = time.time() - started
        b.proc.wait_line(r"^ERROR: Printer unreachable: cannot connect to 127.0.0.1:%d: "
                         r"Connection timed out" % port)
        self.assertGreater(elapsed, 2.5)
        self.assertLess(elapsed, 6, "one connect attempt outlasted contimeout")


if __name__ == "__main__":
    fptest.main()

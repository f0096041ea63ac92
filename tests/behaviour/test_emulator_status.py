"""The emulator's printers talk back.  ESC/POS: real-time status, automatic
status back while it has stopped reading, process IDs only once what came
before has printed, and a dumb printer that answers nothing but logs every
status command it got.  PCL: PJL INFO STATUS, ECHO, USTATUS DEVICE and JOB
END.  ZPL: ~HS.  Everything is waited for with a deadline."""

import socket
import time

import fptest

DLE_EOT = [b"\x10\x04" + bytes([n]) for n in range(1, 5)]
ASB_ON = b"\x1da\x0e"                        # online/offline, errors, paper sensors
READY = bytes([0x12])                         # DLE EOT: the fixed bits only
ASB_CLEAR = bytes([0x10, 0, 0, 0])
ASB_PAPER_OUT = bytes([0x18, 0, 0x0f, 0])     # offline; paper near end and end
ASB_COVER_OPEN = bytes([0x38, 0, 0, 0])       # offline; cover open


def process_id(digits):
    """GS ( H fn 48 with a four-digit process ID."""
    return b"\x1d(H\x06\x00\x30\x30" + digits


def receive_until(sock, end_byte, count=1, timeout=10):
    """Bytes from `sock` up to the `count`-th `end_byte`, or a failure after `timeout` s."""
    data = b""
    while data.count(end_byte) < count:
        data += receive(sock, 1, timeout)
    return data


def receive(sock, n, timeout=10):
    """Exactly `n` bytes from `sock`, or a failure after `timeout` seconds."""
    data = b""
    end = time.time() + timeout
    while len(data) < n:
        left = end - time.time()
        if left <= 0:
            raise AssertionError("got %r, wanted %d bytes in %.1f s" % (data, n, timeout))
        sock.settimeout(left)
        try:
            chunk = sock.recv(n - len(data))
        except socket.timeout:
            continue
        if not chunk:
            raise AssertionError("connection closed after %r" % data)
        data += chunk
    return data


class StatusReplies(fptest.TestCase):

    def connect(self, emu):
        sock = socket.create_connection(("127.0.0.1", emu.port))
        self.addCleanup(sock.close)
        return sock

    def test_realtime_status_when_ready(self):
        emu = self.emulator()
        sock = self.connect(emu)
        sock.sendall(b"".join(DLE_EOT))
        self.assertEqual(receive(sock, 4), READY * 4)
        queries = [e.fields["cmd"] for e in emu.events("query")]
        self.assertEqual(queries, ["100401", "100402", "100403", "100404"])

    def test_asb_sent_when_enabled(self):
        emu = self.emulator()
        sock = self.connect(emu)
        sock.sendall(ASB_ON)
        self.assertEqual(receive(sock, 4), ASB_CLEAR)

    def test_paper_out_reported_while_not_reading(self):
        """The printer stops reading at paper-out; ASB still tells the host, at once,
        and again when the paper is back; a DLE EOT stuck behind the data is only
        answered then; every line prints once."""
        emu = self.emulator("--stall-after", 2000, "--resume-after", 1500,
                            "--stall-reason", "paper-out", "--buffer", 4096)
        sock = self.connect(emu)
        sock.sendall(ASB_ON)
        self.assertEqual(receive(sock, 4), ASB_CLEAR)
        lines = fptest.text(*["line %04d" % i for i in range(400)])
        sock.sendall(lines + DLE_EOT[0] + fptest.text("AFTER"))
        self.assertEqual(receive(sock, 4), ASB_PAPER_OUT)
        got_out = time.time()
        stall = emu.wait_event("condition", set="paper-out")
        self.assertEqual(emu.events("resume"), [], "reported only once the paper was back")
        self.assertEqual(receive(sock, 4), ASB_CLEAR)
        self.assertGreater(time.time() - got_out, 1.0)
        # The real-time query was behind the data: answered after the resume, "ready".
        self.assertEqual(receive(sock, 1), READY)
        resume = emu.wait_event("resume")
        query = emu.wait_event("query", cmd="100401")
        self.assertGreaterEqual(query.t, resume.t)
        self.assertGreater(resume.t, stall.t)
        emu.wait_event("text", text="AFTER")
        printed = emu.texts()
        self.assertEqual(printed[:-1], ["line %04d" % i for i in range(400)])

    def test_cover_open(self):
        emu = self.emulator("--stall-after", 100, "--resume-after", 500,
                            "--stall-reason", "cover-open")
        sock = self.connect(emu)
        sock.sendall(ASB_ON)
        self.assertEqual(receive(sock, 4), ASB_CLEAR)
        sock.sendall(fptest.text(*["x" * 40] * 10))
        self.assertEqual(receive(sock, 4), ASB_COVER_OPEN)
        self.assertEqual(receive(sock, 4), ASB_CLEAR)

    def test_process_id_after_printing(self):
        """GS ( H fn 48 is answered only once the data before it has printed."""
        emu = self.emulator("--rate", 20000)
        sock = self.connect(emu)
        body = fptest.text(*["row %03d %s" % (i, "=" * 40) for i in range(600)])
        start = time.time()
        sock.sendall(body + process_id(b"4711"))
        self.assertEqual(receive(sock, 7), b"\x37\x224711\x00")
        # about 29 kB at 20 kB/s (the first 4 kB at once): not before most of it printed
        self.assertGreater(time.time() - start, 1.0)
        reply = emu.wait_event("reply", data="37223437313100")
        last = emu.wait_event("text", text="row 599 " + "=" * 40)
        self.assertLessEqual(last.t, reply.t)

    def test_asb_off_after_reset(self):
        """ESC @ cancels GS a: a paper-out after it sends nothing unasked."""
        emu = self.emulator("--stall-after", 200, "--resume-after", 300,
                            "--stall-reason", "paper-out")
        sock = self.connect(emu)
        sock.sendall(ASB_ON)
        self.assertEqual(receive(sock, 4), ASB_CLEAR)
        sock.sendall(b"\x1b@" + fptest.text(*["y" * 30] * 20) + DLE_EOT[3])
        emu.wait_event("condition", cleared="paper-out")
        # The only reply after the reset is the answer to DLE EOT 4, paper present.
        self.assertEqual(receive(sock, 1), READY)
        emu.wait_event("reply", data="12")  # logged once sent: a moment after it arrived
        self.assertEqual([e.fields["data"] for e in emu.events("reply")], ["10000000", "12"])


class DumbPrinter(fptest.TestCase):

    def test_answers_nothing_and_logs_queries(self):
        emu = self.emulator("--dumb")
        sock = socket.create_connection(("127.0.0.1", emu.port))
        self.addCleanup(sock.close)
        sock.sendall(DLE_EOT[0] + ASB_ON + process_id(b"0001") + b"\x1dr\x01"
                     + fptest.text("DONE"))
        emu.wait_event("text", text="DONE")  # parsed after every query before it
        self.assertEqual([e.fields["cmd"] for e in emu.events("query")],
                         ["100401", "1d610e", "1d28480600303030303031", "1d7201"])
        self.assertEqual(emu.events("reply"), [])
        sock.setblocking(False)
        with self.assertRaises(BlockingIOError):
            sock.recv(1)

    def test_plain_job_sees_no_query(self):
        """What a dumb printer logs when nothing asks it anything: no query at all."""
        emu = self.emulator("--dumb")
        emu.send(fptest.receipt("plain"))
        emu.wait_event("text", text="END plain")
        self.assertEqual(emu.events("query"), [])


def pjl(*lines):
    """A UEL, PJL command lines, a UEL."""
    return fptest.UEL + b"@PJL\r\n" + b"".join(l + b"\r\n" for l in lines) + fptest.UEL


class PjlStatus(fptest.TestCase):

    def connect(self, emu):
        sock = socket.create_connection(("127.0.0.1", emu.port))
        self.addCleanup(sock.close)
        return sock

    def test_info_status_and_echo(self):
        emu = self.emulator("--language", "pcl")
        sock = self.connect(emu)
        sock.sendall(pjl(b"@PJL INFO STATUS", b"@PJL ECHO fp 42"))
        self.assertEqual(receive_until(sock, b"\f"),
                         b'@PJL INFO STATUS\r\nCODE=10001\r\nDISPLAY="READY"\r\nONLINE=TRUE\r\n\f')
        self.assertEqual(receive_until(sock, b"\f"), b"@PJL ECHO fp 42\r\n\f")

    def test_ustatus_device_and_job_end(self):
        """Paper-out and its end are sent unasked; JOB END names the job once its page printed."""
        emu = self.emulator("--language", "pcl", "--stall-after", 400, "--resume-after", 800,
                            "--stall-reason", "paper-out")
        sock = self.connect(emu)
        sock.sendall(pjl(b"@PJL USTATUS DEVICE=ON", b"@PJL USTATUS JOB=ON"))
        job = fptest.pcl_job(fptest.pcl_text(*["text %03d" % i for i in range(60)]), name="fp-9")
        sock.sendall(job)
        out = receive_until(sock, b"\f")
        self.assertIn(b"@PJL USTATUS DEVICE\r\nCODE=41302\r\n", out)
        self.assertIn(b"ONLINE=FALSE", out)
        back = receive_until(sock, b"\f")
        self.assertIn(b"CODE=10001", back)
        end = receive_until(sock, b"\f")
        self.assertEqual(end, b'@PJL USTATUS JOB\r\nEND\r\nNAME="fp-9"\r\nPAGES=1\r\n\f')
        page = emu.wait_event("page")
        self.assertEqual(page["texts"], 60)
        # logged once sent, a moment after it arrived here: waited for, not looked for
        job_end = emu.wait_event("reply", data=end.hex())
        self.assertLessEqual(page.t, job_end.t)

    def test_dumb(self):
        emu = self.emulator("--language", "pcl", "--dumb")
        sock = self.connect(emu)
        sock.sendall(pjl(b"@PJL INFO STATUS", b"@PJL USTATUS DEVICE=ON")
                     + fptest.pcl_job(fptest.pcl_text("DONE")))
        emu.wait_event("page")
        self.assertEqual(len(emu.events("query")), 2)
        self.assertEqual(emu.events("reply"), [])


class ZplHostStatus(fptest.TestCase):

    def test_host_status(self):
        emu = self.emulator("--language", "zpl")
        sock = socket.create_connection(("127.0.0.1", emu.port))
        self.addCleanup(sock.close)
        sock.sendall(b"~HS^XA~HS")
        ready = receive_until(sock, b"\x03", 3)
        self.assertTrue(ready.startswith(b"\x02030,0,0,1245,000,0,0,0,000,0,0,0\x03\r\n\x02"), ready)
        in_format = receive_until(sock, b"\x03", 3)  # a format in progress: the partial-format flag
        self.assertTrue(in_format.startswith(b"\r\n\x02030,0,0,1245,000,0,0,1,000,0,0,0\x03"),
                        in_format)


if __name__ == "__main__":
    fptest.main()

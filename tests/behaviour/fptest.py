"""Harness for flushprinter's behaviour tests.

Runs the real backend (and filter) binaries the way cupsd does -- argv,
DEVICE_URI, job data on stdin or as argv[6], back channel on fd 3, side
channel on fd 4, messages on stderr -- against the printer emulator
(tests/fp-emulator) on 127.0.0.1.  Every process a test starts is stopped
by the test's cleanup, failures included.

What another process does -- a line it logs, an event the emulator logs, a
job's state, an exit -- is waited for with a deadline (Process.wait_line,
Process.wait, Emulator.wait_event, Cupsd.wait_logged and wait_job), never
looked for once after a fixed sleep.  A backend is done once the printer's TCP
stack has acknowledged every byte: the emulator parses the last of them a
moment later, so wait for its "close" (or the job's last text) before
comparing what it printed.
"""

import os
import re
import shutil
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
import unittest
import zlib

BUILDDIR = os.environ.get("FP_BUILDDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
SRCDIR = os.environ.get("FP_SRCDIR") or BUILDDIR
BACKEND = os.path.join(BUILDDIR, "backend", "flushprinter")
FILTER = os.path.join(BUILDDIR, "filter", "flushprinter")
EMULATOR = os.path.join(BUILDDIR, "tests", "fp-emulator")
LIBRARY = os.path.join(BUILDDIR, "lib", ".libs", "libflushprinter.so")
USB_MOCK = os.path.join(BUILDDIR, "tests", "usb", "usb-printer-mock")

# CUPS backend exit codes (<cups/backend.h>).
CUPS_BACKEND_OK, CUPS_BACKEND_FAILED, CUPS_BACKEND_STOP = 0, 1, 4

# Side-channel commands and statuses.
SC_SOFT_RESET, SC_DRAIN_OUTPUT, SC_GET_BIDI, SC_GET_DEVICE_ID = 1, 2, 3, 4
SC_GET_STATE, SC_SNMP_GET, SC_SNMP_GET_NEXT, SC_GET_CONNECTED = 5, 6, 7, 8
SC_FLUSH = 0x46
SC_OK, SC_IO_ERROR, SC_TIMEOUT, SC_NO_RESPONSE = 1, 2, 3, 4
SC_BAD_MESSAGE, SC_TOO_BIG, SC_NOT_IMPLEMENTED = 5, 6, 7


# ---------------------------------------------------------------- state files

STATE_SLOT = 512


def fnv1a64(text):
    """FNV-1a 64 of `text`: the state file's name is dev-<this>.state."""
    h = 0xcbf29ce484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def percent_encode(text):
    return "".join(c if re.fullmatch(r"[A-Za-z0-9._~-]", c) else "%%%02X" % ord(c) for c in text)


def state_path(statedir, key):
    return os.path.join(statedir, "dev-%016x.state" % fnv1a64(key))


def forge(statedir, key, seq=5, quiet_until=0, dirty=0, extra=""):
    """Write one record with a valid checksum (`extra`: fields to add) into slot 0 of the
    device's state file."""
    body = ("flushprinter-state v1 seq=%d key=%s quiet_until=%d dirty=%d job=1 pid=1 accepted=0 "
            "language=none owed_prefix= owed_fill=0 fill_byte=00 owed_suffix=%s"
            % (seq, percent_encode(key), quiet_until, dirty, extra))
    line = "%s crc=%08x" % (body, zlib.crc32(body.encode()))
    os.makedirs(statedir, mode=0o700, exist_ok=True)
    with open(state_path(statedir, key), "wb") as f:
        f.write(line.encode().ljust(STATE_SLOT - 1) + b"\n")


def newest_record(statedir, key):
    """The newest record in the device's state file, as text."""
    with open(state_path(statedir, key), "rb") as f:
        data = f.read()
    best = None
    for i in range(len(data) // STATE_SLOT):
        slot = data[i * STATE_SLOT:(i + 1) * STATE_SLOT]
        m = re.search(rb"seq=(\d+) ", slot)
        if m and (best is None or int(m.group(1)) > best[0]):
            best = (int(m.group(1)), slot.decode(errors="replace").strip())
    return best[1]


def newest_quiet_until(statedir, key):
    """quiet_until of the newest record in the device's state file."""
    return int(re.search(r" quiet_until=(-?\d+) ", newest_record(statedir, key)).group(1))


# ---------------------------------------------------------------- ESC/POS jobs

def text(*lines):
    """ESC/POS text lines."""
    return b"".join(line.encode() + b"\n" for line in lines)


# The backend's default band= (rows of a GS v 0 band on the wire).
BAND = 24


def raster(width_bytes, height, pixel=0xAA):
    """A GS v 0 raster block whose pixels are never 0x00 (so padding shows)."""
    header = b"\x1dv0\x00" + struct.pack("<HH", width_bytes, height)
    return header + bytes([pixel]) * (width_bytes * height)


def receipt(name, rows=200, width=72):
    """A receipt: initialize, a title line, a raster logo, a closing line."""
    return b"\x1b@" + text("BEGIN " + name) + raster(width, rows) + text("END " + name)


def banded(job, rows=BAND):
    """What the printer receives of `job` with band=`rows`: each GS v 0 image taller than
    `rows` as images of `rows` rows (the last one shorter).  Only for jobs built here: GS v 0
    images between text that never holds a GS byte."""
    out, at = [], 0
    while True:
        start = job.find(b"\x1dv0", at)
        if start < 0:
            return b"".join(out) + job[at:]
        m = job[start + 3]
        x, y = struct.unpack("<HH", job[start + 4:start + 8])
        data = job[start + 8:start + 8 + x * y]
        out.append(job[at:start])
        split = rows and y > rows and 0 < x <= 1024 and m in (0, 1, 2, 3, 48, 49, 50, 51)
        if not split:
            out.append(job[start:start + 8] + data)
        for done in range(0, y, rows) if split else ():
            h = min(rows, y - done)
            out.append(b"\x1dv0" + bytes([m]) + struct.pack("<HH", x, h)
                       + data[done * x:(done + h) * x])
        at = start + 8 + x * y


# ---------------------------------------------------------------- PCL jobs

UEL = b"\x1b%-12345X"          # PJL's Universal Exit Language


def pcl_job(body, name="job"):
    """A PJL-wrapped PCL job: UEL, PJL header, ESC E, `body`, ESC E, UEL."""
    return (UEL + b'@PJL JOB NAME="%s"\r\n@PJL ENTER LANGUAGE=PCL\r\n\x1bE' % name.encode()
            + body + b"\x1bE" + UEL + b"@PJL EOJ\r\n" + UEL)


def pcl_text(*lines):
    """PCL text lines, then a form feed."""
    return b"".join(line.encode() + b"\r\n" for line in lines) + b"\x0c"


def pcl_raster(row_bytes, rows, pixel=0xAA):
    """A PCL raster graphic of unencoded ESC*b#W rows whose pixels are never 0x00."""
    row = b"\x1b*b%dW" % row_bytes + bytes([pixel]) * row_bytes
    return (b"\x1b*r%dS\x1b*r%dT\x1b*r1A\x1b*b0M" % (8 * row_bytes, rows) + row * rows
            + b"\x1b*rB")


def pcl_page(name, rows=240, row_bytes=32000):
    """A page: a title line, a raster graphic (7.7 MB by default), a closing line.  Rows this
    long make a cut land inside row data, not in a row's 8-byte header, but for 1 in 4000."""
    return pcl_job(("BEGIN %s\r\n" % name).encode() + pcl_raster(row_bytes, rows)
                   + pcl_text("END " + name), name)


# ---------------------------------------------------------------- ZPL jobs

def zpl_label(*fields):
    """A ZPL format printing each field on a line of its own."""
    body = b"".join(b"^FO20,%d^A0N,30,30^FD%s^FS" % (20 + 40 * i, field.encode())
                    for i, field in enumerate(fields))
    return b"^XA" + body + b"^XZ\n"


def zpl_graphic_labels(name, labels=8, rows=10000, row_bytes=100, pixel=0xAA):
    """Labels with large graphics sent in binary (8 MB by default), whose bytes are never 0x00
    (so padding shows): for each, ~DY stores a 1 MB graphic as a binary .GRF -- a printer takes
    every byte into it, ^ and ~ included, until all have arrived -- and a format prints it; a
    title label first, a closing one last.  A cut lands inside graphic data but for 1 in 14000."""
    total = rows * row_bytes
    graphic = (b"~DYR:IMAGE,B,G,%d,%d," % (total, row_bytes) + bytes([pixel]) * total
               + b"^XA^FO0,0^XGR:IMAGE.GRF,1,1^FS^XZ\n")
    return zpl_label("BEGIN " + name) + graphic * labels + zpl_label("END " + name)


# ---------------------------------------------------------------- emulator log

EVENT = re.compile(r'T=(?P<t>[0-9.]+) C=(?P<c>\d+) (?P<event>[\w-]+)(?P<rest>.*)$')
FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


class Event:
    """One emulator log line."""

    def __init__(self, line):
        m = EVENT.match(line)
        if not m:
            raise ValueError("not an emulator event: %r" % line)
        self.t = float(m.group("t"))
        self.conn = int(m.group("c"))
        self.name = m.group("event")
        self.fields = {}
        for key, value in FIELD.findall(m.group("rest")):
            if value.startswith('"'):
                value = value[1:-1].encode().decode("unicode_escape")
            self.fields[key] = value

    def __getitem__(self, key):
        value = self.fields[key]
        return int(value) if re.fullmatch(r"-?\d+", value) else value

    def get(self, key, default=None):
        return self[key] if key in self.fields else default

    def __repr__(self):
        return "<%s C=%d %s>" % (self.name, self.conn, self.fields)


# ---------------------------------------------------------------- processes

def cpu_seconds(pid):
    """User + system CPU time process `pid` has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Process:
    """A child process with chosen descriptors and collected stderr lines."""

    def __init__(self, path, argv, env, fds, name):
        self.name = name
        self.lines = []
        self.cond = threading.Condition()
        read_end, write_end = os.pipe()
        actions = [(os.POSIX_SPAWN_DUP2, write_end, 2)]
        for target, fd in fds.items():
            actions.append((os.POSIX_SPAWN_DUP2, fd, target))
        self.started = time.time()
        self.pid = os.posix_spawn(path, argv, env, file_actions=actions)
        os.close(write_end)
        self.returncode = None
        self.ended = None
        self.reader = threading.Thread(target=self._read, args=(read_end,), daemon=True)
        self.reader.start()

    def _read(self, fd):
        with os.fdopen(fd, "rb") as stream:
            for raw in stream:
                line = raw.decode(errors="replace").rstrip("\n")
                with self.cond:
                    self.lines.append((time.time(), line))
                    self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, pattern, timeout=10):
        """The first stderr line matching `pattern` (regex); fails after `timeout`."""
        rx = re.compile(pattern)
        end = time.time() + timeout
        with self.cond:
            while True:
                for t, line in self.lines:
                    if rx.search(line):
                        return line
                left = end - time.time()
                if left <= 0 or (self.returncode is not None and not self.reader.is_alive()):
                    raise AssertionError("%s: no line matching %r in %.1f s; stderr:\n%s" % (
                        self.name, pattern, timeout, self.stderr()))
                self.cond.wait(min(left, 0.1))
                self.poll()

    def line_time(self, pattern):
        """When the first line matching `pattern` arrived, or None."""
        rx = re.compile(pattern)
        with self.cond:
            for t, line in self.lines:
                if rx.search(line):
                    return t
        return None

    def stderr(self):
        with self.cond:
            return "\n".join(line for _, line in self.lines)

    def poll(self):
        if self.returncode is None:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            if pid:
                self.ended = time.time()
                self.returncode = os.waitstatus_to_exitcode(status)
                self.cpu_used = usage.ru_utime + usage.ru_stime   # user + system, whole life
        return self.returncode

    def wait(self, timeout=20):
        """The exit code, once the process has ended and everything it wrote to stderr
        has been read (so stderr() is complete); fails after `timeout` seconds."""
        end = time.time() + timeout
        while self.poll() is None:
            if time.time() > end:
                raise AssertionError("%s still running after %.1f s; stderr:\n%s" % (
                    self.name, timeout, self.stderr()))
            time.sleep(0.01)
        # The reader ends at the pipe's end of file, a moment after the exit (later
        # still if a child of the process holds the pipe: then stop waiting at the
        # deadline, as before with what was read by then).
        self.reader.join(max(end - time.time(), 5))
        return self.returncode

    def cpu_seconds(self):
        """User + system CPU time the process has used so far."""
        return cpu_seconds(self.pid)

    def signal(self, sig):
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self):
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.wait(10)


def raw_job(uri, statedir, spool, job_id=1, program=None, wrapper=()):
    """A backend run as cupsd runs it for a raw queue: DEVICE_URI, argv[0] the URI,
    the spool file as argv[6], stdin and stdout /dev/null.  `program` defaults to
    this build's backend; `wrapper` (e.g. valgrind and its options) runs it, and
    then sets argv[0] itself."""
    program = program or BACKEND
    env = dict(os.environ, DEVICE_URI=uri, FLUSHPRINTER_STATEDIR=statedir)
    fds = {0: os.open(os.devnull, os.O_RDONLY), 1: os.open(os.devnull, os.O_WRONLY)}
    args = [str(job_id), "tester", "job", "1", "", spool]
    if wrapper:
        p = Process(wrapper[0], list(wrapper) + [program] + args, env, fds, wrapper[0])
    else:
        p = Process(program, [uri] + args, env, fds, "%s job %d" % (program, job_id))
    for fd in fds.values():
        os.close(fd)
    return p


class Emulator:
    """tests/fp-emulator on 127.0.0.1 (or a FIFO) with its event log."""

    def __init__(self, tmpdir, *args, fifo=None):
        # Names no other emulator in this directory ever had (id() values are
        # reused once an object is gone: a stale port file then named a dead
        # emulator's port).
        stem = tempfile.mkdtemp(prefix="emulator-", dir=tmpdir)
        self.log_path = os.path.join(stem, "events.log")
        port_file = os.path.join(stem, "port")
        argv = [EMULATOR, "--log", self.log_path]
        argv += ["--fifo", fifo] if fifo else ["--listen", "127.0.0.1:0", "--port-file", port_file]
        argv += [str(a) for a in args]
        self.proc = Process(EMULATOR, argv, dict(os.environ), {}, "emulator")
        self.port = None
        # Ready once it listens: the port file, or (a FIFO, which a writer that comes first
        # would not find, losing its bytes) the FIFO open for reading.
        end = time.time() + 10
        while not (self.events("listen") if fifo else os.path.exists(port_file)):
            if time.time() > end or self.proc.poll() is not None:
                raise AssertionError("emulator did not start: " + self.proc.stderr())
            time.sleep(0.01)
        if not fifo:
            with open(port_file) as f:
                self.port = int(f.read())

    def events(self, name=None):
        try:
            with open(self.log_path) as f:
                lines = [l for l in f.read().splitlines() if l.startswith("T=")]
        except FileNotFoundError:
            return []
        events = [Event(l) for l in lines]
        return [e for e in events if name is None or e.name == name]

    def wait_event(self, name, timeout=10, after=None, **fields):
        """The first event `name` (at or after time `after`) whose fields match."""
        end = time.time() + timeout
        while True:
            for e in self.events(name):
                if (after is None or e.t >= after) and all(str(e.conn if k == "conn" else e.get(k)) == str(v)
                       for k, v in fields.items()):
                    return e
            if time.time() > end:
                raise AssertionError("no emulator event %s %s in %.1f s; log:\n%s" % (
                    name, fields, timeout, self.log_text()))
            time.sleep(0.01)

    def send(self, data):
        """Sends `data` on a connection of its own; its number, once the printer saw it close."""
        conn = len(self.events("open")) + len(self.events("refused")) + 1
        with socket.create_connection(("127.0.0.1", self.port)) as s:
            s.sendall(data)
        self.wait_event("close", conn=conn)
        return conn

    def last_event(self, name, **fields):
        """The last event `name` logged so far whose fields match (None if none)."""
        found = [e for e in self.events(name)
                 if all(str(e.conn if k == "conn" else e.get(k)) == str(v)
                        for k, v in fields.items())]
        return found[-1] if found else None

    def completed_image(self, timeout=10):
        """The image a flush completed, and the reset that followed it: the last image-end
        before the first reset after the first image began (with bands: the band the
        completion ended; the images before it are the bands the job sent whole)."""
        begin = self.wait_event("image-begin", timeout=timeout)
        reset = self.wait_event("reset", after=begin.t, timeout=timeout)
        images = [e for e in self.events("image-end") if e.t <= reset.t]
        return images, reset

    def texts(self, conn=None):
        return [e["text"] for e in self.events("text") if conn is None or e.conn == conn]

    def log_text(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        self.proc.signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except AssertionError:
            self.proc.kill()


class SideChannel:
    """The filters' end of the CUPS side channel."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, command, data=b"", status=0):
        self.sock.sendall(struct.pack(">BBH", command, status, len(data)) + data)

    def receive(self, timeout=5):
        """One whole reply (command, status, data), framed by its length."""
        end = time.time() + timeout
        while True:
            if len(self.buf) >= 4:
                command, status, length = struct.unpack(">BBH", self.buf[:4])
                if len(self.buf) >= 4 + length:
                    data = self.buf[4:4 + length]
                    self.buf = self.buf[4 + length:]
                    return command, status, data
            left = end - time.time()
            if left <= 0:
                raise AssertionError("no side-channel reply in %.1f s" % timeout)
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65540)
            except socket.timeout:
                continue
            if not chunk:
                raise AssertionError("side channel closed by the backend")
            self.buf += chunk

    def request(self, command, data=b"", timeout=5):
        self.send(command, data)
        return self.receive(timeout)


class Backend:
    """The backend binary run as cupsd runs it, for one job."""

    def __init__(self, uri, statedir, job_id=1, spool_file=None, argv0=None, wrapper=()):
        self.uri = uri
        env = dict(os.environ, DEVICE_URI=uri, FLUSHPRINTER_STATEDIR=statedir,
                   CUPS_SERVERBIN=os.path.join(BUILDDIR, "backend"))
        fds = {}
        self.stdin = None
        if spool_file is None:
            read_end, self.stdin = os.pipe()
            fds[0] = read_end
        else:
            fds[0] = os.open(os.devnull, os.O_RDONLY)
        fds[1] = os.open(os.devnull, os.O_WRONLY)
        self.back_read, back_write = os.pipe()
        fds[3] = back_write
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        fds[4] = theirs.fileno()
        self.side = SideChannel(ours)
        # argv[0] as cupsd sets it: the device URI
        argv = [argv0 or uri, str(job_id), "tester", "test job", "1", ""]
        if spool_file is not None:
            argv.append(spool_file)
        if wrapper:  # e.g. the USB fixture: it runs the backend as its child
            self.proc = Process(wrapper[0], list(wrapper) + [BACKEND] + argv[1:], env, fds,
                                "backend")
        else:
            self.proc = Process(BACKEND, argv, env, fds, "backend")
        for target, fd in fds.items():
            if target != 4:
                os.close(fd)
        theirs.close()

    def write(self, data):
        """Feed job data as a filter would (blocks while the pipe is full)."""
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.stdin, view)
            except BrokenPipeError:
                return False
            view = view[n:]
        return True

    def write_async(self, data):
        t = threading.Thread(target=self.write, args=(data,), daemon=True)
        t.start()
        return t

    def close_input(self):
        if self.stdin is not None:
            os.close(self.stdin)
            self.stdin = None

    def cleanup(self):
        self.proc.kill()
        self.close_input()
        self.side.sock.close()
        os.close(self.back_read)


class SerialPrinter:
    """The emulator on a serial line: a pseudo-terminal whose far end is bridged, byte
    for byte each way, to the emulator's AppSocket port.  A printer that stops reading
    stops the line (the bridge's send waits, the terminal's buffer fills), as a serial
    printer's flow control does.  `path` is the terminal the backend opens."""

    def __init__(self, emu):
        self.master, self.slave = os.openpty()   # the slave stays open: the line outlives a job
        self.path = os.ttyname(self.slave)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # a line holds little
        self.sock.connect(("127.0.0.1", emu.port))
        self.threads = [threading.Thread(target=self._pump, args=(self._from_line, self.sock.sendall),
                                         daemon=True),
                        threading.Thread(target=self._pump, args=(self._from_printer, self._to_line),
                                         daemon=True)]
        for t in self.threads:
            t.start()

    def _from_line(self):
        return os.read(self.master, 65536)

    def _from_printer(self):
        return self.sock.recv(65536)

    def _to_line(self, data):
        while data:
            data = data[os.write(self.master, data):]

    @staticmethod
    def _pump(read, write):
        try:
            while True:
                data = read()
                if not data:
                    return
                write(data)
        except OSError:
            return

    def stop(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        os.close(self.slave)          # the line's last opener gone: reads of the master end
        for t in self.threads:
            t.join(5)
        self.sock.close()
        os.close(self.master)


class TestCase(unittest.TestCase):
    """A test with a temp dir, a state dir, and automatic cleanup of processes."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="fptest-")
        self.statedir = os.path.join(self.tmp, "state")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def emulator(self, *args, fifo=None):
        emu = Emulator(self.tmp, *args, fifo=fifo)
        self.addCleanup(emu.stop)
        return emu

    def backend(self, uri, **kwargs):
        b = Backend(uri, self.statedir, **kwargs)
        self.addCleanup(b.cleanup)
        return b

    def serial_printer(self, emu):
        line = SerialPrinter(emu)
        self.addCleanup(line.stop)
        return line

    def spool(self, data, name="job"):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def socket_uri(self, emu, query=""):
        return "flushprinter+socket://127.0.0.1:%d/%s" % (emu.port, "?" + query if query else "")

    @staticmethod
    def status_bytes(emu, conn=None):
        """The bytes of the status commands (status=, auto by default: the probe, the arming)
        the emulator parsed on connection `conn` (None: on all): what went on the wire
        besides the job and the flushes."""
        return sum(len(bytes.fromhex(e.fields["cmd"])) for e in emu.events("query")
                   if conn is None or e.conn == conn)

    def cancel_in_first_image(self, emu, uri, job, name="job"):
        """Starts `job`, and SIGTERMs the backend once its status is on and the printer has
        begun an image; returns the backend."""
        b = self.backend(uri, spool_file=self.spool(job, name))
        b.proc.wait_line(r"^INFO: Printer status is on")
        emu.wait_event("image-begin")
        b.proc.signal(signal.SIGTERM)
        return b

    def assertLabelsOnce(self, emu, name, count, timeout=10):
        """The texts printed are "BEGIN name", "name 0" .. "name count-1", "END name": each
        label of such a job once, in order (fptest.zpl_label, EPL and the like)."""
        emu.wait_event("text", text="END " + name, timeout=timeout)
        self.assertEqual(emu.texts(), ["BEGIN " + name]
                         + ["%s %d" % (name, i) for i in range(count)] + ["END " + name])

    def assertCleanImages(self, emu):
        """Every image the printer completed took only its own job's bytes."""
        for e in emu.events("image-end"):
            self.assertEqual(e["swallowed"], 0, "image swallowed another job's bytes: %r\n%s" % (
                e, emu.log_text()))

    def assertPaperOutWaitedOut(self, emu, b, out_s):
        """A job through the emulator's paper-out of `out_s` s: the backend shows it
        (STATE: +media-empty-error, and GET_STATE says paper out, an error, not online),
        waits it out beyond timeout= without failing, withdraws the reason and ends with
        exit 0; its stderr."""
        b.proc.wait_line(r"^STATE: \+media-empty-error\b", timeout=20)
        command, status, data = b.side.request(SC_GET_STATE)
        self.assertEqual((command, status), (SC_GET_STATE, SC_OK))
        self.assertEqual(data[0] & (32 | 4 | 1), 32 | 4)
        self.assertEqual(b.proc.wait(60), CUPS_BACKEND_OK, b.proc.stderr())
        err = b.proc.stderr()
        self.assertIn("STATE: -media-empty-error", err)
        self.assertLess(err.index("STATE: +media-empty-error"),
                        err.index("STATE: -media-empty-error"))
        self.assertNotIn("accepted nothing", err)
        stall = emu.wait_event("condition", set="paper-out")
        clear = emu.wait_event("condition", cleared="paper-out")
        self.assertGreaterEqual(clear.t - stall.t, out_s - 0.5)
        return err

    def assertRecoveryConfirmed(self, nxt):
        """The job after a killed one (status=on) flushed the printer first, had the printer
        confirm it is back at command level, and only then probed its status; its stderr."""
        self.assertEqual(nxt.proc.wait(30), CUPS_BACKEND_OK, nxt.proc.stderr())
        err = nxt.proc.stderr()
        recovered = err.index("INFO: Printer confirmed it is back at command level after the "
                              "recovery's flush")
        self.assertLess(err.index("flushing the printer first"), recovered)
        self.assertLess(recovered, err.index("INFO: Printer status is on"))
        return err

    def flushed_padding(self, proc, timeout=10):
        """The padding bytes of a backend's flush: its "Printer flushed:" line, or a crash
        recovery's DEBUG line (waited for)."""
        return padding_of(proc.wait_line(FLUSHED_PADDING, timeout))

    def assertCompletionWhite(self, image, padding):
        """A cancel's completion of a banded GS v 0 image printed nothing but white.
        `image` is the last image that ended before the reset.  A cut inside the
        band's rows owes them as zero bytes (and yH, a zero, when the cut fell just
        after yL); a cut inside the band's 8-byte header owes at most its rest,
        which the completion makes a harmless command or an image 0 rows high, so
        `image` printed no white; a cut at a band's end owes nothing."""
        if image["zeros"]:
            self.assertIn(padding - image["zeros"], (0, 1),
                          "the completion must be the band's owed white: %d padding bytes, "
                          "%d white" % (padding, image["zeros"]))
        else:
            self.assertLess(padding, 8, "with no white printed, the completion can only "
                            "have ended a band's header")

    def assertImagePrintedOnce(self, emu, rows, width):
        """The job's one image printed every row once, in the bands the backend sent
        (band= default), with no padding and nothing swallowed; call after its last text."""
        ends = emu.events("image-end")
        self.assertEqual(len(emu.events("image-begin")), -(-rows // BAND))
        self.assertEqual(len(ends), -(-rows // BAND))
        self.assertEqual(sum(e["bytes"] for e in ends), rows * width)
        self.assertEqual(sum(e["zeros"] + e["swallowed"] for e in ends), 0)


# A backend's flush, by a cancel or a failure (INFO) or by a crash recovery (DEBUG);
# without the prefixes, which cupsd's error_log does not keep.
FLUSHED_PADDING = (r"Printer flushed: \d+ padding bytes"
                   r"|flushprinter: recovered job \d+: \d+ padding")


def padding_of(line):
    """The padding bytes a FLUSHED_PADDING line names."""
    return int(re.search(r"(\d+) padding", line).group(1))


def free_port():
    """A loopback port nobody listens on (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    unittest.main(module="__main__", verbosity=2)

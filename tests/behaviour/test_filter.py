"""Behaviour tests for the flushprinter filter.

Through cupsfilter with the sample PPD (a private ServerBin whose filter/
holds the built filter beside the system's filters): text passes through
unchanged, and bad settings stop the job with an ERROR: line.  Run
directly, as cupsd runs it (job data on stdin, side channel on fd 4): a
cancel makes it flush once, through the flushprinter backend's FLUSH
command or, for a stock backend, SOFT_RESET plus the reset in band.
"""

import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fptest  # noqa: E402  (the harness lives beside this file)

PPD = os.path.join(fptest.SRCDIR, "filter", "flushprinter-escpos.ppd")
CUPSFILTER = shutil.which("cupsfilter", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
FLUSH_BEGIN, FLUSH_DATA, FLUSH_END = 1, 2, 3


def cups_config(flag, fallback):
    """A directory from cups-config, or `fallback` without it."""
    try:
        out = subprocess.run(["cups-config", flag], capture_output=True, text=True, check=True)
        return out.stdout.strip() or fallback
    except (OSError, subprocess.CalledProcessError):
        return fallback


def read_until_eof(fd, timeout=10):
    """Everything readable on `fd` until its writer closes it."""
    data = b""
    while True:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            raise AssertionError("no end of file in %.1f s after %r" % (timeout, data[-64:]))
        chunk = os.read(fd, 65536)
        if not chunk:
            return data
        data += chunk


def read_exactly(fd, count, timeout=10):
    """`count` bytes from `fd`."""
    data = b""
    while len(data) < count:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            raise AssertionError("only %d of %d bytes in %.1f s" % (len(data), count, timeout))
        chunk = os.read(fd, count - len(data))
        if not chunk:
            raise AssertionError("end of file after %d of %d bytes" % (len(data), count))
        data += chunk
    return data


class CupsfilterTest(unittest.TestCase):
    """The sample PPD's filter chain under cupsfilter."""

    def setUp(self):
        if not CUPSFILTER:
            self.skipTest("cupsfilter is not installed")
        self.assertTrue(os.access(fptest.FILTER, os.X_OK), "build the filter first")
        self.tmp = tempfile.mkdtemp(prefix="fpfilter-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        os.chmod(self.tmp, 0o755)
        filters = os.path.join(self.tmp, "bin", "filter")
        os.makedirs(filters, mode=0o755)
        system = os.path.join(cups_config("--serverbin", "/usr/lib/cups"), "filter")
        for name in os.listdir(system) if os.path.isdir(system) else []:
            if name != "flushprinter":       # an installed flushprinter is not this build's
                os.symlink(os.path.join(system, name), os.path.join(filters, name))
        # A symlink also works when the filter is a libtool wrapper script.
        os.symlink(os.path.abspath(fptest.FILTER), os.path.join(filters, "flushprinter"))
        self.conf = os.path.join(self.tmp, "cups-files.conf")
        with open(self.conf, "w") as f:
            f.write("ServerBin %s\n" % os.path.join(self.tmp, "bin"))
            f.write("DataDir %s\n" % cups_config("--datadir", "/usr/share/cups"))

    def write_file(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def cupsfilter(self, path, *extra, ppd=PPD):
        """Run the PPD's chain to the printer's format; (exit code, output, stderr)."""
        argv = [CUPSFILTER, "-c", self.conf, "-p", ppd, "-m", "printer/foo", "-e"]
        argv += list(extra) + [path]
        out = subprocess.run(argv, capture_output=True, timeout=60)
        return out.returncode, out.stdout, out.stderr.decode(errors="replace")

    def test_chain_is_only_our_filter(self):
        path = self.write_file("hello.txt", b"hello\n")
        code, out, err = self.cupsfilter(path, "--list-filters")
        self.assertEqual(code, 0, err)
        self.assertEqual(out.split(), [b"flushprinter"], err)

    def test_text_passes_through_unchanged(self):
        data = b"".join(b"receipt line %06d: coffee 2.50\n" % i for i in range(4000))
        self.assertGreater(len(data), 100000)  # several of the filter's chunks
        path = self.write_file("receipt.txt", data)
        code, out, err = self.cupsfilter(path)
        self.assertEqual(code, 0, err)
        self.assertIn("DEBUG: flushprinter: reset 2 bytes, idle 2000 ms", err)
        self.assertEqual(out, data)

    def test_copies_from_a_named_file(self):
        data = b"one receipt\n"
        path = self.write_file("copies.txt", data)
        code, out, err = self.cupsfilter(path, "-n", "3")
        self.assertEqual(code, 0, err)
        self.assertEqual(out, data * 3)

    def test_options_override_the_ppd(self):
        path = self.write_file("short.txt", b"short\n")
        code, out, err = self.cupsfilter(
            path, "-o", "flushprinter-reset=hex:1b401b40 flushprinter-idle=250")
        self.assertEqual(code, 0, err)
        self.assertIn("DEBUG: flushprinter: reset 4 bytes, idle 250 ms", err)
        self.assertEqual(out, b"short\n")

    def test_bad_reset_option(self):
        path = self.write_file("job.txt", b"never printed\n")
        code, out, err = self.cupsfilter(path, "-o", "flushprinter-reset=hex:zz")
        self.assertNotEqual(code, 0, err)
        self.assertIn('ERROR: flushprinter: bad flushprinter-reset option "hex:zz"', err)
        self.assertEqual(out, b"")

    def test_bad_idle_option(self):
        path = self.write_file("job.txt", b"never printed\n")
        code, out, err = self.cupsfilter(path, "-o", "flushprinter-idle=soon")
        self.assertNotEqual(code, 0, err)
        self.assertIn('ERROR: flushprinter: bad flushprinter-idle option "soon"', err)
        self.assertEqual(out, b"")

    def test_bad_ppd_value(self):
        with open(PPD) as f:
            ppd = f.read().replace('*FlushPrinterReset: "escpos"', '*FlushPrinterReset: "hex:zz"')
        bad_ppd = self.write_file("bad.ppd", ppd.encode())
        path = self.write_file("job.txt", b"never printed\n")
        code, out, err = self.cupsfilter(path, ppd=bad_ppd)
        self.assertNotEqual(code, 0, err)
        self.assertIn('ERROR: flushprinter: bad *FlushPrinterReset in the PPD "hex:zz"', err)
        self.assertEqual(out, b"")


class FilterJob:
    """The filter run as cupsd runs it: stdin and stdout pipes, side channel on fd 4."""

    def __init__(self, uri, options, ppd=PPD):
        stdin_r, self.stdin = os.pipe()
        self.stdout, stdout_w = os.pipe()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.side = fptest.SideChannel(ours)
        env = dict(os.environ, DEVICE_URI=uri, PPD=ppd)
        argv = ["flushprinter", "1", "tester", "test job", "1", options]
        self.proc = fptest.Process(fptest.FILTER, argv, env,
                                   {0: stdin_r, 1: stdout_w, 4: theirs.fileno()}, "filter")
        os.close(stdin_r)
        os.close(stdout_w)
        theirs.close()

    def cleanup(self):
        self.proc.kill()
        for fd in (self.stdin, self.stdout):
            if fd is not None:
                os.close(fd)
        self.side.sock.close()

    def close_stdout(self):
        os.close(self.stdout)
        self.stdout = None

    def expect_request(self, command):
        """The next side-channel request; fails unless it is `command`."""
        got, _, data = self.side.receive(timeout=10)
        if got != command:
            raise AssertionError("side channel: command %d, expected %d" % (got, command))
        return data


class FilterCancelTest(unittest.TestCase):
    """A canceled job makes the filter flush once, then exit 0."""

    def start(self, uri, options):
        self.assertTrue(os.access(fptest.FILTER, os.X_OK), "build the filter first")
        job = FilterJob(uri, options)
        self.addCleanup(job.cleanup)
        os.write(job.stdin, b"hello\n")
        self.assertEqual(read_exactly(job.stdout, 6), b"hello\n")
        return job

    def test_usage(self):
        out = subprocess.run([fptest.FILTER], capture_output=True, timeout=30)
        self.assertEqual(out.returncode, 1)
        self.assertIn(b"Usage: ", out.stderr)

    def test_cancel_with_stock_backend(self):
        job = self.start("socket://127.0.0.1:9/",
                         "flushprinter-reset=hex:1b40 flushprinter-idle=150")
        job.proc.signal(signal.SIGTERM)
        self.assertEqual(job.expect_request(fptest.SC_SOFT_RESET), b"")
        job.side.send(fptest.SC_SOFT_RESET, status=fptest.SC_NOT_IMPLEMENTED)
        self.assertEqual(read_until_eof(job.stdout), b"\x1b@")
        self.assertEqual(job.proc.wait(), 0, job.proc.stderr())
        job.proc.wait_line(r"^INFO: Job canceled")
        job.proc.wait_line(
            r"^DEBUG: flushprinter: flushed written=2 padding=0 idle=150 route=soft-reset$")

    def test_cancel_with_flushprinter_backend(self):
        job = self.start("flushprinter+socket://127.0.0.1:9/",
                         "flushprinter-reset=hex:1b401b40 flushprinter-idle=150")
        job.proc.signal(signal.SIGTERM)
        begin = job.expect_request(fptest.SC_FLUSH)
        self.assertEqual(begin, struct.pack(">BII", FLUSH_BEGIN, 150, 4))
        job.side.send(fptest.SC_FLUSH, b"\x00", fptest.SC_OK)
        self.assertEqual(job.expect_request(fptest.SC_FLUSH), bytes([FLUSH_DATA]) + b"\x1b@\x1b@")
        job.side.send(fptest.SC_FLUSH, b"\x00", fptest.SC_OK)
        self.assertEqual(job.expect_request(fptest.SC_FLUSH), bytes([FLUSH_END]))
        job.side.send(fptest.SC_FLUSH, struct.pack(">BQQI", 0, 3, 5, 777), fptest.SC_OK)
        self.assertEqual(read_until_eof(job.stdout), b"")  # nothing in band
        self.assertEqual(job.proc.wait(), 0, job.proc.stderr())
        job.proc.wait_line(
            r"^DEBUG: flushprinter: flushed written=3 padding=5 idle=777 route=backend$")

    def test_backend_gone(self):
        job = self.start("socket://127.0.0.1:9/", "flushprinter-idle=0")
        job.close_stdout()
        job.side.sock.close()
        os.write(job.stdin, b"more data for a pipe nobody reads\n")
        self.assertEqual(job.proc.wait(), 1, job.proc.stderr())
        job.proc.wait_line(r"^ERROR: flushprinter: .*backend is gone")


if __name__ == "__main__":
    fptest.main()

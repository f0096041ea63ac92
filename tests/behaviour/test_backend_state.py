"""The per-device state file under stress: forged deadlines and numbers, device keys
too long to spell, and a state directory that is read-only, out of inodes or full."""

import os
import re
import subprocess
import time

import fptest
from fptest import CUPS_BACKEND_FAILED, CUPS_BACKEND_OK

class ForgedRecords(fptest.TestCase):

    def key(self, emu):
        return "socket://127.0.0.1:%d" % emu.port

    def test_far_future_deadline_is_repaired_and_the_next_window_holds(self):
        emu = self.emulator("--close-after", "60000@1", "--rate", 200000)
        fptest.forge(self.statedir, self.key(emu),
                     quiet_until=int(time.time() * 1000) + 7200 * 1000)
        query = "reset=escpos&idle=1500&timeout=1000&retries=3"
        job = fptest.receipt("flaky", rows=3000)
        a = self.backend(self.socket_uri(emu, query), spool_file=self.spool(job))
        a.proc.wait_line(r"^WARNING: Ignoring a quiet window 7\d{3} s in the future \(clock "
                         r"change\?\); cleared it in .*dev-[0-9a-f]{16}\.state$")
        self.assertEqual(a.proc.wait(30), CUPS_BACKEND_FAILED, a.proc.stderr())
        a.proc.wait_line(r"^INFO: Printer flushed: .*port quiet for 1500 ms")
        # The file holds the failed job's real window, not the forged one ...
        self.assertLess(fptest.newest_quiet_until(self.statedir, self.key(emu)) - time.time() * 1000,
                        1600)
        # ... so the next job waits for it.
        b = self.backend(self.socket_uri(emu, query), job_id=2,
                         spool_file=self.spool(fptest.text("NEXT"), "next"))
        b.proc.wait_line(r"^INFO: Printer port quiet for \d+ ms after an interrupted job")
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())

    def test_numbers_out_of_range_are_refused_not_computed_with(self):
        emu = self.emulator()
        for forged in (-9223372036854775808, 9223372036854775807):
            fptest.forge(self.statedir, self.key(emu), quiet_until=forged)
            b = self.backend(self.socket_uri(emu, "reset=escpos"),
                             spool_file=self.spool(fptest.text("OK")))
            self.assertEqual(b.proc.wait(20), CUPS_BACKEND_OK, b.proc.stderr())
            b.proc.wait_line(r"^WARNING: Device state file .* was unreadable; flushing the "
                             r"printer to be safe")
            self.assertNotIn("runtime error", b.proc.stderr())
            # repaired: the job's own record is valid and clean
            self.assertEqual(fptest.newest_quiet_until(self.statedir, self.key(emu)), 0)


class LongDeviceKeys(fptest.TestCase):

    def test_paths_differing_after_255_characters_are_two_devices(self):
        """Two devices whose keys used to be cut to the same 255 characters: one job
        holding the first does not make a job on the second wait."""
        deep = os.path.join(self.tmp, *(["d" * 60] * 5))
        os.makedirs(deep)
        first, second = os.path.join(deep, "printer-1"), os.path.join(deep, "printer-2")
        for path in (first, second):
            open(path, "wb").close()
        holder = self.backend("flushprinter+file:%s?reset=escpos" % first)
        holder.write(fptest.text("HOLD"))
        holder.proc.wait_line(r"^INFO: Connected to the printer")
        other = self.backend("flushprinter+file:%s?reset=escpos" % second, job_id=2,
                             spool_file=self.spool(fptest.text("OTHER")))
        self.assertEqual(other.proc.wait(10), CUPS_BACKEND_OK, other.proc.stderr())
        self.assertNotIn("another job is using it", other.proc.stderr())
        holder.close_input()
        self.assertEqual(holder.proc.wait(10), CUPS_BACKEND_OK, holder.proc.stderr())
        self.assertEqual(len([n for n in os.listdir(self.statedir) if n.endswith(".state")]), 2)


class BrokenStateDir(fptest.TestCase):
    """One policy: a state directory that cannot be used never stops printing; each job
    says which path and which system error, and prints without the state."""

    def mount_tmpfs(self, options):
        path = os.path.join(self.tmp, "mnt")
        os.mkdir(path)
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "fp-state", path],
                                capture_output=True)
        if result.returncode:
            self.skipTest("cannot mount a tmpfs: %s" % result.stderr.decode().strip())
        self.addCleanup(subprocess.run, ["umount", "-l", path])
        os.chmod(path, 0o700)
        return path

    def prints_with_warning(self, statedir, pattern):
        emu = self.emulator()
        self.statedir = statedir
        b = self.backend(self.socket_uri(emu, "reset=escpos"),
                         spool_file=self.spool(fptest.text("PRINTED")))
        self.assertEqual(b.proc.wait(20), CUPS_BACKEND_OK, b.proc.stderr())
        emu.wait_event("text", text="PRINTED")
        line = b.proc.wait_line(pattern)
        self.assertNotIn("The device state file is unusable", b.proc.stderr())
        return line

    def test_read_only_dir(self):
        path = self.mount_tmpfs("size=64k")
        subprocess.run(["mount", "-o", "remount,ro", path], check=True)
        self.prints_with_warning(path, r"^WARNING: Cannot use the device state \(%s/dev-[0-9a-f]"
                                 r"{16}\.state: Read-only file system\); printing without the "
                                 r"device lock" % re.escape(path))

    def test_dir_out_of_inodes(self):
        path = self.mount_tmpfs("size=64k,nr_inodes=1")
        self.prints_with_warning(path, r"^WARNING: Cannot use the device state \(%s/dev-[0-9a-f]"
                                 r"{16}\.state: No space left on device\)" % re.escape(path))

    def test_full_dir(self):
        path = self.mount_tmpfs("size=8k")
        fd = os.open(os.path.join(path, "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while os.write(fd, b"x" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        self.prints_with_warning(path, r"^WARNING: Cannot update the device state file "
                                 r"%s/dev-[0-9a-f]{16}\.state: No space left on device; printing "
                                 r"without crash recovery" % re.escape(path))


if __name__ == "__main__":
    fptest.main()

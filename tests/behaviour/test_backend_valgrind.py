"""The backend under valgrind: a whole job and a canceled one end with no
memory errors and nothing left allocated."""

import os
import shutil
import signal
import time
import unittest

import fptest

VALGRIND = shutil.which("valgrind")


@unittest.skipUnless(VALGRIND, "valgrind is not installed")
class Valgrind(fptest.TestCase):

    def run_under_valgrind(self, emu, job, cancel):
        uri = self.socket_uri(emu, "reset=escpos&idle=200")
        env = dict(os.environ, DEVICE_URI=uri, FLUSHPRINTER_STATEDIR=self.statedir)
        fds = {0: os.open(os.devnull, os.O_RDONLY), 1: os.open(os.devnull, os.O_WRONLY)}
        # valgrind sets argv[0] to the program; DEVICE_URI names the device
        p = fptest.Process(VALGRIND, [VALGRIND, "--leak-check=full", "--show-leak-kinds=all",
                                      "--errors-for-leak-kinds=all", "--error-exitcode=99",
                                      fptest.BACKEND, "1", "tester", "job", "1", "",
                                      self.spool(job)], env, fds, "valgrind")
        self.addCleanup(p.kill)
        for fd in fds.values():
            os.close(fd)
        if cancel:
            emu.wait_event("image-begin", timeout=60)
            time.sleep(0.3)
            p.signal(signal.SIGTERM)
        self.assertEqual(p.wait(120), 0, p.stderr()[-3000:])
        self.assertIn("in use at exit: 0 bytes in 0 blocks", p.stderr())
        self.assertIn("ERROR SUMMARY: 0 errors", p.stderr())

    def test_whole_job(self):
        self.run_under_valgrind(self.emulator(), fptest.receipt("whole", rows=100), False)

    def test_canceled_job(self):
        emu = self.emulator("--rate", 40000)
        self.run_under_valgrind(emu, fptest.receipt("canceled", rows=2000), True)
        self.assertCleanImages(emu)


if __name__ == "__main__":
    fptest.main()

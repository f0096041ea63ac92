"""The backend under valgrind: a whole job and a canceled one end with no
memory errors and nothing left allocated."""

import shutil
import signal
import time
import unittest

import fptest

VALGRIND = shutil.which("valgrind")


@unittest.skipUnless(VALGRIND, "valgrind is not installed")
class Valgrind(fptest.TestCase):

    def run_under_valgrind(self, emu, job, cancel, query="", base="reset=escpos"):
        p = fptest.raw_job(self.socket_uri(emu, base + "&idle=200" + query), self.statedir,
                           self.spool(job),
                           wrapper=(VALGRIND, "--leak-check=full", "--show-leak-kinds=all",
                                    "--errors-for-leak-kinds=all", "--error-exitcode=99"))
        self.addCleanup(p.kill)
        if cancel:
            emu.wait_event("image-begin", timeout=60)
            time.sleep(0.3)
            p.signal(signal.SIGTERM)
        self.assertEqual(p.wait(120), 0, p.stderr()[-3000:])
        self.assertIn("in use at exit: 0 bytes in 0 blocks", p.stderr())
        self.assertIn("ERROR SUMMARY: 0 errors", p.stderr())
        return p

    def test_whole_job(self):
        self.run_under_valgrind(self.emulator(), fptest.receipt("whole", rows=100), False)

    def test_status_paper_out(self):
        """status=on: the probe and arming, a paper-out in the tail waited out, the
        confirmation that the job printed."""
        emu = self.emulator("--stall-after", 3000, "--resume-after", 1500,
                            "--stall-reason", "paper-out")
        p = self.run_under_valgrind(emu, fptest.receipt("status", rows=100), False,
                                    "&status=on&timeout=1000")
        self.assertIn("STATE: -media-empty-error", p.stderr())
        self.assertIn("INFO: The printer confirmed it printed the job", p.stderr())
        emu.wait_event("text", text="END status")

    def test_pjl_status_paper_out(self):
        """PCL, status=on: the PJL probe, arming and re-arming, a paper-out mid-job waited
        out, the ECHO that confirms the job."""
        emu = self.emulator("--language", "pcl", "--stall-after", 20000, "--resume-after", 1500,
                            "--stall-reason", "paper-out")
        job = fptest.pcl_page("pjl", rows=20, row_bytes=4000)
        p = self.run_under_valgrind(emu, job, False, "&status=on&timeout=1000",
                                    base="language=pcl&reset=pjl+pcl")
        self.assertIn("STATE: -media-empty-error", p.stderr())
        self.assertIn("INFO: The printer confirmed it printed the job", p.stderr())
        emu.wait_event("text", text="END pjl")

    def test_canceled_job(self):
        emu = self.emulator("--rate", 40000)
        self.run_under_valgrind(emu, fptest.receipt("canceled", rows=2000), True)
        self.assertCleanImages(emu)


if __name__ == "__main__":
    fptest.main()

"""A printer that goes dead (switched off, unplugged from the network) while a
reported paper-out holds the job: the job waits for the paper without a time
limit, but not for a printer whose TCP stack acknowledges nothing any more --
the connection ends after three times timeout= (at least 30 s) and the job
fails as after any lost printer, where TCP alone would hold it for a quarter of
an hour.  The dead printer is made by dropping every packet on the loopback
interface, so the test runs in a network namespace of its own (unshare -n,
tc); without them (not root, no iproute2) it is skipped."""

import os
import shutil
import subprocess
import sys
import time
import unittest

import fptest

NETNS = os.environ.get("FP_TEST_NETNS") == "1"


def in_own_netns():
    """Re-runs this file in a new network namespace with its loopback up, if it can."""
    if NETNS or os.geteuid() != 0 or not all(shutil.which(p) for p in ("unshare", "tc", "ip")):
        return
    # Everything the test does, tried once in a namespace of its own (thrown away).
    probe = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up && tc qdisc add dev lo "
                            "root pfifo limit 0"], capture_output=True)
    if probe.returncode != 0:
        return
    os.environ["FP_TEST_NETNS"] = "1"
    os.execvp("unshare", ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"',
                          sys.executable] + sys.argv)


@unittest.skipUnless(NETNS, "needs root, unshare -n, ip and tc (iproute2)")
class PrinterSwitchedOff(fptest.TestCase):

    def test_a_dead_printer_during_a_paper_out_ends_the_job(self):
        emu = self.emulator("--stall-after", 200000, "--stall-reason", "paper-out",
                            "--buffer", 8192)                  # the paper never comes back
        b = self.backend(self.socket_uri(emu, "reset=escpos&timeout=2000&status=auto"),
                         spool_file=self.spool(fptest.receipt("dead", rows=40000)))
        b.proc.wait_line(r"^STATE: \+media-empty-error", timeout=30)
        held = time.time()
        subprocess.run(["tc", "qdisc", "add", "dev", "lo", "root", "pfifo", "limit", "0"],
                       check=True)                             # the printer is switched off
        self.assertEqual(b.proc.wait(120), fptest.CUPS_BACKEND_FAILED, b.proc.stderr())
        took = b.proc.ended - held
        err = b.proc.stderr()
        self.assertIn("ERROR: The device went away", err)
        self.assertGreaterEqual(took, 30 - 1)   # not before the bound: a paused printer waits
        self.assertLess(took, 30 + 30)          # and not TCP's quarter of an hour
        self.assertNotIn("accepted nothing", err)


if __name__ == "__main__":
    in_own_netns()
    fptest.main()

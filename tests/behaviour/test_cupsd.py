"""Through a real (private) cupsd: lpinfo, lpadmin, lp, cancel, cancel -x, two
queues on one device, a printer that goes away -- with the emulator as the
printer."""

import os
import re
import subprocess
import time
import unittest

import cupsd
import fptest

RATE = 40000
IDLE = 1500
NEXT = b"\x1b@" + fptest.text("NEXT RECEIPT")


@unittest.skipIf(cupsd.available(), cupsd.available())
class Scheduler(fptest.TestCase):

    def setUp(self):
        super().setUp()
        self.cups = cupsd.Cupsd(extra_conf="JobRetryInterval 1")
        self.addCleanup(self.cups.stop)

    def emulator(self, *args, **kwargs):
        self.emu = super().emulator(*args, **kwargs)
        return self.emu

    def uri(self, emu, query="reset=escpos&idle=%d" % IDLE):
        return "flushprinter+socket://127.0.0.1:%d/?%s" % (emu.port, query)

    def raw_queue(self, name, emu, query="reset=escpos&idle=%d" % IDLE):
        self.cups.add_queue(name, self.uri(emu, query), "-m", "raw")

    def print_file(self, queue, data, name="job", *options):
        return self.cups.submit(queue, self.spool(data, name), *options)

    def cancel_mid_image(self, queue, name, *cancel_options):
        """Print a big receipt on `queue`, cancel it 0.3 s into its image; the job id."""
        job = self.print_file(queue, fptest.receipt(name, rows=4000), "big")
        self.emu.wait_event("image-begin")
        time.sleep(0.3)
        self.cups.run("cancel", *cancel_options, "%s-%d" % (queue, job))
        return job

    def assertLogged(self, pattern, timeout=30):
        """cupsd logs a line matching `pattern` within `timeout` seconds; the line.  The
        job's processes log through a pipe that cupsd reads in its own time: a line may
        come after anything the test saw from the printer."""
        return self.cups.wait_logged(pattern, timeout)

    def assertNotStopped(self, queue):
        # (a state, not just "not stopped": a failed ipptool gives none and proves nothing)
        state, reasons, message = self.cups.printer_state(queue)
        self.assertIn(state, ("idle", "processing"), (reasons, message))
        self.assertNotIn("paused", reasons)

    # 1
    def test_lpinfo_lists_the_backend_and_lpadmin_makes_a_working_queue(self):
        # Only our schemes.  Under CI load cupsd's device discovery has now and then
        # failed as a whole ("Bad file descriptor") or come back empty: ask again a few times.
        listed = ""
        for attempt in range(5):
            listed = self.cups.run("lpinfo", "--include-schemes",
                                   "flushprinter+socket,flushprinter+file,flushprinter+usb", "-v",
                                   check=False).stdout
            if "network flushprinter+socket" in listed:
                break
            time.sleep(1)
        self.assertIn("network flushprinter+socket", listed)
        emu = self.emulator()
        self.raw_queue("receipt", emu)
        self.assertIn("receipt accepting requests", self.cups.run("lpstat", "-a").stdout)
        job = self.print_file("receipt", fptest.receipt("one"))
        self.assertEqual(self.cups.wait_job(job), "completed")
        # the backend was done once the printer's TCP stack had every byte; the
        # printer reads and parses them a moment later
        emu.wait_event("close", conn=1)
        self.assertEqual(emu.texts(), ["BEGIN one", "END one"])
        self.assertNotStopped("receipt")

    # 2
    def test_cancel_on_a_raw_queue_completes_resets_and_holds_the_next_job(self):
        emu = self.emulator("--rate", RATE)
        self.raw_queue("receipt", emu)
        big = self.cancel_mid_image("receipt", "canceled")
        nxt = self.print_file("receipt", NEXT, "next")     # right after the cancel
        # While the port is quiet, lpstat shows why nothing prints.
        end, message = time.time() + 30, ""
        while "Printer port quiet for" not in message and time.time() < end:
            message = self.cups.printer_state("receipt")[2]
            time.sleep(0.02)
        self.assertIn("Printer port quiet for", message)
        self.assertEqual(self.cups.wait_job(nxt), "completed")
        self.assertEqual(self.cups.ipp_job_state(big), "canceled")
        images, reset = emu.completed_image()              # with bands: the band it ended
        image = images[-1]
        self.assertEqual((image.conn, image["swallowed"]), (1, 0))
        padding = fptest.padding_of(self.assertLogged(fptest.FLUSHED_PADDING))
        self.assertCompletionWhite(image, padding)
        self.assertLessEqual(image["zeros"], fptest.BAND * 72, "a cancel owes at most one band")
        self.assertEqual(reset.conn, 1)
        first = emu.wait_event("first-byte", conn=2)
        self.assertGreaterEqual(first.t, reset.t + IDLE / 1000 - 0.25)
        emu.wait_event("text", text="NEXT RECEIPT")
        self.assertNotIn("END canceled", emu.texts())
        self.assertCleanImages(emu)
        self.assertNotStopped("receipt")

    # 3
    def test_driver_queue_uses_the_filters_own_flush(self):
        emu = self.emulator("--rate", RATE)
        ppd = os.path.join(fptest.SRCDIR, "filter", "flushprinter-escpos.ppd")
        self.cups.add_queue("driver", self.uri(emu, "reset=escpos&idle=5000&grace=3000"),
                            "-P", ppd)
        job = self.print_file("driver", fptest.receipt("driven", rows=4000), "big",
                              "-o", "document-format=text/plain",
                              "-o", "flushprinter-reset=hex:1b4046494c5445520a",  # ESC @ FILTER LF
                              "-o", "flushprinter-idle=700")
        emu.wait_event("image-begin")
        time.sleep(0.3)
        self.cups.run("cancel", "driver-%d" % job)
        self.assertEqual(self.cups.wait_job(job), "canceled")
        image = emu.completed_image()[0][-1]               # with bands: the band it ended
        self.assertEqual(image["swallowed"], 0)
        emu.wait_event("text", text="FILTER")              # the filter's buffer, not the queue's
        # The filter logs its flush once the backend answered, the backend once the
        # printer's TCP stack had the reset: neither comes before or after the
        # printer parsing it, and cupsd writes both to its log when it reads them.
        self.assertLogged(r"flushprinter: flushed written=9 padding=%d idle=700 route=backend"
                          % image["zeros"])
        self.assertLogged(r"Printer flushed: %d padding bytes, 9 reset bytes; port quiet for "
                          r"700 ms" % image["zeros"])
        self.assertNotStopped("driver")

    # 4
    def wrapped_dymo_queue(self, emu):
        """A DYMO queue on CUPS's own rastertolabel, wrapped by flushprinter-wrap-ppd."""
        stock = subprocess.run(["/usr/lib/cups/daemon/cups-driverd", "cat",
                                "drv:///sample.drv/dymo.ppd"], capture_output=True,
                               check=True).stdout
        wrapped = subprocess.run([os.path.join(fptest.SRCDIR, "filter", "flushprinter-wrap-ppd"),
                                  "-r", "dymo", "-i", "600"], input=stock, capture_output=True,
                                 check=True).stdout
        self.assertIn(b'*FlushPrinterWrap: "rastertolabel"', wrapped)
        self.cups.add_queue("labels", self.uri(emu, "reset=dymo&idle=600&grace=3000"),
                            "-P", self.spool(wrapped, "labels.ppd"))
        # a 1-bit image: 200 x 400 dots of a grey pattern
        return self.spool(b"P4\n200 400\n" + b"\xaa" * (25 * 400), "label.pbm")

    def test_wrapper_mode_gives_a_stock_driver_flush_on_cancel(self):
        emu = self.emulator("--language", "dymo", "--rate", 20000)
        label = self.wrapped_dymo_queue(emu)
        job = self.cups.submit("labels", label, "-n", "30", "-o", "PageSize=w54h144")
        emu.wait_event("image-begin", timeout=30)
        time.sleep(0.3)
        canceled_at = time.time()
        self.cups.run("cancel", "labels-%d" % job)
        self.assertEqual(self.cups.wait_job(job), "canceled")
        # The unchanged driver's output was cut mid-label; our filter's reset
        # followed on the same connection, so nothing was left pending.
        reset = emu.wait_event("reset", after=canceled_at)
        self.assertEqual(reset.conn, 1)
        emu.wait_event("close", conn=1)
        self.assertEqual([e for e in emu.events("pending") if e.conn == 1], [])
        self.assertLogged(r"flushprinter: wrapping .*/filter/rastertolabel")
        # The backend's dymo tracker completed the raster line the cut left
        # half-sent with white bytes: less than one line (29 bytes at 300 dpi),
        # and exactly the white bytes that ended the cut label.
        flushed = self.assertLogged(r"flushprinter: flushed written=102 padding=(\d+) idle=600 "
                                    r"route=backend")
        padding = int(re.search(r"padding=(\d+)", flushed).group(1))
        self.assertLess(padding, 29, flushed)
        cut = [e for e in emu.events("image-end") if e.conn == 1][-1]
        self.assertEqual((cut["zeros"], cut["swallowed"]), (padding, 0),
                         "the completion must be the cut label's only white bytes")
        nxt = self.cups.submit("labels", label, "-o", "PageSize=w54h144")
        self.assertEqual(self.cups.wait_job(nxt, timeout=60), "completed")
        emu.wait_event("close", conn=2, timeout=30)
        labels = [e for e in emu.events("image-end") if e.conn == 2]
        self.assertTrue(labels)
        self.assertEqual([e["swallowed"] for e in labels], [0] * len(labels))
        self.assertNotStopped("labels")

    def test_wrapped_driver_prints_whole_jobs(self):
        emu = self.emulator("--language", "dymo")
        label = self.wrapped_dymo_queue(emu)
        job = self.cups.submit("labels", label, "-n", "3", "-o", "PageSize=w54h144")
        self.assertEqual(self.cups.wait_job(job, timeout=60), "completed")
        emu.wait_event("close", conn=1, timeout=30)
        self.assertEqual(len(emu.events("label")), 3)
        self.assertEqual([e["swallowed"] for e in emu.events("image-end")], [0, 0, 0])

    # 5
    def test_purge_mid_job_still_protects_the_next_job(self):
        emu = self.emulator("--rate", RATE)
        self.raw_queue("receipt", emu)
        self.cancel_mid_image("receipt", "purged", "-x")
        nxt = self.print_file("receipt", NEXT, "next")
        self.assertEqual(self.cups.wait_job(nxt), "completed")
        self.check_completed_by_padding_only(emu)
        emu.wait_event("text", text="NEXT RECEIPT")
        self.assertNotStopped("receipt")

    def check_completed_by_padding_only(self, emu):
        """The interrupted image was completed with white padding only -- by the
        backend itself (SIGTERM first) or by the next job's recovery (SIGKILL); with bands,
        the band the cut fell in."""
        images, reset = emu.completed_image()
        image = images[-1]
        self.assertIn(image["swallowed"], (0, image["zeros"]), image)
        padding = fptest.padding_of(self.assertLogged(fptest.FLUSHED_PADDING))
        self.assertCompletionWhite(image, padding)
        self.assertGreaterEqual(reset.t, image.t)

    def test_modifying_the_printer_mid_job_restarts_it_clean(self):
        emu = self.emulator("--rate", RATE)
        self.raw_queue("receipt", emu)
        job = self.print_file("receipt", fptest.receipt("modified", rows=2000), "big")
        emu.wait_event("image-begin")
        time.sleep(0.3)
        # A new device URI makes cupsd stop the job at once and requeue it.
        self.cups.run("lpadmin", "-p", "receipt", "-v",
                      self.uri(emu, "reset=escpos&idle=%d&retries=2" % IDLE))
        self.assertEqual(self.cups.wait_job(job, timeout=90), "completed")
        self.check_completed_by_padding_only(emu)
        emu.wait_event("text", text="END modified")
        last = emu.events("image-end")[-1]
        self.assertEqual((last["swallowed"], last["zeros"]), (0, 0))
        self.assertNotStopped("receipt")

    # 6
    def test_two_queues_on_one_device_share_the_quiet_window(self):
        emu = self.emulator("--rate", RATE)
        self.raw_queue("first", emu)
        self.raw_queue("second", emu)
        self.cancel_mid_image("first", "first")
        other = self.print_file("second", NEXT, "next")
        self.assertEqual(self.cups.wait_job(other), "completed")
        reset = emu.wait_event("reset", after=emu.wait_event("image-end").t)
        self.assertGreaterEqual(emu.wait_event("first-byte", conn=2).t,
                                reset.t + IDLE / 1000 - 0.25)
        emu.wait_event("text", text="NEXT RECEIPT")
        self.assertCleanImages(emu)

    # 7
    def printer_goes_away_mid_job(self, policy):
        emu = self.emulator("--close-after", "60000@1", "--rate", 200000)
        self.raw_queue("receipt", emu, "reset=escpos&idle=300&timeout=1000&retries=1")
        self.cups.run("lpadmin", "-p", "receipt", "-o", "printer-error-policy=" + policy)
        job = self.print_file("receipt", fptest.receipt("flaky", rows=3000), "big")
        emu.wait_event("close", conn=1)                   # the printer dropped the job
        return emu, job

    def check_printed_whole(self, emu, job):
        self.assertEqual(self.cups.wait_job(job, timeout=60), "completed")
        emu.wait_event("text", text="END flaky")          # parsed after the backend's exit
        self.assertEqual(emu.texts()[-2:], ["BEGIN flaky", "END flaky"])
        last = emu.events("image-end")[-1]
        self.assertEqual((last["swallowed"], last["zeros"]), (0, 0))
        self.assertLogged(r"Printer failed after \d+ bytes of the job")

    def test_printer_gone_mid_job_with_stop_printer_policy(self):
        emu, job = self.printer_goes_away_mid_job("stop-printer")
        end = time.time() + 30
        while self.cups.printer_state("receipt")[0] != "stopped" and time.time() < end:
            time.sleep(0.05)
        state, reasons, message = self.cups.printer_state("receipt")
        self.assertEqual(state, "stopped")
        self.assertLogged(r"Printer failed after \d+ bytes of the job")
        self.assertNotEqual(self.cups.ipp_job_state(job), "completed")
        self.cups.run("cupsenable", "receipt")            # the administrator restarts it
        self.check_printed_whole(emu, job)

    def test_printer_gone_mid_job_with_retry_job_policy(self):
        emu, job = self.printer_goes_away_mid_job("retry-job")
        self.check_printed_whole(emu, job)                # retried after JobRetryInterval
        self.assertNotStopped("receipt")

    # 8
    def test_no_signal_ever_leaves_the_queue_stopped(self):
        emu = self.emulator("--rate", RATE)
        self.raw_queue("receipt", emu, "reset=escpos&idle=200")
        for delay in (0.0, 0.05, 0.3, 0.8):
            job = self.print_file("receipt", fptest.receipt("c%d" % (delay * 100), rows=2000),
                                  "j%d" % (delay * 100))
            time.sleep(delay)
            self.cups.run("cancel", "receipt-%d" % job)
            self.cups.wait_job(job)
            self.assertNotStopped("receipt")
        nxt = self.print_file("receipt", NEXT, "next")
        self.assertEqual(self.cups.wait_job(nxt), "completed")
        emu.wait_event("text", text="NEXT RECEIPT")
        self.assertCleanImages(emu)
        self.assertNotStopped("receipt")

    # 9
    def test_paper_out_shows_in_lpstat_and_the_receipt_prints_once(self):
        """status=auto: out of paper for 6 s mid-receipt (timeout= is 2 s): lpstat shows
        media-empty-error while it lasts, the job completes, the receipt prints once."""
        emu = self.emulator("--stall-after", 200000, "--resume-after", 6000,
                            "--stall-reason", "paper-out", "--buffer", 8192)
        self.raw_queue("receipt", emu, "reset=escpos&idle=%d&timeout=2000&status=auto" % IDLE)
        job = self.print_file("receipt", fptest.receipt("paper", rows=40000), "paper")
        emu.wait_event("condition", set="paper-out", timeout=30)
        end, reasons = time.time() + 5, ""
        while "media-empty-error" not in reasons and time.time() < end:
            reasons = self.cups.printer_state("receipt")[1]
            time.sleep(0.05)
        self.assertIn("media-empty-error", reasons)
        self.assertIn("media-empty-error", self.cups.run("lpstat", "-l", "-p", "receipt").stdout)
        self.assertEqual(self.cups.wait_job(job), "completed")
        self.assertNotIn("media-empty", self.cups.printer_state("receipt")[1])
        emu.wait_event("text", text="END paper")
        # (A retried job prints its start twice: the scheduler's log says why it was retried.)
        self.assertEqual(emu.texts(), ["BEGIN paper", "END paper"], "\n".join(
            l for l in self.cups.error_log().splitlines()
            if re.search(r"Printer status|ERROR|accepted nothing|media-empty|Job \d+ queued", l)))
        self.assertImagePrintedOnce(emu, 40000, 72)
        self.assertNotStopped("receipt")


if __name__ == "__main__":
    fptest.main()

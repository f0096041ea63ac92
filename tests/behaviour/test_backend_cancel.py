"""Cancel (SIGTERM) in every phase, the quiet window, and the dirty journal."""

import signal
import time

import fptest
from fptest import CUPS_BACKEND_OK

RATE = 40000           # printer drain rate, bytes/s: a big image takes seconds
IDLE = 1500            # quiet window after a cancel, ms


class CancelMidImage(fptest.TestCase):
    """The core promise: a canceled image is completed with white, then reset."""

    def start_big_job(self, emu, query="reset=escpos&idle=%d" % IDLE, raw=True, rows=4000):
        job = fptest.receipt("canceled", rows=rows)          # 72 bytes a row
        if raw:
            b = self.backend(self.socket_uri(emu, query), spool_file=self.spool(job))
        else:
            b = self.backend(self.socket_uri(emu, query))
            b.write_async(job)
        emu.wait_event("image-begin")
        time.sleep(0.3)                                      # well inside the image
        return b, job

    def check_completed_and_reset(self, emu, b, timeout=10):
        """The image ends with white padding from conn 1 and ESC @ follows it."""
        b.proc.wait_line(r"^INFO: Printer flushed: \d+ padding bytes, 2 reset bytes", timeout)
        emu.wait_event("close", conn=1, timeout=timeout)     # all it sent is parsed
        image = emu.last_event("image-end")                  # the band the completion ended
        reset = emu.wait_event("reset", after=image.t)
        self.assertEqual(image.conn, 1)
        self.assertEqual(image["swallowed"], 0)
        padding = int(b.proc.wait_line(r"Printer flushed: (\d+)").split()[3])
        self.assertCompletionWhite(image, padding)
        self.assertGreaterEqual(reset.t, image.t)
        return image, reset

    def check_stopped_early(self, emu, b, job):
        """The canceled job stopped: far less than the whole job reached the printer."""
        line = b.proc.wait_line(r"^INFO: Job canceled after \d+ bytes")
        self.assertLess(int(line.split()[4]), len(job) // 2)
        emu.wait_event("close", conn=1)       # the printer has parsed all the job sent
        self.assertNotIn("END canceled", emu.texts())

    def window_start(self, b):
        """When the backend armed the quiet window (it logs right after arming it)."""
        return b.proc.line_time(r"^INFO: Printer flushed")

    def next_job_is_clean(self, emu, job_id=2):
        job = b"\x1b@" + fptest.text("NEXT RECEIPT")
        nxt = self.backend(self.socket_uri(emu, "reset=escpos"), spool_file=self.spool(job, "next"),
                           job_id=job_id)
        self.assertEqual(nxt.proc.wait(), CUPS_BACKEND_OK, nxt.proc.stderr())
        emu.wait_event("text", text="NEXT RECEIPT")
        self.assertCleanImages(emu)
        return nxt

    def test_raw_queue_cancel_completes_resets_and_holds_quiet(self):
        emu = self.emulator("--rate", RATE)
        b, job = self.start_big_job(emu)
        b.proc.signal(signal.SIGTERM)
        # The next job is submitted at once; it must wait out the window.
        nxt_job = b"\x1b@" + fptest.text("NEXT RECEIPT")
        nxt = self.backend(self.socket_uri(emu, "reset=escpos"), job_id=2,
                           spool_file=self.spool(nxt_job, "next"))
        image, reset = self.check_completed_and_reset(emu, b)
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK)
        self.check_stopped_early(emu, b, job)
        # The backend stays alive for the window (that holds the queue) ...
        quiet_end = self.window_start(b) + IDLE / 1000
        self.assertGreaterEqual(b.proc.ended, quiet_end - 0.05)
        # ... and the next job's first byte is no earlier than its end.
        self.assertEqual(nxt.proc.wait(), CUPS_BACKEND_OK, nxt.proc.stderr())
        first = emu.wait_event("first-byte", conn=2)
        self.assertGreaterEqual(first.t, quiet_end - 0.05)
        emu.wait_event("text", text="NEXT RECEIPT")
        self.assertCleanImages(emu)

    def test_filter_queue_cancel_discards_the_pipe(self):
        emu = self.emulator("--rate", RATE)
        b, job = self.start_big_job(emu, raw=False)
        b.proc.signal(signal.SIGTERM)
        self.check_completed_and_reset(emu, b)
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK)
        self.check_stopped_early(emu, b, job)
        self.next_job_is_clean(emu)

    def test_second_sigterm_stops_a_long_flush_and_the_next_job_finishes_it(self):
        emu = self.emulator("--rate", 8000)          # the padding takes seconds
        # unbanded: with bands a completion owes one band, far too short to interrupt
        b, job = self.start_big_job(emu, query="reset=escpos&idle=200&band=0", rows=800)
        b.proc.signal(signal.SIGTERM)
        b.proc.wait_line(r"^INFO: Job canceled")
        b.proc.signal(signal.SIGTERM)
        second = time.time()
        self.assertEqual(b.proc.wait(10), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertLess(b.proc.ended - second, 2.0, "a second SIGTERM ends the flush at once")
        line = b.proc.wait_line(r"^WARNING: Flush stopped by a cancel after \d+ completion bytes; "
                                r"[1-9]\d* still owed")
        nxt_job = b"\x1b@" + fptest.text("NEXT RECEIPT")
        nxt = self.backend(self.socket_uri(emu, "reset=escpos"), job_id=2,
                           spool_file=self.spool(nxt_job, "next"))
        self.assertEqual(nxt.proc.wait(60), CUPS_BACKEND_OK, nxt.proc.stderr())
        emu.wait_event("text", text="NEXT RECEIPT")
        nxt.proc.wait_line(r"^INFO: Job 1 was interrupted")
        image = emu.wait_event("image-end")
        # The next job's recovery paid exactly the rest (bytes of other connections that
        # the image took), and only then came its own data.
        self.assertEqual(image["swallowed"], int(line.split()[10]))

    def test_sigterm_during_the_quiet_window_still_holds_it(self):
        emu = self.emulator("--rate", RATE)
        b, job = self.start_big_job(emu)
        b.proc.signal(signal.SIGTERM)
        b.proc.wait_line(r"^INFO: Printer port quiet for")
        b.proc.signal(signal.SIGTERM)
        self.check_completed_and_reset(emu, b)
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK)
        self.assertGreaterEqual(b.proc.ended, self.window_start(b) + IDLE / 1000 - 0.05)


class CancelBeforeData(fptest.TestCase):

    def test_cancel_while_connecting(self):
        port = fptest.free_port()
        b = self.backend("flushprinter+socket://127.0.0.1:%d/?contimeout=60000" % port,
                         spool_file=self.spool(fptest.receipt("never")))
        b.proc.wait_line(r"^STATE: \+connecting-to-device")
        start = time.time()
        b.proc.signal(signal.SIGTERM)
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK)
        self.assertLess(time.time() - start, 2)
        b.proc.wait_line(r"^INFO: Job canceled before it reached the printer")

    def test_cancel_while_waiting_for_another_jobs_quiet_window(self):
        emu = self.emulator("--rate", RATE)
        first = self.backend(self.socket_uri(emu, "reset=escpos&idle=5000"),
                             spool_file=self.spool(fptest.receipt("first", rows=4000)))
        emu.wait_event("image-begin")
        first.proc.signal(signal.SIGTERM)
        first.proc.wait_line(r"^INFO: Printer port quiet")
        first.proc.kill()                       # purge: the window must outlive the process
        second = self.backend(self.socket_uri(emu, "reset=escpos"), job_id=2,
                              spool_file=self.spool(fptest.receipt("second"), "second"))
        second.proc.wait_line(r"^INFO: Printer port quiet for \d+ ms after an interrupted job")
        second.proc.signal(signal.SIGTERM)
        self.assertEqual(second.proc.wait(), CUPS_BACKEND_OK)
        second.proc.wait_line(r"^INFO: Job canceled before it reached the printer")
        self.assertEqual([e.conn for e in emu.events("open")], [1])


class TwoQueuesOneDevice(fptest.TestCase):
    """cupsd does not serialize two queues with one device URI; the backend does."""

    def test_second_queue_waits_for_the_device(self):
        emu = self.emulator("--rate", 200000)
        first = self.backend(self.socket_uri(emu, "reset=escpos"),
                             spool_file=self.spool(fptest.receipt("first", rows=2000), "a"))
        emu.wait_event("image-begin")
        second = self.backend(self.socket_uri(emu, "reset=escpos&idle=300"), job_id=7,
                              spool_file=self.spool(fptest.receipt("second"), "b"))
        second.proc.wait_line(r"^INFO: Waiting for the printer: another job is using it")
        self.assertEqual(first.proc.wait(30), CUPS_BACKEND_OK)
        self.assertEqual(second.proc.wait(30), CUPS_BACKEND_OK)
        # a backend is done once the printer's TCP stack has every byte; the printer
        # parses the last of them a moment later
        emu.wait_event("close", conn=2)
        self.assertEqual(emu.texts(), ["BEGIN first", "END first", "BEGIN second", "END second"])
        self.assertGreaterEqual(emu.wait_event("first-byte", conn=2).t,
                                emu.wait_event("close", conn=1).t)
        self.assertCleanImages(emu)

    def test_cancel_on_one_queue_holds_the_other_for_the_window(self):
        emu = self.emulator("--rate", RATE)
        first = self.backend(self.socket_uri(emu, "reset=escpos&idle=%d" % IDLE),
                             spool_file=self.spool(fptest.receipt("first", rows=1000), "a"))
        emu.wait_event("image-begin")
        first.proc.signal(signal.SIGTERM)
        first.proc.wait_line(r"^INFO: Printer flushed")
        armed = first.proc.line_time(r"^INFO: Printer flushed")
        other = self.backend(self.socket_uri(emu, "reset=escpos"), job_id=8,
                             spool_file=self.spool(b"\x1b@" + fptest.text("OTHER QUEUE"), "b"))
        self.assertEqual(other.proc.wait(30), CUPS_BACKEND_OK, other.proc.stderr())
        self.assertGreaterEqual(emu.wait_event("first-byte", conn=2).t, armed + IDLE / 1000 - 0.05)
        emu.wait_event("text", text="OTHER QUEUE")
        self.assertCleanImages(emu)


class DirtyJournal(fptest.TestCase):

    def test_sigkill_mid_image_is_flushed_by_the_next_job(self):
        emu = self.emulator("--rate", RATE)
        job = fptest.receipt("killed", rows=4000)
        b = self.backend(self.socket_uri(emu, "reset=escpos"), spool_file=self.spool(job))
        emu.wait_event("image-begin")
        time.sleep(0.3)
        b.proc.kill()
        nxt_job = b"\x1b@" + fptest.text("AFTER CRASH")
        nxt = self.backend(self.socket_uri(emu, "reset=escpos"), job_id=2,
                           spool_file=self.spool(nxt_job, "next"))
        self.assertEqual(nxt.proc.wait(60), CUPS_BACKEND_OK, nxt.proc.stderr())
        nxt.proc.wait_line(r"^INFO: Job 1 was interrupted after \d+ bytes without a flush")
        emu.wait_event("close", conn=2)
        image = emu.last_event("image-end", owner=1)         # the band the recovery ended
        self.assertCompletionWhite(image, self.flushed_padding(nxt.proc))
        self.assertEqual(image["swallowed"], image["zeros"],
                         "only the recovery's white padding may complete the image")
        emu.wait_event("text", text="AFTER CRASH")
        resets = emu.events("reset")
        self.assertTrue(any(r.conn == 2 and r.t >= image.t for r in resets))

    def test_clean_job_leaves_no_recovery(self):
        emu = self.emulator()
        for job_id in (1, 2):
            b = self.backend(self.socket_uri(emu, "reset=escpos"), job_id=job_id,
                             spool_file=self.spool(fptest.receipt("ok%d" % job_id), "j%d" % job_id))
            self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK)
            self.assertNotIn("was interrupted", b.proc.stderr())
        emu.wait_event("close", conn=2)                       # all parsed
        self.assertEqual(emu.events("reset")[-1].conn, 2)     # only the jobs' own ESC @
        self.assertCleanImages(emu)


class WithoutFlushing(fptest.TestCase):
    """The failure this project exists for, shown on the same emulator."""

    def test_without_reset_the_next_job_is_swallowed(self):
        emu = self.emulator("--rate", RATE)
        job = fptest.receipt("canceled", rows=4000)
        b = self.backend(self.socket_uri(emu, "reset=none&language=none&idle=0"),
                         spool_file=self.spool(job))
        emu.wait_event("image-begin")
        time.sleep(0.3)
        b.proc.signal(signal.SIGTERM)
        self.assertEqual(b.proc.wait(), CUPS_BACKEND_OK)
        nxt = self.backend(self.socket_uri(emu, "reset=none"), job_id=2,
                           spool_file=self.spool(b"\x1b@" + fptest.text("NEXT RECEIPT"), "n"))
        self.assertEqual(nxt.proc.wait(), CUPS_BACKEND_OK)
        emu.wait_event("close", conn=2)
        self.assertNotIn("NEXT RECEIPT", emu.texts())
        self.assertEqual(emu.events("image-end"), [])   # still waiting for pixels


if __name__ == "__main__":
    fptest.main()

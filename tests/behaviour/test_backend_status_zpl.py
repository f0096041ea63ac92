"""ZPL printer status (status=): a ZPL printer has no unsolicited status, so the
backend asks ~HS between formats as the job goes, one query at a time.  A
paper-out shows as media-empty-error and is waited out beyond timeout= while
the printer, paused, still takes bytes into its receive buffer and answers the
queries among them; every label prints once.  The job is completed only when
~HS counts nothing unprinted, and a cancel's flush is verified by a ~HS
answered outside any format: with status=on, and by default too (confirm=auto,
verify=auto: ~HS is the blind-safe probe); confirm=off and verify=off turn
them off."""


import fptest
from fptest import CUPS_BACKEND_OK

HS = "7e4853"           # ~HS, as the emulator logs a query
LABELS = 6000           # about 250 kB of small labels


def labels(name, count=LABELS):
    return (fptest.zpl_label("BEGIN " + name)
            + b"".join(fptest.zpl_label("%s %d" % (name, i)) for i in range(count))
            + fptest.zpl_label("END " + name))


def graphic_labels(name, count=40, graphic=20000, row=100):
    """Labels each with a ^GFA graphic of `graphic` bytes (hex, twice that on the wire) and
    a field naming it: the formats are long, so a command boundary comes only every 40 kB."""
    fmt = (b"^XA^FO0,0^GFA,%d,%d,%d," % (graphic, graphic, row) + b"A5" * graphic
           + b"^FS^FO20,20^A0N,30,30^FD%s^FS^XZ\n")
    return (fptest.zpl_label("BEGIN " + name)
            + b"".join(fmt % ("%s %d" % (name, i)).encode() for i in range(count))
            + fptest.zpl_label("END " + name))


def paused_printer(test, *args):
    """A ZPL printer that takes 128 kB more into its receive buffer while paused."""
    return test.emulator("--language", "zpl", "--stall-reason", "paper-out", "--buffer", 8192,
                         "--hold", 131072, *args)


class PaperOut(fptest.TestCase):

    def test_paper_out_mid_job_waits_and_prints_once(self):
        emu = paused_printer(self, "--stall-after", 40000, "--resume-after", 5000)
        uri = self.socket_uri(emu, "language=zpl&reset=zpl&timeout=2000&status=auto")
        b = self.backend(uri, spool_file=self.spool(labels("paper")))
        b.proc.wait_line(r"^INFO: Printer status is on: the printer answers zpl status queries")
        self.assertPaperOutWaitedOut(emu, b, 5)             # beyond timeout=
        self.assertLabelsOnce(emu, "paper", LABELS)
        queries = emu.events("query")
        self.assertEqual({q.fields["cmd"] for q in queries}, {HS})   # nothing but ~HS
        # Asked again as the job went (one unanswered at most, and 8 kB apart at least).
        self.assertGreaterEqual(len(queries), 3)
        self.assertLessEqual(len(queries), len(labels("paper")) // 8192 + 4)

    def test_paper_out_among_long_formats(self):
        # 40 kB formats: the query waits for the next boundary, whatever the writes' sizes,
        # and one is among what the paused printer still takes in.
        emu = paused_printer(self, "--stall-after", 300000, "--resume-after", 4000)
        uri = self.socket_uri(emu, "language=zpl&reset=zpl&timeout=2000&status=auto")
        b = self.backend(uri, spool_file=self.spool(graphic_labels("long")))
        b.proc.wait_line(r"^INFO: Printer status is on")
        self.assertPaperOutWaitedOut(emu, b, 4)
        self.assertLabelsOnce(emu, "long", 40)
        self.assertEqual(len(emu.events("image-end")), 40)
        # Asked at about every format boundary up to the stall (a few answers are still out)
        self.assertGreaterEqual(len(emu.events("query")), 300000 // 40000)

    def test_a_printer_that_stops_reading_at_once_is_todays_behaviour(self):
        # No receive buffer while paused: no query gets through, nothing says paper out,
        # and timeout= judges the stall as it does without status.
        emu = self.emulator("--language", "zpl", "--stall-reason", "paper-out", "--buffer", 8192,
                            "--stall-after", 40000, "--resume-after", 8000)
        uri = self.socket_uri(emu, "language=zpl&reset=zpl&timeout=2000&status=auto")
        b = self.backend(uri, spool_file=self.spool(labels("stuck")))
        self.assertEqual(b.proc.wait(60), fptest.CUPS_BACKEND_FAILED, b.proc.stderr())
        self.assertIn("ERROR: The printer accepted nothing for 2000 ms", b.proc.stderr())
        self.assertNotIn("media-empty", b.proc.stderr())

    def test_dumb_printer(self):
        emu = self.emulator("--language", "zpl", "--dumb")
        uri = self.socket_uri(emu, "language=zpl&reset=zpl&status=auto")
        b = self.backend(uri, spool_file=self.spool(labels("dumb", 20)))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertIn("INFO: Printer status is off: the printer did not answer its status query "
                      "in 1000 ms", b.proc.stderr())
        self.assertLabelsOnce(emu, "dumb", 20)
        self.assertEqual([q.fields["cmd"] for q in emu.events("query")], [HS])   # the probe only


class Completion(fptest.TestCase):

    def test_confirmed_only_once_printed(self):
        self.check_confirmed_only_once_printed("status=on")

    def test_confirmed_by_default(self):
        # status=auto and confirm=auto: ~HS is the blind-safe probe itself, so a ZPL
        # printer that answered it is asked to confirm without status=on.
        self.check_confirmed_only_once_printed("")

    def check_confirmed_only_once_printed(self, query):
        # Paper out with the job's last 20 kB in the paused printer's receive buffer: the
        # backend has sent everything, and still the job completes only once ~HS counts
        # nothing unprinted, after the paper came back.
        job = labels("tail")
        emu = paused_printer(self, "--stall-after", len(job) - 20000, "--resume-after", 3000)
        uri = self.socket_uri(emu, "language=zpl&reset=zpl&timeout=2000&" + query)
        b = self.backend(uri, spool_file=self.spool(job))
        confirmed = r"^INFO: The printer confirmed it printed the job"
        b.proc.wait_line(confirmed, timeout=30)
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        clear = emu.wait_event("condition", cleared="paper-out")
        self.assertGreaterEqual(b.proc.line_time(confirmed), clear.t)
        self.assertIn("STATE: +media-empty-error", b.proc.stderr())
        end = emu.wait_event("text", text="END tail")
        self.assertGreaterEqual(end.t, clear.t)             # printed after the paper came back
        # Asked until an answer counted nothing unprinted: the last reply says 000 formats.
        last = emu.events("reply")[-1]
        self.assertIn("2c3030302c", last.fields["data"][:60])   # ",000," formats waiting


    def test_confirm_off_ends_when_the_printer_took_it_all(self):
        # The paper runs out with the tail in the printer: confirm=off does not wait for it.
        job = labels("unconfirmed")
        emu = paused_printer(self, "--stall-after", len(job) - 20000, "--resume-after", 6000)
        uri = self.socket_uri(emu, "language=zpl&reset=zpl&timeout=2000&status=on&confirm=off")
        b = self.backend(uri, spool_file=self.spool(job))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertNotIn("confirmed it printed", b.proc.stderr())
        clear = emu.wait_event("condition", cleared="paper-out", timeout=20)
        self.assertLess(b.proc.ended, clear.t)              # done before the paper came back
        self.assertLabelsOnce(emu, "unconfirmed", LABELS, timeout=20)


class ChangedPrefix(fptest.TestCase):

    def test_no_query_while_the_job_has_changed_the_tilde(self):
        # ~CT+ makes + the control prefix: "~HS" would be text, so none goes until the job
        # puts ~ back (+CT~), and the completion is asked after that.
        emu = self.emulator("--language", "zpl")
        uri = self.socket_uri(emu, "language=zpl&reset=zpl&status=on")
        job = b"~CT+\n" + labels("plus") + b"+CT~\n"
        b = self.backend(uri, spool_file=self.spool(job))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        b.proc.wait_line(r"^INFO: The printer confirmed it printed the job")
        self.assertLabelsOnce(emu, "plus", LABELS)
        queries = emu.events("query")
        end = emu.wait_event("text", text="END plus")
        # The probe before the job, then only questions after its end.
        self.assertLess(queries[0].t, emu.events("text")[0].t)
        self.assertEqual([q for q in queries[1:] if q.t < end.t], [])
        self.assertGreaterEqual(len(queries), 2)

    def test_a_job_that_leaves_the_tilde_changed_is_asked_once_it_is_put_back(self):
        # The tracker counts a changed tilde as a debt: the flush at the job's end puts ~
        # back (+CT~), and only then is the printer asked to confirm.
        emu = self.emulator("--language", "zpl")
        uri = self.socket_uri(emu, "language=zpl&reset=zpl&status=on")
        b = self.backend(uri, spool_file=self.spool(b"~CT+\n" + labels("left", 100)))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        b.proc.wait_line(r"^WARNING: The job ended in the middle of a command \(4 bytes owed\)")
        b.proc.wait_line(r"^INFO: The printer confirmed it printed the job")
        self.assertLabelsOnce(emu, "left", 100)
        end = emu.wait_event("text", text="END left")
        self.assertEqual([q for q in emu.events("query")[1:] if q.t < end.t], [])

    def test_not_asked_to_confirm_after_a_refused_flush(self):
        # maxflush=0 refuses even the 4 bytes that put ~ back: the printer's prefixes are
        # not known, so it is not asked anything (a question could be text to it).
        emu = self.emulator("--language", "zpl")
        uri = self.socket_uri(emu, "language=zpl&reset=zpl&status=on&maxflush=0")
        b = self.backend(uri, spool_file=self.spool(b"~CT+\n" + labels("refused", 100)))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        b.proc.wait_line(r"^INFO: The printer was not asked to confirm the job: the flush at its "
                         r"end could not complete the command it was in")
        self.assertLabelsOnce(emu, "refused", 100)
        self.assertEqual([q.fields["cmd"] for q in emu.events("query")], [HS])   # the probe


class VerifiedFlush(fptest.TestCase):

    def test_cancel_mid_graphic_is_verified(self):
        self.check_cancel_mid_graphic_is_verified("status=on&idle=500")

    def test_cancel_mid_graphic_is_verified_by_default(self):
        self.check_cancel_mid_graphic_is_verified("idle=500")

    def test_verify_off_asks_nothing_after_the_flush(self):
        emu = self.emulator("--language", "zpl", "--rate", 200000)
        uri = self.socket_uri(emu, "language=zpl&reset=zpl&timeout=2000&status=on&verify=off")
        b = self.cancel_in_first_image(emu, uri, fptest.zpl_graphic_labels("cut", labels=2))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        b.proc.wait_line(r"^INFO: Printer flushed: ")
        self.assertNotIn("back at command level", b.proc.stderr())
        image = emu.wait_event("image-end")                 # completed by the flush
        emu.wait_event("close", conn=1)
        self.assertEqual([q for q in emu.events("query") if q.t > image.t], [])

    def check_cancel_mid_graphic_is_verified(self, query):
        emu = self.emulator("--language", "zpl", "--rate", 200000)
        uri = self.socket_uri(emu, "language=zpl&reset=zpl&timeout=2000&" + query)
        b = self.cancel_in_first_image(emu, uri, fptest.zpl_graphic_labels("cut", labels=2))
        b.proc.wait_line(r"^INFO: Printer confirmed it is back at command level after the "
                         r"cancel's flush \(\d+ ms\)", timeout=30)
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        # The question went after the completed graphic and the reset.
        image = emu.wait_event("image-end")
        last = [q for q in emu.events("query") if q.fields["cmd"] == HS][-1]
        self.assertGreater(last.t, image.t)
        self.assertNotIn("WARNING", b.proc.stderr())


    def test_recovery_is_verified_before_the_next_job(self):
        # A backend killed mid-graphic leaves the device dirty; the next job completes the
        # download, resets, has the printer answer ~HS outside any format, then prints.
        emu = self.emulator("--language", "zpl", "--rate", 200000)
        uri = self.socket_uri(emu, "language=zpl&reset=zpl&timeout=2000&status=on")
        b = self.backend(uri, spool_file=self.spool(fptest.zpl_graphic_labels("killed", labels=2)))
        emu.wait_event("image-begin")
        b.proc.kill()
        emu.wait_event("close", conn=1)
        nxt = self.backend(uri, job_id=2, spool_file=self.spool(labels("after", 5), "next"))
        self.assertRecoveryConfirmed(nxt)
        emu.wait_event("text", text="END after")
        self.assertEqual(emu.texts(conn=2), ["BEGIN after"] + ["after %d" % i for i in range(5)]
                         + ["END after"])

if __name__ == "__main__":
    fptest.main()

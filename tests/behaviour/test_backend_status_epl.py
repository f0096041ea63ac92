"""EPL2 printer status (status=on only: ^ee is a text line that a printer
without EPL prints).  EPL2 sends nothing unasked, so the backend asks ^ee
between commands as the job goes, one query at a time; a paper-out shows as
media-empty-error and is waited out beyond timeout= while the paused printer
still takes bytes into its input buffer and answers the query among them,
and every label prints once.  The job completes once a ^ee asked after its
last byte reports nothing that stops printing, and a cancel's flush is
verified by a ^ee that only a printer between commands answers."""

import signal

import fptest
from fptest import CUPS_BACKEND_OK

EE = "5e6565"           # ^ee, as the emulator logs a query
LABELS = 3000           # about 120 kB of small labels


def epl_label(text):
    return b'N\nA20,20,0,3,1,1,N,"%s"\nP1\n' % text.encode()


def labels(name, count=LABELS):
    return (epl_label("BEGIN " + name)
            + b"".join(epl_label("%s %d" % (name, i)) for i in range(count))
            + epl_label("END " + name))


def graphic_labels(name, count=4, rows=2000, row=100):
    """Labels with a GW graphic of rows * row bytes each (binary: no command inside)."""
    fmt = (b"N\nGW0,0,%d,%d," % (row, rows) + b"\xff" * (row * rows)
           + b'\nA20,20,0,3,1,1,N,"%s"\nP1\n')
    return (epl_label("BEGIN " + name)
            + b"".join(fmt % ("%s %d" % (name, i)).encode() for i in range(count))
            + epl_label("END " + name))


def paused_printer(test, *args):
    """An EPL2 printer that takes up to 7000 bytes more into its input buffer while paused
    (ESim answers ^ee while less than 8000 bytes wait there)."""
    return test.emulator("--language", "epl", "--stall-reason", "paper-out", "--buffer", 4096,
                         "--hold", 7000, *args)


QUERY = "language=epl&reset=epl&timeout=2000&status=on"


class EplStatus(fptest.TestCase):

    def test_auto_keeps_it_off_and_asks_nothing(self):
        emu = self.emulator("--language", "epl")
        b = self.backend(self.socket_uri(emu, "language=epl&reset=epl"),
                         spool_file=self.spool(labels("auto", 10)))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertIn("INFO: Printer status is off: the language's status query is not safe "
                      "for a printer that does not know it (status=on sends it)", b.proc.stderr())
        self.assertLabelsOnce(emu, "auto", 10)
        self.assertEqual(emu.events("query"), [])

    def test_paper_out_mid_job_waits_and_prints_once(self):
        emu = paused_printer(self, "--stall-after", 40000, "--resume-after", 5000)
        b = self.backend(self.socket_uri(emu, QUERY), spool_file=self.spool(labels("paper")))
        b.proc.wait_line(r"^INFO: Printer status is on: the printer answers epl status queries "
                         r"\(asked again between commands as the job goes\)")
        self.assertPaperOutWaitedOut(emu, b, 5)             # beyond timeout=
        self.assertLabelsOnce(emu, "paper", LABELS)
        b.proc.wait_line(r"^INFO: The printer confirmed it printed the job")
        queries = emu.events("query")
        self.assertEqual({q.fields["cmd"] for q in queries}, {EE})   # nothing but ^ee
        self.assertGreaterEqual(len(queries), 3)
        self.assertLessEqual(len(queries), len(labels("paper")) // 8192 + 4)

    def test_a_query_never_lands_inside_graphic_data(self):
        # 200 kB GW graphics: the queries wait for the boundaries between them.
        emu = self.emulator("--language", "epl")
        b = self.backend(self.socket_uri(emu, QUERY), spool_file=self.spool(graphic_labels("gw")))
        self.assertEqual(b.proc.wait(60), CUPS_BACKEND_OK, b.proc.stderr())
        self.assertLabelsOnce(emu, "gw", 4)
        images = emu.events("image-end")
        self.assertEqual([(e["bytes"], e["swallowed"]) for e in images], [(200000, 0)] * 4)
        self.assertGreaterEqual(len(emu.events("query")), 2)
        self.assertEqual(len(emu.events("reply")), len(emu.events("query")))

    def test_no_query_among_variable_data(self):
        # After '?' the printer takes lines as the variables of a stored form, as many as it
        # has: a ^ee there would print on a label.  Only the probe and, after the job's last
        # byte, the completion's question go.
        emu = self.emulator("--language", "epl")
        job = (labels("form", 10) + b'FR"F"\n?\n'
               + b"".join(b"value %d\nP1\n?\n" % i for i in range(4000)) + b"N\n")
        b = self.backend(self.socket_uri(emu, QUERY), spool_file=self.spool(job))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        b.proc.wait_line(r"^INFO: The printer confirmed it printed the job")
        emu.wait_event("close", conn=1)
        self.assertEqual([q.fields["cmd"] for q in emu.events("query")], [EE, EE])

    def test_cancel_mid_graphic_is_flushed_and_verified(self):
        emu = self.emulator("--language", "epl", "--rate", 100000)
        b = self.backend(self.socket_uri(emu, QUERY + "&idle=200"),
                         spool_file=self.spool(graphic_labels("cut", count=8)))
        emu.wait_event("image-begin", cmd="gw", timeout=20)
        b.proc.signal(signal.SIGTERM)
        self.assertEqual(b.proc.wait(60), CUPS_BACKEND_OK, b.proc.stderr())
        b.proc.wait_line(r"^INFO: Printer flushed: [1-9]\d* padding bytes")
        b.proc.wait_line(r"^INFO: Printer confirmed it is back at command level after the "
                         r"cancel's flush \(\d+ ms\)")
        cut = emu.events("image-end")[-1]
        self.assertEqual(cut["bytes"], 200000)               # the graphic got all its bytes
        reset = emu.events("reset")[-1]
        query = emu.events("query")[-1]
        self.assertLess(cut.t, reset.t)                      # then the reset's N ...
        self.assertLessEqual(reset.t, query.t)               # ... then the question, answered
        self.assertEqual(emu.wait_event("reply", after=query.t).fields["data"], "30300d0a")
        # Only the first label printed: the cut one was cleared, not printed.
        self.assertEqual([e["end"] for e in emu.events("label")], ["p"])

    def test_a_silent_printer_gets_only_the_probe(self):
        emu = self.emulator("--language", "epl", "--dumb")
        b = self.backend(self.socket_uri(emu, QUERY), spool_file=self.spool(labels("dumb", 10)))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        lines = [l for l in b.proc.stderr().splitlines() if "Printer status" in l]
        self.assertEqual(lines, ["INFO: Printer status is off: the printer did not answer its "
                                 "status query in 1000 ms"])
        self.assertLabelsOnce(emu, "dumb", 10)
        self.assertEqual([e.fields["cmd"] for e in emu.events("query")], [EE])


if __name__ == "__main__":
    fptest.main()

"""Banding (band=): a GS v 0 image goes to the printer as bands of at most band= rows,
so a cancel owes the printer at most one band of white rows, and what is printed is
the same, dot for dot, as the image sent whole.  The emulator prints each GS v 0 row
(--paper, --rows) and so shows both."""

import os
import random
import signal
import struct
import sys
import time

import fptest
from fptest import CUPS_BACKEND_OK

sys.path.insert(0, os.path.join(fptest.SRCDIR, "tests", "languages"))
import streams  # noqa: E402  (the real driver streams)

WIDTH = 72                          # bytes a row: an 80 mm receipt at 203 dpi
MODES = (0, 1, 2, 3, 48, 49, 50, 51)  # normal, double width, double height, quadruple


def picture(width, rows, seed):
    """Rows of random pixels, none of them all white (so completion rows show)."""
    rnd = random.Random(seed)
    return b"".join(bytes([rnd.randrange(1, 256)]) + bytes(rnd.randrange(256)
                                                           for _ in range(width - 1))
                    for _ in range(rows))


def image_job(name, mode, width, rows, seed=1):
    """A receipt whose one image is `rows` x `width` bytes of varied pixels in `mode`."""
    return (b"\x1b@" + fptest.text("BEGIN " + name) + b"\x1dv0" + bytes([mode])
            + struct.pack("<HH", width, rows) + picture(width, rows, seed)
            + fptest.text("END " + name))


def paper_of(rows_bytes, width, mode):
    """The dot lines the printer puts on paper for these rows in `mode`, computed here."""
    out = []
    for at in range(0, len(rows_bytes), width):
        row = rows_bytes[at:at + width]
        if mode & 1:
            wide = 0
            for byte in row:
                for bit in range(7, -1, -1):
                    wide = (wide << 2) | (3 if byte >> bit & 1 else 0)
            row = wide.to_bytes(2 * width, "big")
        out.append(row * (2 if mode & 2 else 1))
    return b"".join(out)


class Paper(fptest.TestCase):
    """An uncanceled banded job prints what the unbanded job prints."""

    def print_on_paper(self, job, query, name):
        paper = os.path.join(self.tmp, name + ".paper")
        emu = self.emulator("--paper", paper)
        b = self.backend(self.socket_uri(emu, "reset=escpos&" + query),
                         spool_file=self.spool(job, name))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        sent = int(b.proc.wait_line(r"^INFO: Job sent: \d+ bytes").split()[3])
        closed = emu.wait_event("close", conn=1)  # then every query it parsed is logged
        self.assertEqual(closed["bytes"], sent + self.status_bytes(emu, 1))
        emu.stop()
        with open(paper, "rb") as f:
            return f.read(), emu.texts(), sent

    def test_every_mode_prints_the_same_dots_banded_or_not(self):
        for mode in MODES:
            with self.subTest(mode=mode):
                job = image_job("m%d" % mode, mode, 48, 301, seed=mode)
                banded, texts, sent = self.print_on_paper(job, "band=24", "b%d" % mode)
                whole, whole_texts, whole_sent = self.print_on_paper(job, "band=0", "w%d" % mode)
                self.assertEqual(sent, len(job) + 12 * 8, "13 bands: 12 more headers")
                self.assertEqual(whole_sent, len(job))
                self.assertEqual(texts, whole_texts)
                self.assertEqual(len(banded), len(whole))
                self.assertTrue(banded == whole, "banded paper differs in mode %d" % mode)
                start = job.index(b"\x1dv0") + 8
                self.assertTrue(whole == paper_of(job[start:start + 48 * 301], 48, mode),
                                "the emulator's paper is not the image in mode %d" % mode)

    def test_the_real_driver_streams_print_the_same_banded_or_not(self):
        made = streams.make_all(os.path.join(self.tmp, "streams"), only=["escpos"])
        self.assertTrue(made)
        for key, (_, data) in sorted(made.items()):
            with self.subTest(stream=key):
                banded, texts, _ = self.print_on_paper(data, "band=8", key + "-b")
                whole, whole_texts, _ = self.print_on_paper(data, "band=0", key + "-w")
                self.assertGreater(len(whole), 0)
                self.assertEqual(texts, whole_texts)
                self.assertTrue(banded == whole, "banded paper differs for " + key)


class CancelOwesOneBand(fptest.TestCase):
    """A single tall image canceled anywhere owes the printer at most one band."""

    RATE = 100000               # 288 kB of image: about 3 s

    def cancel_after_rows(self, emu, query, job, rows, job_id):
        """Run `job`, SIGTERM it once the printer printed `rows` rows of it; returns the
        padding the flush sent, the blank rows printed and the time of the SIGTERM."""
        b = self.backend(self.socket_uri(emu, query), job_id=job_id,
                         spool_file=self.spool(job, "job%d" % job_id))
        conn = job_id
        end = time.time() + 30
        while sum(e["n"] for e in emu.events("rows") if e.conn == conn) < rows:
            self.assertLess(time.time(), end, "the printer never printed %d rows" % rows)
            time.sleep(0.01)
        sigterm = time.time()
        b.proc.signal(signal.SIGTERM)
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        line = b.proc.wait_line(r"^INFO: Printer flushed: \d+ padding bytes, 2 reset bytes")
        emu.wait_event("close", conn=conn, timeout=30)
        rows_events = [e for e in emu.events("rows") if e.conn == conn]
        blank = sum(e["blank"] for e in rows_events)
        self.assertTrue(all(e.t >= sigterm for e in rows_events if e["blank"]),
                        "white rows were printed before the cancel")
        return int(line.split()[3]), blank, b

    def test_the_emulator_reports_the_blank_rows_of_a_completion(self):
        emu = self.emulator("--rate", self.RATE, "--rows")
        job = image_job("whole", 0, WIDTH, 4000)
        padding, blank, _ = self.cancel_after_rows(emu, "reset=escpos&idle=0&band=0", job, 500, 1)
        self.assertGreater(padding, 0)
        # the row the cut fell in is part ink, part white: only whole white rows are blank
        self.assertEqual(blank, padding // WIDTH, "every white row of the completion, no other")
        self.assertGreater(blank, 24, "unbanded, the rest of the image is owed")

    def test_random_cancel_points_never_owe_more_than_one_band(self):
        emu = self.emulator("--rate", self.RATE, "--rows")
        rnd = random.Random(14)
        job = image_job("tall", 0, WIDTH, 4000)
        for job_id in range(1, 7):
            rows = rnd.randrange(1, 3000)
            with self.subTest(cancel_after_rows=rows):
                padding, blank, b = self.cancel_after_rows(emu, "reset=escpos&idle=0", job, rows,
                                                           job_id)
                self.assertLessEqual(padding, 24 * WIDTH)
                self.assertEqual(blank, padding // WIDTH)
                self.assertLessEqual(blank, 24)
        self.assertCleanImages(emu)

    def test_a_job_cut_short_owes_only_its_band(self):
        emu = self.emulator("--rows")
        job = b"\x1b@" + b"\x1dv0\x00" + struct.pack("<HH", WIDTH, 1000) + b"\xaa" * WIDTH * 30
        b = self.backend(self.socket_uri(emu, "reset=escpos&idle=0"), spool_file=self.spool(job))
        self.assertEqual(b.proc.wait(30), CUPS_BACKEND_OK, b.proc.stderr())
        b.proc.wait_line(r"^WARNING: The job ended in the middle of a command \(%d bytes"
                         % (18 * WIDTH))
        b.proc.wait_line(r"^WARNING: The job ended inside a raster image: 952 rows")
        emu.wait_event("close", conn=1)
        self.assertEqual(sum(e["blank"] for e in emu.events("rows")), 18)


if __name__ == "__main__":
    fptest.main()

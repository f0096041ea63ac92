"""PCL and ZPL printers: what the emulator's models do with a job, and the
failure and the fix for each language.  A page canceled mid raster row (PCL)
or a label canceled mid binary graphic (ZPL; hex graphic data ends at the
next ^ or ~, binary data does not) leaves the printer inside the command:
with the stock socket backend, or flushprinter tracking no language, the next
job is swallowed; flushprinter with the language's tracker completes the
command, resets, and the next job prints."""

import os
import unittest

import fptest
import scenario
from fptest import UEL, CUPS_BACKEND_OK


class PclModel(fptest.TestCase):
    """The emulator's PCL model, fed directly."""

    def setUp(self):
        super().setUp()
        self.emu = self.emulator("--language", "pcl")

    def test_pjl_selects_pcl_and_a_form_feed_ejects_the_page(self):
        conn = self.emu.send(fptest.pcl_job(fptest.pcl_text("HELLO", "WORLD"), "t"))
        self.assertEqual([e["text"] for e in self.emu.events("pjl")],
                         ['@PJL JOB NAME="t"', "@PJL ENTER LANGUAGE=PCL", "@PJL EOJ"])
        self.assertEqual(self.emu.texts(conn), ["HELLO", "WORLD"])
        page, = self.emu.events("page")
        self.assertEqual((page["by"], page["texts"], page["images"]), ("ff", 2, 0))
        self.assertEqual(len(self.emu.events("reset")), 2)
        self.assertEqual(len(self.emu.events("uel")), 3)

    def test_combined_raster_sequence_consumes_exactly_its_data(self):
        # ESC*b4v: 4 bytes of plane data (an ESC E among them), then 3W: 3 more bytes.
        data = b"\x1b*r1A\x1b*b0m4v\xaa\x1bE\xaa3W\x00\x00\x01\x1b*rBAFTER\r\n"
        self.emu.send(UEL + b"\x1bE" + data + UEL)
        image = self.emu.wait_event("image-end")
        self.assertEqual((image["bytes"], image["zeros"], image["swallowed"]), (7, 2, 0))
        self.assertEqual(len(self.emu.events("reset")), 1, "data bytes must not be commands")
        self.assertEqual(self.emu.texts(), ["AFTER"])

    def test_text_without_pjl_is_pcl_and_other_languages_wait_for_the_uel(self):
        self.emu.send(b"PLAIN\r\n" + UEL + b"@PJL ENTER LANGUAGE=POSTSCRIPT\r\n"
                      b"%!PS (NOT PCL) show showpage\n" + UEL + b"@PJL\r\nPCL AGAIN\r\n\x0c")
        self.assertEqual(self.emu.texts(), ["PLAIN", "PCL AGAIN"])

    def test_cut_row_swallows_the_next_job_until_its_count_is_met(self):
        self.emu.send(UEL + b"\x1bE\x1b*r1A\x1b*b100W" + b"\xaa" * 40)
        pending = self.emu.wait_event("pending", conn=1)
        self.assertEqual((pending["owner"], pending["cmd"], pending["remaining"]), (1, "1b2a62", 60))
        self.emu.send(fptest.pcl_job(fptest.pcl_text("NEXT")))
        swallowed = self.emu.wait_event("swallowed", conn=2)
        self.assertEqual((swallowed["owner"], swallowed["n"]), (1, 60))
        self.assertNotIn("NEXT", self.emu.texts())
        self.emu.send(fptest.pcl_job(fptest.pcl_text("CLEAN")))
        self.assertEqual(self.emu.texts(3), ["CLEAN"])


class ZplModel(fptest.TestCase):
    """The emulator's ZPL model, fed directly."""

    def setUp(self):
        super().setUp()
        self.emu = self.emulator("--language", "zpl")

    def test_fields_print_and_xz_ends_the_label(self):
        self.emu.send(fptest.zpl_label("HELLO", "WORLD") + b"^XZ")
        self.assertEqual(self.emu.texts(), ["HELLO", "WORLD"])
        label, = self.emu.events("label")     # a second ^XZ ends no format
        self.assertEqual((label["fields"], label["graphics"]), (2, 0))

    def test_compressed_download_counts_decoded_bytes(self):
        # 12 bytes a row: 20 x A and 4 x 0; ':' the same row; 1 and '!' (all 1s); ',' (all 0s).
        rows = b"gAJ0:1!,"
        self.emu.send(b"~DGR:T.GRF,48,12," + rows + fptest.zpl_label("AFTER"))
        image = self.emu.wait_event("image-end")
        self.assertEqual((image["bytes"], image["zeros"], image["swallowed"]), (48, 16, 0))
        self.assertEqual(self.emu.texts(), ["AFTER"])

    def test_the_next_command_cuts_a_hex_download_short(self):
        self.emu.send(b"~DGR:T.GRF,60,12,gAJ0:1!," + fptest.zpl_label("AFTER"))
        self.assertEqual(self.emu.wait_event("image-end")["bytes"], 48)
        self.assertEqual(self.emu.texts(), ["AFTER"])
        self.emu.wait_event("label")

    def test_dn_aborts_a_download(self):
        self.emu.send(b"~DGR:T.GRF,1000,10,FFFF~DN" + fptest.zpl_label("AFTER"))
        image = self.emu.wait_event("image-end")
        self.assertEqual((image["bytes"], image["swallowed"]), (2, 0))
        self.assertEqual(self.emu.wait_event("abort-download", after=image.t)["active"], 1)
        self.assertEqual(self.emu.texts(), ["AFTER"])

    def test_binary_data_takes_its_byte_count_prefixes_included(self):
        self.emu.send(b"~DYR:LOGO,B,G,3,1,~DN" + b"^XA^GFB,4,4,2,^XZ\x00^FDAFTER^FS^XZ")
        dy, gf = self.emu.events("image-end")
        self.assertEqual((dy["bytes"], gf["bytes"], gf["zeros"]), (3, 4, 1))
        self.assertEqual(self.emu.events("abort-download"), [], "~DN was image data")
        label = self.emu.wait_event("label")
        self.assertEqual((label["fields"], label["graphics"]), (1, 1))

    def test_cut_binary_data_swallows_the_next_job(self):
        self.emu.send(b"^XA^FO0,0^GFB,1000,1000,10,\xaa\xaa")
        self.assertEqual(self.emu.wait_event("pending", conn=1)["remaining"], 998)
        label = fptest.zpl_label("NEXT")
        self.emu.send(label)
        self.assertEqual(self.emu.wait_event("swallowed", conn=2)["n"], len(label))
        self.assertEqual(self.emu.texts(), [])
        self.assertEqual(self.emu.events("label"), [])

    def test_cut_hex_download_ends_at_the_next_job(self):
        self.emu.send(b"~DGR:T.GRF,1000,10,FFFF")
        self.emu.wait_event("pending", conn=1)
        self.emu.send(fptest.zpl_label("NEXT"))
        image = self.emu.wait_event("image-end")
        self.assertEqual((image.conn, image["owner"], image["bytes"]), (2, 1, 2))
        self.assertEqual(self.emu.texts(), ["NEXT"])
        self.assertEqual(self.emu.events("swallowed"), [])


class Cancel:
    """The failure and the fix for one language (mixed into a TestCase below)."""

    language = None

    def run_scenario(self, kind, **kwargs):
        return scenario.run(self.tmp, kind, language=self.language, idle_ms=500, **kwargs)

    def pending(self, outcome, conn):
        return [e for e in outcome.events if e.name == "pending" and e.conn == conn]

    def check_swallowed(self, outcome):
        """The canceled job left its command unfinished, and the next job went into it."""
        self.assertFalse(outcome.next_printed, outcome.timeline)
        self.assertGreater(outcome.swallowed, 0)
        self.assertEqual([e["owner"] for e in self.pending(outcome, 1)], [1], outcome.timeline)

    def check_clean(self, outcome):
        """The canceled job's own connection completed its image and sent the reset; the next
        job printed; returns the image's end and the reset."""
        self.assertTrue(outcome.clean, outcome.timeline)
        self.assertEqual(outcome.exit_code, CUPS_BACKEND_OK)
        self.assertGreater(outcome.padding, 0)
        self.assertEqual(self.pending(outcome, 1), [])
        end = [e for e in outcome.events if e.name == "image-end"][-1]
        self.assertEqual((end.conn, end["owner"], end["swallowed"]), (1, 1, 0))
        resets = [e for e in outcome.events
                  if e.name == self.language.reset_event and e.conn == 1 and e.t >= end.t]
        self.assertTrue(resets, "no %s after the image" % self.language.reset_name)
        return end, resets[0]

    @unittest.skipUnless(os.path.exists(scenario.STOCK_SOCKET), "stock socket backend missing")
    def test_stock_socket_backend_leaves_the_next_job_swallowed(self):
        self.check_swallowed(self.run_scenario("stock"))

    def test_flushprinter_without_a_tracker_leaves_the_next_job_swallowed(self):
        outcome = self.run_scenario("flushprinter", options="language=none&reset=none")
        self.assertEqual(outcome.exit_code, CUPS_BACKEND_OK)
        self.check_swallowed(outcome)


class PclCancel(Cancel, fptest.TestCase):
    language = scenario.PCL

    def test_flushprinter_completes_the_row_resets_and_prints_the_next_page(self):
        outcome = self.run_scenario("flushprinter")
        end, reset = self.check_clean(outcome)
        self.assertEqual(end["zeros"], outcome.padding, "the completion must be white pixels")
        self.assertTrue(any(e.name == "uel" and e.conn == 1 and end.t <= e.t <= reset.t
                            for e in outcome.events), "no UEL before ESC E")


class ZplCancel(Cancel, fptest.TestCase):
    language = scenario.ZPL

    def test_flushprinter_completes_the_graphic_aborts_and_prints_the_next_label(self):
        outcome = self.run_scenario("flushprinter")
        end, abort = self.check_clean(outcome)
        begin = [e for e in outcome.events if e.name == "image-begin"][-1]
        self.assertEqual(end["bytes"], begin["bytes"], "the graphic must be complete")
        self.assertEqual(end["zeros"], outcome.padding, "the completion must be white pixels")
        self.assertEqual(abort["active"], 0)
        self.assertTrue(any(e.name == "label" and e.conn == 2 for e in outcome.events))


if __name__ == "__main__":
    fptest.main()

"""The reference printer models (refparse.py) on hand-made command streams,
one rule of each language's reference at a time: what counts as a command,
how many bytes of data a command owes, when the printer is idle again."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "behaviour"))

import fptest                                    # noqa: E402
import refparse                                  # noqa: E402


def names(language, data):
    return [name for _, name in refparse.parse(language, data).commands]


class ModelTest(unittest.TestCase):
    language = None

    def assertIdleAfter(self, data, idle=True):
        model = refparse.parse(self.language, data)
        self.assertEqual(model.idle(), idle, "%r: state %s" % (data, model.state))
        return model

    def assertOwes(self, data, owed, blank):
        model = self.assertIdleAfter(data, False)
        self.assertEqual(model.pending_blank(), (owed, blank), data)

    def assertStarts(self, data, offsets):
        self.assertEqual([o for o, _ in refparse.parse(self.language, data).commands], offsets)


class Ink(unittest.TestCase):
    """Which pixel data prints: the models count data bytes that are not blank."""

    def inked(self, language, data):
        return refparse.parse(language, data).inked

    def test_raw_pixels(self):
        self.assertEqual(self.inked("escpos", b"\x1dv0\x00\x02\x00\x02\x00\x00\x01\x00\x80"), 2)
        self.assertEqual(self.inked("epl", b"GW0,0,2,1\n\xff\xfe"), 1)      # EPL: 0xFF is blank

    def test_compressed_pcl_rows(self):
        mode2 = b"\x1b*b2M\x1b*b"
        self.assertEqual(self.inked("pcl", mode2 + b"4W\x00\x00\x00\x00"), 0)
        self.assertEqual(self.inked("pcl", mode2 + b"5W\xfe\x05\x01\x00\x07"), 2)  # a run, 2 literals
        self.assertEqual(self.inked("pcl", b"\x1b*b1M\x1b*b4W\x05\x00\x00\x07"), 1)
        self.assertEqual(self.inked("pcl", b"\x1b*b3M\x1b*b2W\x05\x07"), 0)   # delta row: not judged

    def test_zpl_row_fills(self):
        head = b"~DGR:A.GRF,6,2,"
        self.assertEqual(self.inked("zpl", head + b"0000,,"), 0)
        self.assertEqual(self.inked("zpl", head + b"00F0!,"), 2)

    def test_run_length_lines(self):
        self.assertEqual(self.inked("dymo", b"\x1bD\x01\x17\x03\x83"), 1)
        self.assertEqual(self.inked("escp", b"\x1b(G\x01\x00\x01\x1bi\x001\x01\x04\x00\x01\x00"
                                            b"\xfd\x00"), 0)


class EscPos(ModelTest):
    language = "escpos"

    def test_raster_owes_width_times_height(self):
        self.assertOwes(b"\x1dv0\x00\x03\x00\x02\x00" + b"\xff" * 5, 1, 0x00)
        self.assertIdleAfter(b"\x1dv0\x00\x03\x00\x02\x00" + b"\xff" * 6)

    def test_an_argument_that_looks_like_a_command_is_an_argument(self):
        self.assertEqual(names("escpos", b"\x1b3\x1b\x1b@"), ["ESC 3", "ESC @"])

    def test_bit_image_density_sets_bytes_per_column(self):
        self.assertOwes(b"\x1b*\x21\x02\x00", 6, 0x00)
        self.assertOwes(b"\x1b*\x00\x02\x00", 2, 0x00)

    def test_cut_takes_a_feed_only_in_function_b(self):
        self.assertIdleAfter(b"\x1dV\x01")
        self.assertIdleAfter(b"\x1dVB", False)
        self.assertIdleAfter(b"\x1dVB\x10")

    def test_barcode_runs_to_nul_or_by_length(self):
        self.assertIdleAfter(b"\x1dk\x04CODE39", False)
        self.assertIdleAfter(b"\x1dk\x04CODE39\x00")
        self.assertOwes(b"\x1dk\x49\x05AB", 3, None)

    def test_text_and_controls_are_one_byte_commands(self):
        self.assertStarts(b"AB\n\x1b@", [0, 1, 2, 3])


class EscP(ModelTest):
    language = "escp"

    def test_bit_image_bytes_per_column_follow_the_density(self):
        self.assertOwes(b"\x1b*\x27\x04\x00", 12, 0x00)      # 24-pin: 3 bytes a column
        self.assertOwes(b"\x1b*\x01\x04\x00", 4, 0x00)
        self.assertOwes(b"\x1bK\x05\x00\x00", 4, 0x00)

    def test_esc_i_is_raster_only_in_graphics_mode(self):
        self.assertIdleAfter(b"\x1bi\x01")
        graphics = b"\x1b(G\x01\x00\x01"
        self.assertOwes(graphics + b"\x1bi\x00\x00\x01\x03\x00\x02\x00", 6, 0x00)

    def test_run_length_data_ends_at_the_decoded_size(self):
        head = b"\x1b(G\x01\x00\x01\x1bi\x001\x01\x04\x00\x02\x00"      # 8 decoded bytes
        self.assertIdleAfter(head + b"\xfd\x00", False)                 # 4 repeated
        self.assertIdleAfter(head + b"\xfd\x00\x03\x01\x02\x03\x04")     # 4 literal
        self.assertIdleAfter(head + b"\xfd\x00\x03\x01\x02\x03", False)

    def test_reset_leaves_graphics_mode(self):
        self.assertIdleAfter(b"\x1b(G\x01\x00\x01\x1b@\x1bi\x01")

    def test_form_length_in_inches_takes_one_more_byte(self):
        self.assertIdleAfter(b"\x1bC\x00", False)
        self.assertIdleAfter(b"\x1bC\x00\x0b")
        self.assertIdleAfter(b"\x1bC\x42")

    def test_remote_mode_commands_carry_lengths(self):
        enter = b"\x1b(R\x08\x00\x00REMOTE1"
        self.assertIdleAfter(enter + b"SN\x03\x00\x00\x00\x00")
        self.assertEqual(names("escp", enter + b"SN\x01\x00\x00\x1b\x00\x00\x00\x1b@")[-3:],
                         ["remote SN", "remote exit", "ESC @"])

    def test_packet_mode_exit_lines(self):
        self.assertEqual(names("escp", b"\x1b\x01@EJL 1284.4\n@EJL\n\x1b@"),
                         ["ESC 01", "EJL", "ESC @"])


class Pcl(ModelTest):
    language = "pcl"

    def test_raster_row_owes_its_byte_count(self):
        self.assertOwes(b"\x1bE\x1b*b5W\x01\x02", 3, 0x00)
        self.assertIdleAfter(b"\x1bE\x1b*b5W\x01\x02\x03\x1b\x45")

    def test_an_escape_inside_binary_data_is_data(self):
        self.assertEqual(names("pcl", b"\x1b*b3W\x1bE\x00\x1bE"), ["ESC *bW", "ESC E"])

    def test_combined_sequence_with_data(self):
        self.assertEqual(names("pcl", b"\x1b*b2m4W\x00\x00\x00\x00A"),
                         ["ESC *bM", "ESC *bW", "text"])
        self.assertOwes(b"\x1b*b3m4W", 4, None)                       # delta row: not blank

    def test_uel_returns_to_pjl_and_enter_language_picks_hpgl2(self):
        job = b"\x1b%-12345X@PJL ENTER LANGUAGE=HPGL2\r\nIN;SP1;PA10,10;"
        self.assertEqual(names("pcl", job), ["ESC %X", "PJL", "IN", "SP", "PA"])

    def test_hpgl2_label_runs_to_its_terminator(self):
        head = b"\x1bE\x1b%0BIN;"
        self.assertIdleAfter(head + b"LBHELLO\x1bE", False)
        self.assertIdleAfter(head + b"LBHELLO\x03;")
        self.assertIdleAfter(head + b"DT*;LBA\x03B*;")

    def test_hpgl2_escape_ends_an_instruction(self):
        self.assertEqual(names("pcl", b"\x1b%0BPA1,2\x1b%0A\x1b*rB")[-3:],
                         ["PA", "ESC %A", "ESC *rB"])

    def test_quoted_strings_swallow_escapes_unless_lenient(self):
        job = b"\x1b%0BMG\"A\x1bE\x1b%0A\x1b*rB"
        self.assertEqual(names("pcl", job)[-1], "MG")
        lenient = refparse.LENIENT["pcl"]().feed(job)
        self.assertEqual([n for _, n in lenient.commands][-3:], ["ESC E", "ESC %A", "ESC *rB"])

    def test_half_a_mnemonic_is_dropped(self):
        self.assertEqual(names("pcl", b"\x1b%0BP\x1bE")[-1], "ESC E")

    def test_escape_inside_a_header_starts_over(self):
        self.assertEqual(names("pcl", b"\x1b*b12\x1bE"), ["ESC E"])


class Zpl(ModelTest):
    language = "zpl"

    def test_download_owes_two_hex_digits_a_byte(self):
        self.assertOwes(b"~DGR:A.GRF,4,2,0F0F0F", 2, ord("0"))
        self.assertIdleAfter(b"~DGR:A.GRF,4,2,0F0F0F0F")

    def test_repeat_counts_and_row_fills(self):
        head = b"~DGR:A.GRF,6,2,"                     # 3 rows of 4 digits
        self.assertOwes(head + b"J0", 8, ord("0"))       # J: 4 x '0'
        self.assertIdleAfter(head + b"0F,:!")           # row, copy, ones
        self.assertOwes(head + b"0,", 8, ord("0"))
        self.assertIdleAfter(head + b"gF")              # 20 digits: more than owed

    def test_a_command_inside_the_data_is_not_a_command_except_dn(self):
        head = b"~DGR:A.GRF,4,2,00"
        self.assertEqual(names("zpl", head + b"^XA"), ["~DG"])
        self.assertEqual(names("zpl", head + b"~DN^XZ"), ["~DG", "~DN", "^XZ"])

    def test_commands_run_to_the_next_prefix(self):
        self.assertEqual(names("zpl", b"^XA^FO10,10^FDHELLO^FS^XZ"), ["^XA", "^FO", "^FD", "^FS", "^XZ"])
        self.assertIdleAfter(b"^XA^PW40")

    def test_binary_field(self):
        self.assertOwes(b"^GFB,4,4,2,\x00\x01", 2, 0x00)

    def test_caret_can_be_changed(self):
        self.assertEqual(names("zpl", b"^CC+ +XA+XZ"), ["^CC", "+XA", "+XZ"])


class Epl(ModelTest):
    language = "epl"

    def test_lines_are_commands(self):
        self.assertEqual(names("epl", b"\r\nN\r\nq408\r\nP1\r\n"), ["N", "q", "P"])
        self.assertIdleAfter(b"\nq40", False)

    def test_image_data_follows_a_comma_or_a_line_feed(self):
        self.assertOwes(b"\nGW0,0,2,3\n\xff", 5, 0xFF)
        self.assertOwes(b"\nGW0,0,2,3,\xff\xff", 4, 0xFF)
        self.assertIdleAfter(b"\nGW0,0,2,1\n\n\n")       # the data may hold line feeds
        self.assertIdleAfter(b"\nGW0,0,2\n")                # a line cut short ends

    def test_stored_graphic(self):
        self.assertOwes(b'GM"LOGO"3\n\x0a', 2, None)


class Dymo(ModelTest):
    language = "dymo"

    def test_raster_line_length_follows_esc_d(self):
        self.assertOwes(b"\x1bD\x05\x16\x00", 4, 0x00)
        self.assertOwes(b"\x16", 84, 0x00)

    def test_escape_run_resynchronizes(self):
        for odd in (b"", b"\x1b", b"\x1bL"):
            with self.subTest(cut=odd):
                self.assertIdleAfter(odd + b"\x1b" * 100 + b"\x1b@")
        self.assertEqual(names("dymo", b"\x1b" * 7 + b"@"), ["ESC @"])
        self.assertStarts(b"\x1b" * 7 + b"@", [6])

    def test_compressed_line_counts_dots(self):
        self.assertIdleAfter(b"\x1bD\x02\x17\x87", False)     # 8 of 16 dots
        self.assertIdleAfter(b"\x1bD\x02\x17\x87\x07")

    def test_reset_restores_the_line_length(self):
        self.assertOwes(b"\x1bD\x05\x1b@\x16", 84, 0x00)


class EscPR(ModelTest):
    language = "escpr"
    MODE = b"\x1b(R\x06\x00\x00ESCPR"

    def test_records_carry_32_bit_lengths_until_endj(self):
        self.assertIdleAfter(self.MODE, False)
        self.assertIdleAfter(self.MODE + b"\x1bq\x02\x00\x00\x00setq\x00\x01", False)
        self.assertEqual(names("escpr", self.MODE + b"\x1bj\x00\x00\x00\x00endj\x1b@")[-2:],
                         ["ESC/P-R endj", "ESC @"])
        self.assertIdleAfter(self.MODE + b"\x1bj\x00\x00\x00\x00endj")

    def test_run_length_groups_are_whole_pixels_and_white_is_ff(self):
        line = self.MODE + b"\x1bd\x12\x00\x00\x00dsnd\x00\x00\x00\x00\x01\x00\x0b"
        self.assertOwes(line + b"\x00\x11", 9, 0xFF)
        model = refparse.parse("escpr", line + b"\x00\xff\xff\xff\x01" + b"\xff" * 6)
        self.assertEqual((model.state, model.inked), ("escpr", 0))
        model = refparse.parse("escpr", line + b"\x00\x00\xff\xff\x01" + b"\xff" * 6)
        self.assertEqual(model.inked, 1)

    def test_a_group_beyond_the_data_or_an_unknown_record_breaks_the_printer(self):
        line = self.MODE + b"\x1bd\x0b\x00\x00\x00dsnd\x00\x00\x00\x00\x01\x00\x04"
        self.assertEqual(refparse.parse("escpr", line + b"\x05").state, "broken")
        self.assertEqual(refparse.parse("escpr", self.MODE + b"\x1bx\x00\x00\x00\x00xxxx").state,
                         "broken")
        self.assertEqual(refparse.parse("escpr", self.MODE + b"\x00").state, "broken")

    def test_remote_mode_is_not_idle(self):
        self.assertIdleAfter(b"\x1b(R\x08\x00\x00REMOTE1JE\x01\x00\x00", False)
        self.assertIdleAfter(b"\x1b(R\x08\x00\x00REMOTE1JE\x01\x00\x00\x1b\x00\x00\x00")

if __name__ == "__main__":
    fptest.main()

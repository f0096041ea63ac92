"""Reference models of printers' command parsers, one per language.

Written from the printer-language references (Epson ESC/POS and ESC/P,
HP PCL 5 / PJL / HP-GL/2, Zebra ZPL II and EPL2, Dymo LabelWriter; for
Epson ESC/P-R, Epson's driver source), apart
from and without regard to the C trackers they check.  A model is fed bytes
and says where each command starts, and whether the printer is idle: whether
a command introducer arriving now would start a command rather than be taken
as data or as the argument of a half-read command.

Where a reference leaves a corner open, the model takes the reading that is
harder on a flush: bytes a printer might swallow are swallowed.  LENIENT
holds models with the other reading where it is a real doubt, so that a test
can tell "fails" from "fails only if the printer is that strict".  The choices:

- ESC/POS, ESC/P: every argument byte is an argument, ESC included.
- PCL: an ESC inside an escape sequence's header ends that sequence and starts
  a new one; inside binary data it is data.  ESC E returns to the language the
  printer was given by PJL ENTER LANGUAGE (PCL when none).
- HP-GL/2: a label (LB) runs to its terminator, escape sequences included
  (the PCL 5 reference says so); a quoted string runs to its closing quote
  likewise (the reference is silent; LENIENT lets ESC end it).  Elsewhere ESC,
  or anything but a letter in a mnemonic, ends the instruction.
- ZPL: command data downloaded as ASCII hex (~DG, ^GFA) ends only when the
  declared byte count is decoded (compression counts included) or at ~DN;
  other bytes in it are ignored.
- Dymo: ESC in the place of a command byte starts a new command (this is
  what makes the documented "85 ESC then ESC @" resynchronization work).
- EPL: GW's data starts after the comma or line feed that ends its fourth
  parameter; a line feed before the fourth parameter ends the (malformed)
  command line, as it ends any EPL command.

Modes that store what follows instead of running it (`storing()`): an EPL
form (FS to FE), an ESC/POS macro definition (GS : to GS :; ESC @ does not
end it, GS ^ aborts it), a PCL macro definition (ESC&f0X to ESC&f1X; ESC E
is "not allowed in a macro" and is taken as not ending it, the UEL leaves
PCL and ends it), a ZPL format (^XA to ^XZ, ~JX cancels it; a format
without ^DF prints a label at ^XZ, counted as ink), ESC/P remote mode.
A completion and reset that leave the printer in one of them fail.
"""

import copy

ESC, GS, FS, DLE, SYN, ETB = 0x1B, 0x1D, 0x1C, 0x10, 0x16, 0x17


class Parser:
    """What every model shares: the byte position, the command list, the
    argument collector and the data skipper."""

    language = None

    def __init__(self):
        self.pos = 0                # bytes fed so far
        self.commands = []          # (offset, name) of each command start
        self.unknown = []           # (offset, what) the model does not know
        self.state = "top"
        self.cmd_at = 0
        self.args = b""
        self.want = 0
        self.then = None
        self.need = 0
        self.after = None
        self.blank_byte = None
        self.coding, self.coding_state = "raw", None
        self.inked = 0              # pixel-data bytes fed that print (are not blank)
        self.power_on()

    def power_on(self):
        """Printer state after power-on (besides the parser state `top`)."""

    def snapshot(self):
        """An independent copy that records only what is fed from now on."""
        other = copy.copy(self)
        other.commands = []
        other.unknown = []
        return other

    def feed(self, data):
        """Parse `data`; returns self."""
        i, n = 0, len(data)
        while i < n:
            i = self.step(data, i, n)
        self.pos += n
        return self

    def idle(self):
        """True when a command introducer arriving now would start a command."""
        return self.state == "top"

    def storing(self):
        """The mode that stores commands instead of running them, or None."""
        return None

    def pending_blank(self):
        """(bytes still owed, the blank value for them or None) of the data under way."""
        if self.state == "data":
            return self.need, self.blank_byte
        return 0, None

    # -- helpers for subclasses

    def begin(self, i):
        """A command's first byte is at index `i` of the chunk being fed."""
        self.cmd_at = self.pos + i

    def named(self, name):
        """The command that began at cmd_at is `name`."""
        self.commands.append((self.cmd_at, name))

    def strange(self, i, what):
        self.unknown.append((self.pos + i, what))

    def collect(self, count, then):
        """Read `count` argument bytes, then call method `then`(args)."""
        self.args = b""
        if count == 0:
            getattr(self, then)(b"")
            return
        self.state, self.want, self.then = "args", count, then

    def skip(self, count, blank=None, after="to_top", coding="raw"):
        """`count` data bytes, then call method `after`().  For pixel data,
        `blank` is the blank value and `coding` how the bytes encode pixels:
        "raw", "packbits" (TIFF) or "pairs" (run length, value)."""
        if count <= 0:
            getattr(self, after)()
            return
        self.state, self.need, self.blank_byte, self.after = "data", count, blank, after
        self.coding, self.coding_state = coding, (0, False) if coding == "packbits" else 0

    def count_ink(self, chunk):
        """Add the bytes of pixel data `chunk` that print to `inked`."""
        if self.blank_byte is None:
            return
        if self.coding == "raw":
            self.inked += len(chunk) - chunk.count(self.blank_byte)
        elif self.coding == "packbits":
            self.coding_state, ink = packbits_ink(self.coding_state, chunk)
            self.inked += ink
        else:
            values = chunk[1 - self.coding_state::2]
            self.inked += len(values) - values.count(0)
            self.coding_state = (self.coding_state + len(chunk)) % 2

    def to_top(self, args=b""):
        self.state = "top"

    def scan_to(self, d, i, n, needle, then):
        """Skip to just past byte string `needle`, then enter state `then`."""
        j = d.find(needle, i, n)
        if j < 0:
            return n
        self.state = then
        return j + len(needle)

    def step(self, d, i, n):
        """Consume at least one byte of d[i:n]; the index after them."""
        if self.state == "args":
            take = min(self.want - len(self.args), n - i)
            self.args += d[i:i + take]
            if len(self.args) == self.want:
                self.state = "top"
                getattr(self, self.then)(self.args)
            return i + take
        if self.state == "data":
            take = min(self.need, n - i)
            self.count_ink(d[i:i + take])
            self.need -= take
            if self.need == 0:
                self.state = "top"
                getattr(self, self.after)()
            return i + take
        return self.step_language(d, i, n)

    def step_language(self, d, i, n):
        raise NotImplementedError


def packbits_ink(state, chunk):
    """Bytes that print in a chunk of TIFF PackBits data (a counter below 128
    copies counter+1 bytes, above 128 repeats the next byte); `state`, the
    (literal bytes left, repeated byte awaited) at the chunk's start, and the
    count are returned."""
    left, repeat = state
    ink = 0
    for b in chunk:
        if left:
            left -= 1
            ink += b != 0
        elif repeat:
            repeat = False
            ink += b != 0
        elif b < 128:
            left = b + 1
        elif b > 128:
            repeat = True
    return (left, repeat), ink


def le16(b, at=0):
    return b[at] | b[at + 1] << 8


class Prefixed(Parser):
    """A language of prefix bytes (ESC, GS, ...) followed by a command byte
    looked up in tables: `fixed` argument counts or a handler method."""

    prefixes = {}        # prefix byte -> its display name
    fixed = {}           # (prefix, command byte) -> argument count
    handlers = {}        # (prefix, command byte) -> method name, called with no args

    def step_language(self, d, i, n):
        b = d[i]
        if self.state == "top":
            if b in self.prefixes:
                self.begin(i)
                self.prefix = b
                self.state = "prefix"
            else:
                self.begin(i)
                self.single(b)
            return i + 1
        if self.state == "prefix":
            self.command_byte(i, b)
            return i + 1
        if self.state == "until":
            j = d.find(bytes([self.terminator]), i, n)
            end = n if j < 0 else j + 1
            self.left -= end - i
            if j >= 0 or self.left <= 0:
                self.state = "top"
            return end
        raise AssertionError(self.state)

    def single(self, b):
        """A byte outside any command: a control code or text."""
        self.named("text" if 0x20 <= b < 0x7F or b >= 0x80 else "ctl-%02x" % b)

    def command_byte(self, i, c):
        self.named("%s %s" % (self.prefixes[self.prefix], chr(c) if 0x20 < c < 0x7F else "%02x" % c))
        key = (self.prefix, c)
        self.state = "top"
        if key in self.fixed:
            self.collect(self.fixed[key], "to_top")
        elif key in self.handlers:
            getattr(self, self.handlers[key])()
        else:
            self.strange(i, "%s %02x" % (self.prefixes[self.prefix], c))

    def until_byte(self, terminator, limit):
        """Arguments up to and including `terminator` (at most `limit` bytes)."""
        self.state, self.terminator, self.left = "until", terminator, limit


# ---------------------------------------------------------------- ESC/POS

def table(prefix, counts):
    """{(prefix, byte): count} from {"command bytes": count}."""
    return {(prefix, ord(c)): count for chars, count in counts.items() for c in chars}


class EscPos(Prefixed):
    """Epson ESC/POS (TM series receipt printers)."""

    language = "escpos"
    prefixes = {ESC: "ESC", GS: "GS", FS: "FS", DLE: "DLE"}
    fixed = {**table(ESC, {"@2<LSim\x0c": 0, "!-3aEGJMRtV{dUe%?r=TK ": 1, "$\\cB": 2,
                           "p": 3, "W": 8}),
             **table(GS, {"!BHhwfbarITj/": 1, "LW$\\P": 2}),
             **table(FS, {"&.": 0, "!-CW": 1, "pS": 2}),
             **table(DLE, {"\x04\x05": 1})}
    handlers = {(ESC, ord("*")): "esc_bit_image", (ESC, ord("D")): "esc_tabs",
                (ESC, ord("(")): "with_length", (ESC, ord("&")): "esc_user_chars",
                (ESC, ord("B")): "two_args",
                (GS, ord("v")): "gs_raster", (GS, ord("V")): "gs_cut",
                (GS, ord("k")): "gs_barcode", (GS, ord("(")): "with_length",
                (GS, ord("8")): "gs_long_graphics", (GS, ord("*")): "gs_download",
                (GS, ord(":")): "gs_macro", (GS, ord("^")): "gs_execute_macro",
                (FS, ord("(")): "with_length", (DLE, 0x14): "dle_dc4"}

    def power_on(self):
        self.macro = False

    def storing(self):
        return "a macro definition (GS :)" if self.macro else None

    def gs_macro(self):
        self.macro = not self.macro          # starts or ends the definition

    def gs_execute_macro(self):
        self.collect(3, "macro_executed")    # r t m

    def macro_executed(self, a):
        self.macro = False                   # in a definition: aborts and clears it

    def two_args(self):
        self.collect(2, "to_top")

    def esc_bit_image(self):
        self.collect(3, "esc_bit_image_data")

    def esc_bit_image_data(self, a):
        columns = le16(a, 1)
        per_column = {0: 1, 1: 1, 32: 3, 33: 3}.get(a[0])
        if per_column is None:
            self.strange(0, "ESC * m=%d" % a[0])
            per_column = 3
        self.skip(columns * per_column, 0x00)

    def esc_tabs(self):
        self.until_byte(0x00, 33)

    def esc_user_chars(self):
        self.collect(3, "user_chars_header")

    def user_chars_header(self, a):
        self.char_height, self.chars_left = a[0], max(a[2] - a[1] + 1, 0)
        self.user_char_next()

    def user_char_next(self):
        if self.chars_left == 0:
            self.state = "top"
            return
        self.chars_left -= 1
        self.collect(1, "user_char_width")

    def user_char_width(self, a):
        self.skip(self.char_height * a[0], None, "user_char_next")

    def with_length(self):
        self.collect(3, "with_length_data")                # fn pL pH

    def with_length_data(self, a):
        self.skip(le16(a, 1))

    def gs_raster(self):
        self.collect(6, "gs_raster_data")                  # '0' m xL xH yL yH

    def gs_raster_data(self, a):
        if a[0] not in (0x00, 0x30):
            self.strange(0, "GS v %02x" % a[0])
        self.skip(le16(a, 2) * le16(a, 4), 0x00)

    def gs_cut(self):
        self.collect(1, "gs_cut_mode")

    def gs_cut_mode(self, a):
        self.collect(1 if a[0] in (65, 66, 97, 98, 103, 104) else 0, "to_top")

    def gs_barcode(self):
        self.collect(1, "gs_barcode_type")

    def gs_barcode_type(self, a):
        if a[0] <= 6:
            self.until_byte(0x00, 256)
        else:
            self.collect(1, "gs_barcode_length")

    def gs_barcode_length(self, a):
        self.skip(a[0])

    def gs_long_graphics(self):
        self.collect(6, "gs_long_graphics_data")           # 'L' p1 p2 p3 p4 m

    def gs_long_graphics_data(self, a):
        size = a[1] | a[2] << 8 | a[3] << 16 | a[4] << 24
        self.skip(size - 1)                                  # m was the first of them

    def gs_download(self):
        self.collect(2, "gs_download_data")

    def gs_download_data(self, a):
        self.skip(a[0] * a[1] * 8, 0x00)

    def dle_dc4(self):
        self.collect(1, "dle_dc4_function")

    def dle_dc4_function(self, a):
        self.collect({1: 2, 2: 2, 7: 1, 8: 7}.get(a[0], 0), "to_top")


# ---------------------------------------------------------------- ESC/P

class EscP(Prefixed):
    """Epson ESC/P and ESC/P 2: dot-matrix bit images and the raster
    graphics mode of inkjets (ESC ( G, ESC ., ESC i), packet-mode exit (EJL)
    and remote mode."""

    language = "escp"
    prefixes = {ESC: "ESC"}
    fixed = table(ESC, {"@PMgO01245678<>=#EFGHT9": 0, "pxUlQ3A+JjN-WwSktR!%aImsq/r\x19 ": 1,
                        "$\\cfe": 2, "X:": 3})
    handlers = {(ESC, ord("*")): "bit_image", (ESC, ord("K")): "bit_image_8",
                (ESC, ord("L")): "bit_image_8", (ESC, ord("Y")): "bit_image_8",
                (ESC, ord("Z")): "bit_image_8", (ESC, ord("^")): "bit_image_9",
                (ESC, ord(".")): "raster", (ESC, ord("i")): "esc_i",
                (ESC, ord("(")): "extended", (ESC, ord("C")): "form_length",
                (ESC, ord("B")): "tabs", (ESC, ord("D")): "tabs",
                (ESC, ord("b")): "channel_tabs", (ESC, 0x01): "ejl"}

    def power_on(self):
        self.graphics = False
        self.remote = False

    def command_byte(self, i, c):
        if c == ord("@"):
            self.power_on()
        super().command_byte(i, c)

    def bit_image(self):
        self.collect(3, "bit_image_data")

    def bit_image_data(self, a):
        per_column = 1 if a[0] <= 7 else 3 if 32 <= a[0] <= 40 else 6 if 71 <= a[0] <= 73 else None
        if per_column is None:
            self.strange(0, "ESC * m=%d" % a[0])
            per_column = 6
        self.skip(le16(a, 1) * per_column, 0x00)

    def bit_image_8(self):
        self.collect(2, "bit_image_8_data")

    def bit_image_8_data(self, a):
        self.skip(le16(a), 0x00)

    def bit_image_9(self):
        self.collect(3, "bit_image_9_data")

    def bit_image_9_data(self, a):
        self.skip(le16(a, 1) * 2, 0x00)

    def raster(self):
        self.collect(6, "raster_data")                    # c v h m nL nH

    def raster_data(self, a):
        rows, width = a[3], le16(a, 4)
        self.start_raster(a[0], rows * ((width + 7) // 8))

    def esc_i(self):
        if self.graphics:
            self.collect(7, "esc_i_data")                  # r c b nL nH mL mH
        else:
            self.collect(1, "to_top")                      # ESC i n: immediate print

    def esc_i_data(self, a):
        self.start_raster(a[1], le16(a, 3) * le16(a, 5))

    def start_raster(self, compression, size):
        """Raster data of `size` decoded bytes, plain (0) or run-length coded (1)."""
        if compression in (0, 0x30):
            self.skip(size, 0x00)
        elif compression in (1, 0x31):
            self.rle_left = size
            self.state = "rle"
            if size == 0:
                self.state = "top"
        else:
            self.strange(0, "raster compression %d" % compression)
            self.skip(size, None)

    def extended(self):
        self.collect(3, "extended_data")                  # c nL nH

    def extended_data(self, a):
        self.ext = a[0]
        self.collect(le16(a, 1), "extended_done")

    def extended_done(self, data):
        if self.ext == ord("G"):
            self.graphics = bool(data) and data[0] in (1, 0x31)
        elif self.ext == ord("R") and data[1:8] == b"REMOTE1":
            self.state = "remote"
            self.remote_head = b""

    def form_length(self):
        self.collect(1, "form_length_inches")

    def form_length_inches(self, a):
        self.collect(1 if a[0] == 0 else 0, "to_top")      # ESC C NUL n: inches

    def tabs(self):
        self.until_byte(0x00, 33)

    def channel_tabs(self):
        self.collect(1, "tabs_after_channel")

    def tabs_after_channel(self, a):
        self.until_byte(0x00, 17)

    def ejl(self):
        self.state = "ejl"

    def step_language(self, d, i, n):
        s = self.state
        if s == "rle":
            return self.step_rle(d, i, n)
        if s == "ejl":                     # "@EJL ..." lines after ESC 01
            return self.scan_to(d, i, n, b"\n", "ejl-line")
        if s == "ejl-line":
            if d[i] == ord("@"):
                self.begin(i)
                self.named("EJL")
                self.state = "ejl"
                return i + 1
            self.state = "top"
            return i
        if s == "remote":                  # two letters, nL nH, data; ESC NUL NUL NUL ends
            self.begin(i)
            self.collect(4, "remote_command")
            return i
        return super().step_language(d, i, n)

    def remote_command(self, a):
        if a == b"\x1b\x00\x00\x00":
            self.named("remote exit")
            self.state = "top"
            return
        self.named("remote %s" % a[:2].decode("latin-1"))
        self.skip(le16(a, 2), None, "remote_next")

    def remote_next(self):
        self.state = "remote"

    def step_rle(self, d, i, n):
        """TIFF-style run-length data: a counter below 128 copies counter+1 bytes,
        above it repeats the next byte 257-counter times."""
        if self.need:                      # inside a literal run or awaiting the repeated byte
            if self.repeat:
                self.rle_left -= self.repeat
                self.need = 0
                take = 1
            else:
                take = min(self.need, n - i)
                self.need -= take
                self.rle_left -= take
            self.inked += take - d.count(0, i, i + take)
        else:
            counter = d[i]
            take = 1
            if counter < 128:
                self.need, self.repeat = counter + 1, 0
            else:
                self.need, self.repeat = 1, 257 - counter
        if self.rle_left <= 0 and not self.need:
            self.state = "top"
        return i + take

    def idle(self):
        return self.state in ("top", "remote", "ejl-line")

    def storing(self):
        return "remote mode" if self.state == "remote" else None

    def pending_blank(self):
        if self.state == "rle":
            return self.rle_left, 0x00
        return super().pending_blank()


# ---------------------------------------------------------------- ESC/P-R

def le32(b, at=0):
    return le16(b, at) | le16(b, at + 2) << 16


class EscPR(EscP):
    """Epson ESC/P-R, from Epson's ESC/P-R driver library (no public reference
    exists): ESC/P command level as in ESC/P; ESC ( R with the data
    NUL "ESCPR" (or NUL "ESCPRJ") enters ESC/P-R mode, where every command is
    a record: ESC, a class byte, a 32-bit little-endian parameter length, a
    4-byte name and the parameters.  "endj" returns to ESC/P command level.
    A "dsnd" record carries x, y (2 bytes each), a compression byte (0 none,
    1 run length), a 16-bit big-endian data size and the data: RGB pixels of
    3 bytes (1 byte, a palette index, when the "setq" record's seventh byte
    is 1); run-length data is groups of a counter and pixels (below 128:
    counter+1 literal pixels; else one pixel, repeated 257-counter times).
    White is 0xFF.

    Corners the source leaves open, taken the hard way: a byte other than ESC
    where a record should start, a record name the driver never sends, a
    dsnd whose size is not its length - 7 and run-length groups that do not
    end exactly at the data's end leave the printer broken (never idle
    again); palette indices have no known white (every byte counts as ink);
    remote mode is not idle (an ESC there begins a record)."""

    language = "escpr"
    NAMES = {b"setq", b"setj", b"sets", b"chku", b"seta", b"setc", b"sttp", b"setn", b"dsnd",
             b"jsnd", b"endp", b"endj"}

    def power_on(self):
        super().power_on()
        self.page = False
        self.bpp = 3

    def extended_done(self, data):
        if self.ext == ord("R") and data[:1] == b"\0" and data[1:] in (b"ESCPR", b"ESCPRJ"):
            self.state = "escpr"
            self.page, self.bpp = False, 3
            return
        super().extended_done(data)

    def step_language(self, d, i, n):
        s = self.state
        if s == "escpr":
            self.begin(i)
            if d[i] != ESC:
                self.strange(i, "byte %02x between ESC/P-R records" % d[i])
                self.state = "broken"
                return i + 1
            self.collect(10, "record")
            return i
        if s == "escpr-rle":
            return self.step_escpr_rle(d, i, n)
        if s == "broken":
            return n
        return super().step_language(d, i, n)

    def record(self, a):
        self.record_name, length = a[6:10], le32(a, 2)
        self.named("ESC/P-R %s" % self.record_name.decode("latin-1"))
        if self.record_name not in self.NAMES:
            self.strange(0, "ESC/P-R record %r" % self.record_name)
            self.state = "broken"
        elif self.record_name == b"dsnd":
            self.record_length = length
            self.collect(7, "dsnd")
        elif self.record_name == b"jsnd":
            self.skip(length, None, "next_record")              # JPEG: no blank value
        else:
            self.collect(length, "parameters")

    def parameters(self, p):
        name = self.record_name
        if name == b"setq" and len(p) > 6:
            self.bpp = 1 if p[6] == 1 else 3
        elif name == b"sttp":
            self.page = True
        elif name == b"endp":
            self.page = False
        if name == b"endj":
            self.state = "top"
        else:
            self.state = "escpr"

    def next_record(self):
        self.state = "escpr"

    def dsnd(self, h):
        size = h[5] << 8 | h[6]
        if size != self.record_length - 7 or h[4] not in (0, 1):
            self.strange(0, "dsnd size %d in a record of %d" % (size, self.record_length))
            self.state = "broken"
            return
        blank = 0xFF if self.bpp == 3 else None
        if h[4] == 0:
            self.skip(size, blank, "next_record")
            if blank is None:
                self.inked += size
            return
        self.rle_left, self.group_left = size, 0
        self.state = "escpr-rle" if size else "escpr"

    def step_escpr_rle(self, d, i, n):
        """Run-length data: a counter, then its pixels; the data must end with a group."""
        if self.group_left == 0:
            counter = d[i]
            self.group_left = (counter + 1) * self.bpp if counter < 128 else self.bpp
            self.rle_left -= 1
            take = 1
            if self.group_left > self.rle_left:
                self.strange(i, "run-length group beyond the data")
                self.state = "broken"
                return i + 1
        else:
            take = min(self.group_left, n - i)
            chunk = d[i:i + take]
            self.inked += take - (chunk.count(0xFF) if self.bpp == 3 else 0)
            self.group_left -= take
            self.rle_left -= take
        if self.rle_left == 0 and self.group_left == 0:
            self.state = "escpr"
        return i + take

    def idle(self):
        return self.state in ("top", "ejl-line")

    def pending_blank(self):
        if self.state == "escpr-rle":
            return self.rle_left, 0xFF
        return super().pending_blank()


# ---------------------------------------------------------------- PCL, PJL, HP-GL/2

# (parameter character, group character, terminator) of commands followed by
# value-many bytes of binary data.
PCL_DATA = {("*", "b", "W"), ("*", "b", "V"), ("*", "v", "W"), ("*", "c", "W"),
            ("(", "s", "W"), (")", "s", "W"), ("(", "f", "W"), ("*", "l", "W"),
            ("*", "m", "W"), ("*", "i", "W"), ("&", "p", "X"), ("&", "n", "W"),
            ("&", "b", "W"), ("*", "o", "W"), ("*", "g", "W")}
# How the raster compression modes this model decodes code pixels (ESC*b#M).
PCL_CODINGS = {0: "raw", 1: "pairs", 2: "packbits"}


class Pcl(Parser):
    """HP PCL 5 / PCL 3 with PJL job control and HP-GL/2 (the modes a
    LaserJet, DeskJet or DesignJet driver switches between)."""

    language = "pcl"
    escape_ends_strings = False

    def power_on(self):
        self.mode = "pjl"              # after power-on and after a UEL: PJL (auto-detect)
        self.personality = "pcl"       # what ESC E returns to (PJL ENTER LANGUAGE)
        self.entering = None
        self.compression = 0
        self.terminator = 0x03         # HP-GL/2 label terminator
        self.macro = False             # between ESC&f0X and ESC&f1X

    def storing(self):
        return "a macro definition (ESC&f0X)" if self.macro else None

    def idle(self):
        return self.state == "top"

    # -- PJL

    def step_language(self, d, i, n):
        mode = self.mode
        if self.state != "top" and self.state.startswith("esc"):
            return self.step_escape(d, i, n)
        if mode == "pjl":
            return self.step_pjl(d, i, n)
        if mode == "hpgl":
            return self.step_hpgl(d, i, n)
        return self.step_pcl(d, i, n)

    def step_pjl(self, d, i, n):
        b = d[i]
        if self.state == "pjl-line":
            j = d.find(b"\n", i, n)
            end = n if j < 0 else j + 1
            self.line += bytes(d[i:end])
            if j >= 0:
                self.pjl_line_done()
            return end
        if b == ord("@"):
            self.begin(i)
            self.named("PJL")
            self.state, self.line = "pjl-line", b""
            return i
        if b in (0x0D, 0x0A, 0x20, 0x09):
            return i + 1
        self.mode = self.personality       # anything else: the page description language
        return i

    def pjl_line_done(self):
        self.state = "top"
        words = self.line.upper().replace(b"=", b" = ").split()
        if words[:2] == [b"@PJL", b"ENTER"] and b"LANGUAGE" in words:
            lang = words[-1]
            self.personality = {b"HPGL2": "hpgl", b"PCL": "pcl"}.get(lang, "opaque")
            self.mode = self.personality

    # -- PCL

    def step_pcl(self, d, i, n):
        b = d[i]
        self.begin(i)
        if b == ESC:
            self.state = "esc"
            return i + 1
        if self.mode == "opaque":          # a language this model does not parse: only UEL counts
            j = d.find(b"\x1b", i, n)
            return n if j < 0 else j
        self.named("text" if b >= 0x20 else "ctl-%02x" % b)
        return i + 1

    def step_escape(self, d, i, n):
        b = d[i]
        s = self.state
        if b == ESC:                       # restarts the sequence
            self.begin(i)
            self.state = "esc"
            return i + 1
        if s == "esc":
            if 33 <= b <= 47:
                self.pchar, self.group, self.value = chr(b), "", ""
                self.state = "esc-group"
            else:
                self.named("ESC %s" % chr(b))
                self.state = "top"
                if b == ord("E"):
                    self.reset()
                elif not 48 <= b <= 126:
                    self.strange(i, "ESC %02x" % b)
            return i + 1
        if s == "esc-group":
            self.state = "esc-value"
            if 96 <= b <= 126 and self.pchar != "%":
                self.group = chr(b)
                return i + 1
            return i
        # esc-value: [+-]digits[.digits] then a parameter character
        if b in b"+-.0123456789":
            self.value += chr(b)
            return i + 1
        if 64 <= b <= 94 or 96 <= b <= 126:
            return self.parameter(i, b)
        self.strange(i, "ESC %s%s%s then %02x" % (self.pchar, self.group, self.value, b))
        self.state = "top"
        return i + 1

    def parameter(self, i, b):
        """One parameter of an escape sequence; lower case continues it."""
        final = chr(b).upper()
        name = "ESC %s%s%s" % (self.pchar, self.group, final)
        try:
            value = int(float(self.value)) if self.value not in ("", "+", "-", ".") else 0
        except ValueError:
            value = 0
        self.named(name)
        more = b >= 96
        self.value = ""
        self.state = "esc-value" if more else "top"
        if (self.pchar, self.group, final) == ("*", "b", "M"):
            self.compression = value
        if (self.pchar, self.group, final) == ("&", "f", "X") and value in (0, 1):
            self.macro = value == 0
        if self.pchar == "%" and final == "X" and value == -12345:
            self.mode = "pjl"
            self.personality = "pcl"
            self.macro = False
        elif self.pchar == "%" and final == "A":
            self.mode = "pcl"
        elif self.pchar == "%" and final == "B":
            self.mode = "hpgl"
        if (self.pchar, self.group, final) in PCL_DATA and value > 0:
            raster = self.pchar == "*" and self.group == "b"
            coding = PCL_CODINGS.get(self.compression) if raster else None
            self.skip(value, None if coding is None else 0x00,
                      "escape_continues" if more else "to_top", coding)
        return i + 1

    def escape_continues(self):
        self.state = "esc-value"

    def reset(self):
        self.mode = self.personality if self.personality != "opaque" else "pcl"
        self.compression = 0
        self.terminator = 0x03

    # -- HP-GL/2

    def step_hpgl(self, d, i, n):
        b = d[i]
        s = self.state
        if s == "top":
            if b == ESC:
                self.begin(i)
                self.state = "esc"
            elif 65 <= (b & 0xDF) <= 90:
                self.begin(i)
                self.mnemonic = chr(b).upper()
                self.state = "hpgl-mnemonic"
            return i + 1
        if s == "hpgl-mnemonic":
            if not 65 <= (b & 0xDF) <= 90:
                self.state = "top"           # half a mnemonic: dropped
                return i
            self.mnemonic += chr(b).upper()
            self.named(self.mnemonic)
            self.state = {"LB": "hpgl-label", "DT": "hpgl-dt", "SM": "hpgl-char",
                          "PE": "hpgl-pe"}.get(self.mnemonic, "hpgl-params")
            if self.mnemonic == "IN":
                self.terminator = 0x03
            return i + 1
        if s == "hpgl-label":
            return self.scan_to(d, i, n, bytes([self.terminator]), "hpgl-params")
        if s == "hpgl-string":
            if self.escape_ends_strings:
                j = d.find(b"\x1b", i, n)
                k = d.find(b'"', i, n)
                if j >= 0 and (k < 0 or j < k):
                    self.state = "top"
                    return j
            return self.scan_to(d, i, n, b'"', "hpgl-params")
        if s in ("hpgl-dt", "hpgl-char"):
            if s == "hpgl-dt":
                self.terminator = 0x03 if b == ord(";") else b
            self.state = "top" if b == ord(";") else "hpgl-params"
            return i + 1
        if s == "hpgl-pe":
            return self.scan_to(d, i, n, b";", "top")
        # hpgl-params
        if b == ord(";"):
            self.state = "top"
            return i + 1
        if b == ord('"'):
            self.state = "hpgl-string"
            return i + 1
        if b == ESC or 65 <= (b & 0xDF) <= 90:
            self.state = "top"               # ends the instruction; starts the next
            return i
        return i + 1


# ---------------------------------------------------------------- ZPL

HEX_DIGITS = frozenset(b"0123456789ABCDEFabcdef")


class Zpl(Parser):
    """Zebra ZPL II: commands run from a prefix (^ or ~) to the next prefix;
    ~DG and ^GF carry graphics as ASCII hex with ZPL's compression (G-Y and
    g-z repeat counts, ',' '!' ':' row fills) or as binary bytes."""

    language = "zpl"

    def power_on(self):
        self.caret, self.tilde = ord("^"), ord("~")
        self.format, self.stored_format = False, False

    def storing(self):
        return ("a format (^XA)" if not self.stored_format else "a stored format (^DF)") \
            if self.format else None

    def idle(self):
        return self.state in ("top", "params", "head")

    def step_language(self, d, i, n):
        s = self.state
        b = d[i]
        if s in ("top", "params"):
            if b == self.caret or b == self.tilde:
                self.begin(i)
                self.code = chr(b)
                self.state = "code"
                return i + 1
            if s == "params" and self.code[1:] in ("CC", "CT") and b > 0x20:
                self.set_prefix(b)
                self.code += "="
            j = i + 1
            while j < n and d[j] != self.caret and d[j] != self.tilde:
                j += 1
            return j
        if s == "code":
            self.code += chr(b).upper()
            if len(self.code) == 3:
                self.command()
            return i + 1
        if s == "head":                     # the parameters before a graphic's data
            if b == ord(","):
                self.fields.append(self.field)
                self.field = ""
                if len(self.fields) == self.head_fields:
                    self.graphic()
            elif b == self.caret or b == self.tilde:
                self.state = "top"          # a command cut short
                return i
            else:
                self.field += chr(b)
            return i + 1
        if s == "hex":
            return self.step_hex(d, i, n)
        if s == "hex-tilde":
            self.code += chr(b).upper()
            if len(self.code) == 3:
                if self.code == "~DN":
                    self.named("~DN")
                    self.state = "params"
                else:
                    self.strange(i, "%s inside graphic data" % self.code)
                    self.state = "hex"
            return i + 1
        raise AssertionError(s)

    def set_prefix(self, b):
        if self.code in ("^CC", "~CC"):
            self.caret = b
        else:
            self.tilde = b

    def command(self):
        self.named(self.code)
        key = self.code
        self.state = "params"
        if key == "^XA":
            self.format, self.stored_format = True, False
        elif key == "^DF" and self.format:
            self.stored_format = True
        elif key == "^XZ":
            if self.format and not self.stored_format:
                self.inked += 1             # the label prints
            self.format = False
        elif key == "~JX":
            self.format = False             # the partially received format is dropped
        if key == "~DG":                    # ~DGd:o.x,t,w,data
            self.fields, self.field, self.head_fields = [], "", 3
            self.state = "head"
        elif key == "^GF":                  # ^GFa,b,c,d,data
            self.fields, self.field, self.head_fields = [], "", 4
            self.state = "head"

    def graphic(self):
        f = self.fields
        try:
            if self.code == "~DG":
                total, row, kind = int(f[1]), int(f[2]), "A"
            else:
                kind, total, row = f[0].strip().upper() or "A", int(f[2]), int(f[3])
                if kind in ("B", "C"):
                    total = int(f[1])
        except (ValueError, IndexError):
            self.strange(0, "%s header %r" % (self.code, f))
            self.state = "params"
            return
        if kind in ("B", "C"):
            self.skip(total, 0x00 if kind == "B" else None, "after_data")
            return
        self.nibbles_left = 2 * total
        self.row = max(2 * row, 1)
        self.in_row = 0
        self.count = 0
        self.state = "hex" if total > 0 else "params"

    def after_data(self):
        self.state = "params"

    def produce(self, nibbles):
        """`nibbles` decoded; the data ends when the declared size is reached."""
        self.nibbles_left -= nibbles
        self.in_row = (self.in_row + nibbles) % self.row
        if self.nibbles_left <= 0:
            self.state = "params"

    def step_hex(self, d, i, n):
        b = d[i]
        if b in HEX_DIGITS:
            if self.count:
                self.inked += b != ord("0")
                self.produce(self.count)
                self.count = 0
                return i + 1
            j = i + 1
            limit = min(n, i + self.nibbles_left)
            while j < limit and d[j] in HEX_DIGITS:
                j += 1
            self.inked += j - i - d.count(b"0", i, j)
            self.produce(j - i)
            return j
        if ord("G") <= b <= ord("Y"):
            self.count += b - ord("G") + 1
        elif ord("g") <= b <= ord("z"):
            self.count += 20 * (b - ord("g") + 1)
        elif b in b",!:":                  # the row's rest: blank, black, the row above
            self.inked += b != ord(",")
            self.count = 0
            self.produce(self.row - self.in_row)
        elif b == self.tilde:
            self.code = "~"
            self.state = "hex-tilde"
        elif b not in b"\r\n\t ":
            self.strange(i, "byte %02x inside graphic data" % b)
        return i + 1

    def pending_blank(self):
        if self.state == "hex":
            return self.nibbles_left, ord("0")
        return super().pending_blank()


# ---------------------------------------------------------------- EPL

class Epl(Parser):
    """Zebra EPL2 page mode: one command per line; GW carries width x height
    bytes of binary image data (a 0 bit prints, so 0xFF is blank) and GM a
    PCX file of the declared size."""

    language = "epl"

    def power_on(self):
        self.form = False

    def storing(self):
        return "a form (FS)" if self.form else None

    def step_language(self, d, i, n):
        s = self.state
        b = d[i]
        if s == "top":
            if b in (0x0A, 0x0D):
                return i + 1
            self.begin(i)
            self.state, self.line = "line", b""
            return i
        if s == "line":
            self.line += bytes([b])
            if len(self.line) == 2 or b == 0x0A:
                name = self.line.rstrip(b"\r\n").decode("latin-1")
                self.named(name[:2] if name[:1] in ("G", "O", "Z", "F", "J") else name[:1])
                self.state = "gw" if self.line == b"GW" else "gm" if self.line == b"GM" else \
                    "form-line" if self.line in (b"FS", b"FE") else "rest"
                if b == 0x0A:
                    self.state = "top"
            return i + 1
        if s == "rest":
            return self.scan_to(d, i, n, b"\n", "top")
        if s == "form-line":                # FS"name" starts storing, FE ends it, at the LF
            j = d.find(b"\n", i, n)
            if j < 0:
                return n
            self.form = self.line == b"FS"
            self.state = "top"
            return j + 1
        if s == "gw":                       # p1,p2,p3,p4 then ',' or line feed
            self.line += bytes([b])
            head = self.line[2:]
            commas = head.count(b",")
            if commas == 4 or (commas == 3 and b == 0x0A):
                self.image(head)
            elif b == 0x0A:                 # a line cut short: a malformed command
                self.state = "top"
            return i + 1
        if s == "gm":                       # "name"p1 line feed
            self.line += bytes([b])
            if b == 0x0A:
                try:
                    size = int(self.line.rsplit(b'"', 1)[1].strip(b"\r\n ,"))
                except (ValueError, IndexError):
                    self.strange(i, "GM header %r" % self.line)
                    size = 0
                self.skip(size)
            return i + 1
        raise AssertionError(s)

    def image(self, head):
        try:
            p = [int(x.strip(b"\r\n ") or 0) for x in head.split(b",")[:4]]
        except ValueError:
            self.strange(0, "GW header %r" % head)
            self.state = "top"
            return
        self.skip(p[2] * p[3], 0xFF)

    def idle(self):
        return self.state == "top"


# ---------------------------------------------------------------- Dymo

class Dymo(Prefixed):
    """Dymo LabelWriter: ESC commands; SYN + one raster line of the bytes per
    line set by ESC D; ETB + one run-length coded line."""

    language = "dymo"
    prefixes = {ESC: "ESC"}
    fixed = table(ESC, {"@AEGhicdeg*": 0, "Bq": 1, "LfQ": 2})   # ESC Q n1 n2: line tab
    handlers = {(ESC, ord("D")): "bytes_per_line"}
    LINE_BYTES = 84                     # LabelWriter 4xx, 672 dots

    def power_on(self):
        self.line_bytes = self.LINE_BYTES

    def command_byte(self, i, c):
        if c == ESC:                       # ESC ESC: the command starts again
            self.begin(i)
            return
        super().command_byte(i, c)
        if c in (ord("@"), ord("*")):
            self.power_on()

    def bytes_per_line(self):
        self.collect(1, "line_bytes_set")

    def line_bytes_set(self, a):
        self.line_bytes = a[0]
        self.state = "top"

    def single(self, b):
        if b == SYN:
            self.named("SYN")
            self.skip(self.line_bytes, 0x00)
        elif b == ETB:
            self.named("ETB")
            self.dots = self.line_bytes * 8
            self.state = "etb"
        else:
            self.named("byte-%02x" % b)

    def step_language(self, d, i, n):
        if self.state == "etb":            # bit 7 colour, bits 0-6 run length - 1
            self.dots -= (d[i] & 0x7F) + 1
            self.inked += d[i] >> 7
            if self.dots <= 0:
                self.state = "top"
            return i + 1
        return super().step_language(d, i, n)

    def pending_blank(self):
        if self.state == "etb":
            return self.dots, 0x00
        return super().pending_blank()


class PclLenient(Pcl):
    """PCL whose HP-GL/2 quoted strings end at an escape sequence."""

    escape_ends_strings = True


MODELS = {m.language: m for m in (EscPos, EscP, Pcl, Zpl, Epl, Dymo, EscPR)}
LENIENT = {"pcl": PclLenient}


def parse(language, data):
    """A model of `language` fed `data` from power-on."""
    return MODELS[language]().feed(data)

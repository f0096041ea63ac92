"""Real printer streams, made at test time by the stock drivers Debian ships.

Besides the CUPS drivers below: printer-driver-dymo's raster2dymolw,
printer-driver-gutenprint's rastertogutenprint (an ESC/P2 Stylus, a PCL
LaserJet and a PCL 3 DeskJet) and Ghostscript's built-in printer devices
(GS_DEVICES: every one whose output is PCL or ESC/P; GS_FOREIGN: some whose
output is a language without a tracker, for the detection test), each
printing a small PostScript page; and driver output stored in a printer
mode (MODE_STREAMS: an EPL form, an ESC/POS and a PCL macro, ZPL ^DF
formats), so that cuts there must also leave the mode.

A small CUPS raster (version 3, written here from the layout of
cups_page_header2_t in <cups/raster.h>) goes through CUPS's rastertolabel
(ZPL, EPL, Dymo), rastertoepson (ESC/P dot matrix) and rastertohp (PCL), and
through cups-filters' rastertoescpx (ESC/P raster) and rastertopclx (PJL,
HP-GL/2 and PCL), each run directly the way cupsd runs a filter.  The ESC/POS
stream comes from a raster-to-ESC/POS conversion written here (no stock CUPS
driver speaks ESC/POS).

Usage: python3 tests/languages/streams.py OUTDIR   (writes LANGUAGE-NAME files)
       python3 tests/languages/streams.py --seeds OUTDIR
         (a fuzzing seed corpus: OUTDIR/LANGUAGE/ holds each stream of that
         language and slices of it that start at command boundaries)
"""

import os
import random
import struct
import subprocess
import sys
import tempfile

FILTERS = "/usr/lib/cups/filter"
DRIVERD = "/usr/lib/cups/daemon/cups-driverd"

# cups_cspace_t values used here
CSPACE_W, CSPACE_RGB, CSPACE_K, CSPACE_KCMY, CSPACE_CMYK = 0, 1, 3, 8, 6
# cups_order_t
ORDER_CHUNKED, ORDER_BANDED = 0, 1


# ---------------------------------------------------------------- CUPS raster

def page_header(width, height, dpi, colorspace=CSPACE_K, bits=1, colors=1, order=ORDER_CHUNKED,
                compression=0, row_count=0, media_type=0, page_size=None, page_size_name=""):
    """One cups_page_header2_t (1796 bytes, little-endian) for an uncompressed page."""
    xdpi, ydpi = dpi if isinstance(dpi, tuple) else (dpi, dpi)
    if order == ORDER_BANDED:
        bits_per_pixel = bits
        bytes_per_line = (width * bits + 7) // 8 * colors
    else:
        bits_per_pixel = bits * colors
        bytes_per_line = (width * bits_per_pixel + 7) // 8
    if page_size is None:
        page_size = (round(width * 72 / xdpi), round(height * 72 / ydpi))
    strings = b"".join(s.encode().ljust(64, b"\0") for s in ("", "", "", ""))
    head = struct.pack(
        "<29I",
        0, 0, 0, 0, 0,                      # AdvanceDistance .. Duplex
        xdpi, ydpi,                         # HWResolution
        0, 0, page_size[0], page_size[1],   # ImagingBoundingBox
        0, 0, 0,                            # InsertSheet, Jog, LeadingEdge
        0, 0,                               # Margins
        0, 0, 0, 0, 0,                      # ManualFeed .. NegativePrint
        1, 0, 0,                            # NumCopies, Orientation, OutputFaceUp
        page_size[0], page_size[1],         # PageSize
        0, 0, 0)                            # Separations, TraySwitch, Tumble
    cups = struct.pack("<12I", width, height, media_type, bits, bits_per_pixel, bytes_per_line,
                       order, colorspace, compression, row_count, 0, 0)
    floats = struct.pack("<I7f", colors, 1.0, float(page_size[0]), float(page_size[1]),
                         0.0, 0.0, float(page_size[0]), float(page_size[1]))
    user = bytes(64) + bytes(64) + bytes(16 * 64)
    tail = bytes(64) + bytes(64) + page_size_name.encode().ljust(64, b"\0")
    header = strings + head + cups + floats + user + tail
    assert len(header) == 1796, len(header)
    return header, bytes_per_line


def label_image(width, height, bytes_per_line, seed, planes=1):
    """Rows of a 1-bit picture with the features drivers treat specially: blank
    bands, solid bars, repeated rows, and noisy (incompressible) text-like rows.
    `planes` > 1 repeats each row per colour plane with other content."""
    rng = random.Random(seed)
    plane_bytes = bytes_per_line // planes
    rows = []
    for y in range(height):
        row = b""
        for p in range(planes):
            band = (y * 8 // max(height, 1) + p) % 8
            if band in (0, 5):
                line = bytes(plane_bytes)                            # blank
            elif band == 1:
                line = b"\xff" * plane_bytes                         # solid bar
            elif band == 2:
                line = bytes([0x0F, 0xF0] * plane_bytes)[:plane_bytes]   # repeated rows
            elif band in (3, 6):
                line = bytes(rng.getrandbits(8) for _ in range(plane_bytes))
            else:                                                    # a few "glyphs"
                line = bytearray(plane_bytes)
                for x in range(0, plane_bytes, 5):
                    line[x] = rng.choice((0x00, 0x3C, 0x66, 0x7E, 0x18))
                line = bytes(line)
            row += line
        rows.append(row)
    return rows


def raster_file(pages):
    """A CUPS raster stream: sync word "RaS3" (native order) and, per page,
    the header then the rows.  `pages` is a list of (header, rows)."""
    out = [struct.pack("<I", 0x52615333)]
    for header, rows in pages:
        out.append(header)
        out.extend(rows)
    return b"".join(out)


# ---------------------------------------------------------------- drivers

class Stream:
    """One real stream: a language, a name, how it is made and the driver
    (program and device) that makes it."""

    def __init__(self, language, name, make, driver=None):
        self.language = language
        self.name = name
        self.make = make
        self.driver = driver or name

    @property
    def key(self):
        return "%s-%s" % (self.language, self.name)


def driverd_ppd(uri, workdir):
    """A PPD from a stock .drv file, through cups-driverd."""
    path = os.path.join(workdir, uri.rsplit("/", 1)[1])
    with open(path, "wb") as f:
        subprocess.run([DRIVERD, "cat", uri], stdout=f, stderr=subprocess.DEVNULL, check=True)
    return path


# A minimal driver for cups-filters' ESC/P raster filter (no .drv in Debian
# carries one): an Epson Stylus-class printer, ESC ( i microweave, USB packet
# mode, extended units and the ESC i raster command.
ESCPX_DRV = """\
#include <font.defs>
#include <media.defs>
#include <escp.h>
{
  Manufacturer "Test"
  ModelName "ESCPX"
  PCFileName "escpx.ppd"
  Version 1.0
  DriverType escp
  ModelNumber ($ESCP_MICROWEAVE $ESCP_EXT_UNITS $ESCP_EXT_MARGINS $ESCP_USB $ESCP_PAGE_SIZE $ESCP_RASTER_ESCI)
  Filter application/vnd.cups-raster 50 rastertoescpx
  ColorDevice Yes
  *ColorModel Gray/Grayscale k chunky 0
  ColorModel CMYK/CMYK cmyk chunky 0
  *Resolution k 1 0 0 0 "360dpi/360 DPI"
  Resolution k 1 0 0 0 "720dpi/720 DPI"
  *MediaSize Letter
  HWMargins 0 0 0 0
}
"""


def escpx_ppd(workdir):
    """The ESC/P raster test driver's PPD, compiled with ppdc."""
    drv = os.path.join(workdir, "escpx.drv")
    with open(drv, "w") as f:
        f.write(ESCPX_DRV)
    subprocess.run(["ppdc", "-d", workdir, drv], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
    return os.path.join(workdir, "escpx.ppd")


def run_filter(name, ppd, raster, workdir, options=""):
    """`raster` through the stock filter `name` with `ppd`, as cupsd runs it; its output."""
    path = os.path.join(workdir, "page.ras")
    with open(path, "wb") as f:
        f.write(raster)
    env = dict(os.environ, PPD=ppd, CONTENT_TYPE="application/vnd.cups-raster",
               FINAL_CONTENT_TYPE="printer/test", TMPDIR=workdir,
               CUPS_DATADIR="/usr/share/cups", CUPS_SERVERBIN="/usr/lib/cups")
    done = subprocess.run([os.path.join(FILTERS, name), "1", "tester", "stream", "1", options, path],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if done.returncode != 0 or not done.stdout:
        raise RuntimeError("%s failed (%d): %s" % (name, done.returncode,
                                                   done.stderr.decode(errors="replace")[-2000:]))
    return done.stdout


def driver_stream(filter_name, ppd_uri, pages, options=""):
    """A maker for a stock driver's stream: `pages` is a list of page_header kwargs."""
    def make(workdir):
        ppd = escpx_ppd(workdir) if ppd_uri == "escpx" else driverd_ppd(ppd_uri, workdir)
        raster_pages = []
        for n, kw in enumerate(pages):
            header, bpl = page_header(**kw)
            planes = kw.get("colors", 1) if kw.get("order") == ORDER_BANDED else 1
            raster_pages.append((header, label_image(kw["width"], kw["height"], bpl, n, planes)))
        return run_filter(filter_name, ppd, raster_file(raster_pages), workdir, options)
    return make


# ---------------------------------------------------------------- ESC/POS

def escpos_stream(workdir):
    """A receipt as a raster ESC/POS driver writes one: initialize, text with
    alignment and emphasis, the label picture as GS v 0 bands of 24 rows,
    a line feed, a partial cut."""
    width, height = 384, 160
    bpl = width // 8
    rows = label_image(width, height, bpl, 7)
    out = [b"\x1b@", b"\x1ba\x01", b"\x1bE\x01RECEIPT\n", b"\x1bE\x00", b"\x1ba\x00"]
    for y in range(0, height, 24):
        band = rows[y:y + 24]
        out.append(b"\x1dv0\x00" + struct.pack("<HH", bpl, len(band)) + b"".join(band))
    out += [b"TOTAL 12.00\n", b"\x1bd\x03", b"\x1dV\x42\x00"]
    return b"".join(out)


# ---------------------------------------------------------------- ESC/P-R

def escpr_stream(model, options, pages=1):
    """A maker for Epson's ESC/P-R driver (printer-driver-escpr): its PPD for
    `model` from the driver's PPD generator, an RGB page of the paper size in
    `options` at 360 dpi (mostly white, with colour bars, sparse dots that make
    literal run-length groups of every length, and noise rows the driver sends
    uncompressed), through epson-escpr-wrapper.  The wrapper asks libcups for
    the PPD of the printer named by its argv[0]; libcups finds it locally as
    $CUPS_SERVERROOT/ppd/NAME.ppd, so no cupsd is needed."""
    def picture(width, height, seed):
        rng = random.Random(seed)
        white = b"\xff" * (3 * width)
        rows = []
        for y in range(height):
            band = y * 24 // height
            if band in (2, 3):                                   # a colour bar, then white
                row = b"\x20\x60\xc0" * (width // 3) + white[3 * (width // 3):]
            elif band in (6, 7, 8, 13):                          # sparse dots: literal groups
                row = bytearray(white)
                x = rng.randrange(4)
                while x < width:
                    run = rng.randrange(1, 40)
                    for i in range(x, min(x + run, width)):
                        row[3 * i:3 * i + 3] = bytes(rng.getrandbits(8) for _ in range(3))
                    x += run + rng.randrange(2, 600)
                row = bytes(row)
            elif band == 10 and y % 16 == 0:                     # noise: sent uncompressed
                row = bytes(rng.getrandbits(8) for _ in range(3 * width))
            elif band == 16:                                     # black and white stripes
                row = (b"\0\0\0" * 5 + b"\xff" * 15) * (width // 10) + white[30 * (width // 10):]
            else:
                row = white
            rows.append(row)
        return rows

    def make(workdir):
        uri = "escpr:0/cups/model/epson-inkjet-printer-escpr/%s-epson-escpr-en.ppd" % model
        os.makedirs(os.path.join(workdir, "ppd"), exist_ok=True)
        ppd = os.path.join(workdir, "ppd", "fpescpr.ppd")
        with open(ppd, "wb") as f:
            subprocess.run(["/usr/lib/cups/driver/escpr", "cat", uri], stdout=f,
                           stderr=subprocess.DEVNULL, check=True)
        size = dict(opt.split("=") for opt in options.split()).get("PageSize", "L")
        points = {"L": (252, 360), "Postcard": (283, 420)}[size]
        width, height = points[0] * 5, points[1] * 5                 # 360 dpi
        raster = []
        for n in range(pages):
            header, _ = page_header(width=width, height=height, dpi=360, colorspace=CSPACE_RGB,
                                    bits=8, colors=3, page_size=points, page_size_name=size)
            raster.append((header, picture(width, height, n)))
        path = os.path.join(workdir, "page.ras")
        with open(path, "wb") as f:
            f.write(raster_file(raster))
        env = dict(os.environ, PPD=ppd, CUPS_SERVERROOT=workdir, TMPDIR=workdir,
                   CONTENT_TYPE="application/vnd.cups-raster", FINAL_CONTENT_TYPE="printer/test")
        done = subprocess.run(["fpescpr", "1", "tester", "stream", "1", options, path],
                              executable=os.path.join(FILTERS, "epson-escpr-wrapper"), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        if done.returncode != 0 or not done.stdout:
            raise RuntimeError("epson-escpr-wrapper failed (%d): %s" % (
                done.returncode, done.stderr.decode(errors="replace")[-2000:]))
        return done.stdout
    return make


# ---------------------------------------------------------------- Ghostscript

GS = "/usr/bin/gs"

# A small page (2 x 1 inch): text, a diagonal line, a grey box, so that
# drivers emit text-like rows, blank bands and dithered areas.
PAGE_PS = b"""%!PS
<< /PageSize [144 72] >> setpagedevice
/Helvetica findfont 14 scalefont setfont
10 30 moveto (Flush 13) show
newpath 5 5 moveto 130 60 lineto 4 setlinewidth stroke
0.5 setgray 80 10 50 20 rectfill
showpage
"""


def gs_stream(device, *args):
    """A maker for Ghostscript's built-in driver `device` printing PAGE_PS."""
    def make(workdir):
        page = os.path.join(workdir, "page.ps")
        out = os.path.join(workdir, "page." + device)
        with open(page, "wb") as f:
            f.write(PAGE_PS)
        done = subprocess.run([GS, "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=" + device]
                              + list(args) + ["-sOutputFile=" + out, page],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        if done.returncode != 0 or not os.path.exists(out):
            raise RuntimeError("gs -sDEVICE=%s failed: %s" % (device, done.stderr[-2000:]))
        with open(out, "rb") as f:
            return f.read()
    return make


def gs(language, device, *args):
    """A Stream of Ghostscript's `device`."""
    return Stream(language, "gs-" + device, gs_stream(device, *args), "gs -sDEVICE=" + device)


# Ghostscript devices whose output is one of the tracked languages, by language.
GS_DEVICES = {
    "pcl": ["laserjet", "ljetplus", "ljet2p", "ljet3", "ljet3d", "ljet4", "ljet4d", "ljet4pjl",
            "lj4dith", "lp2563", "cljet5c", "deskjet", "djet500", "djet500c", "cdj500",
            "cdj550", "cdeskjet", "cdjcolor", "cdjmono", "cdj670", "cdj850", "cdj970", "pcl3",
            "paintjet", "pjetxl", "pjxl300", "lj250", "declj250", "dnj650c", "oce9050",
            "hl1250"],
    "escp": ["epson", "eps9mid", "eps9high", "epsonc", "lq850", "necp6", "st800", "stcolor",
             "photoex"],
}
# Ghostscript devices whose output is a language without a tracker, which
# detection must not hand to one: PCL XL, ESC/Page, Canon BJ, IBM
# Proprinter, PostScript and PDF.
GS_FOREIGN = ["pxlmono", "pxlcolor", "lj5mono", "escpage", "lp8000", "bj10e", "ibmpro",
              "ps2write", "pdfwrite"]


# ---------------------------------------------------------------- storing modes

def in_mode(key, wrap):
    """A maker for the driver stream called `key` stored in a printer mode:
    `wrap`(bytes) returns the stream inside a form, macro or stored format."""
    def make(workdir):
        base = next(s for s in DRIVER_STREAMS if s.key == key)
        return wrap(base.make(workdir))
    return make


def epl_form(data):
    """The label's lines stored as EPL form F1 (FS ... FE), then recalled and printed."""
    return b'FS"F1"\n' + data + b'FE\nFR"F1"\nP1\n'


def escpos_macro(data):
    """The receipt defined as an ESC/POS macro (GS : ... GS :, printed while
    defined), then run once more (GS ^ 1 0 0)."""
    return b"\x1d:" + data + b"\x1d:\x1d^\x01\x00\x00"


def pcl_macro(data):
    """The page (after its leading ESC E) defined as PCL macro 1
    (ESC&f1y0X ... ESC&f1X), then executed (ESC&f1y2X)."""
    head = 2 if data.startswith(b"\x1bE") else 0
    return data[:head] + b"\x1b&f1y0X" + data[head:] + b"\x1b&f1X\x1b&f1y2X\x1bE"


def zpl_stored(data):
    """Each label format stored (^DF) instead of printed, then recalled (^XF)."""
    return data.replace(b"^XA", b"^XA^DFR:L.ZPL^FS") + b"^XA^XFR:L.ZPL^FS^XZ"


# ---------------------------------------------------------------- the list

LABEL_2X1 = dict(width=406, height=203, dpi=203)
RASTERTOLABEL = "drv:///sample.drv/"
DRIVER_STREAMS = [
    Stream("escpos", "receipt", escpos_stream, "raster ESC/POS (streams.py)"),
    Stream("zpl", "zebra", driver_stream("rastertolabel", RASTERTOLABEL + "zebra.ppd",
                                         [LABEL_2X1, LABEL_2X1]), "rastertolabel zebra"),
    Stream("epl", "zebraep2", driver_stream("rastertolabel", RASTERTOLABEL + "zebraep2.ppd",
                                            [LABEL_2X1, LABEL_2X1]), "rastertolabel zebraep2"),
    Stream("dymo", "labelwriter", driver_stream("rastertolabel", RASTERTOLABEL + "dymo.ppd",
                                                [dict(width=225, height=600, dpi=300,
                                                      compression=1)]), "rastertolabel dymo"),
    Stream("dymo", "lw450", driver_stream("raster2dymolw", "dymo:0/cups/model/lw450.ppd",
                                          [dict(width=225, height=300, dpi=300)]),
           "raster2dymolw lw450 (printer-driver-dymo)"),
    Stream("escp", "epson9", driver_stream("rastertoepson", RASTERTOLABEL + "epson9.ppd",
                                           [dict(width=240, height=72, dpi=(120, 72),
                                                 row_count=8)]), "rastertoepson epson9"),
    Stream("escp", "epson24", driver_stream("rastertoepson", RASTERTOLABEL + "epson24.ppd",
                                            [dict(width=360, height=180, dpi=(180, 180),
                                                  row_count=24),
                                             dict(width=720, height=180, dpi=(360, 180),
                                                  row_count=24)]), "rastertoepson epson24"),
    Stream("escp", "escpx", driver_stream("rastertoescpx", "escpx",
                                          [dict(width=720, height=360, dpi=360,
                                                page_size_name="Letter")]), "rastertoescpx"),
    Stream("escp", "gutenprint-c88", driver_stream(
        "rastertogutenprint.5.3", "gutenprint.5.3://escp2-c88/expert",
        [dict(width=720, height=360, dpi=360, colorspace=CSPACE_K, bits=8)]),
        "rastertogutenprint escp2-c88 (printer-driver-gutenprint)"),
    Stream("escpr", "artisan1430", escpr_stream("Epson-Artisan_1430", "PageSize=L"),
           "epson-escpr-wrapper Artisan 1430 (printer-driver-escpr)"),
    Stream("escpr", "et2750-mono", escpr_stream("Epson-ET-2750_Series",
                                                "PageSize=Postcard Ink=MONO"),
           "epson-escpr-wrapper ET-2750 (printer-driver-escpr)"),
    Stream("pcl", "laserjet", driver_stream("rastertohp", RASTERTOLABEL + "laserjet.ppd",
                                            [dict(width=600, height=300, dpi=300),
                                             dict(width=600, height=300, dpi=300,
                                                  compression=2)]), "rastertohp laserjet"),
    Stream("pcl", "deskjet", driver_stream("rastertohp", RASTERTOLABEL + "deskjet.ppd",
                                           [dict(width=600, height=300, dpi=300,
                                                 colorspace=CSPACE_KCMY, colors=4,
                                                 order=ORDER_BANDED, compression=2)]),
           "rastertohp deskjet"),
    Stream("pcl", "designjet600", driver_stream(
        "rastertopclx", "drv:///cupsfilters.drv/dsgnjt600pcl.ppd",
        [dict(width=600, height=300, dpi=300, colorspace=CSPACE_W, compression=1)]),
        "rastertopclx designjet600"),
    Stream("pcl", "designjet750c", driver_stream(
        "rastertopclx", "drv:///cupsfilters.drv/dsgnjt750cpcl.ppd",
        [dict(width=300, height=150, dpi=150, colorspace=CSPACE_RGB, bits=8, colors=3,
              compression=2)]), "rastertopclx designjet750c"),
    Stream("pcl", "gutenprint-lj4plus", driver_stream(
        "rastertogutenprint.5.3", "gutenprint.5.3://hp-lj_4_plus/expert",
        [dict(width=600, height=300, dpi=300, colorspace=CSPACE_K, bits=8)]),
        "rastertogutenprint hp-lj_4_plus (printer-driver-gutenprint)"),
    Stream("pcl", "gutenprint-dj990c", driver_stream(
        "rastertogutenprint.5.3", "gutenprint.5.3://hp-dj_990c/expert",
        [dict(width=600, height=300, dpi=300, colorspace=CSPACE_K, bits=8)]),
        "rastertogutenprint hp-dj_990c (printer-driver-gutenprint)"),
]
# The Ghostscript devices the cut proof runs (detection is tested on all of GS_DEVICES).
GS_CUT_DEVICES = {
    "pcl": ["ljet4", "ljet4pjl", "lj4dith", "cljet5c", "deskjet", "djet500c", "cdj550", "pcl3", "paintjet", "dnj650c", "oce9050", "hl1250"],
    "escp": ["epson", "eps9high", "epsonc", "lq850", "stcolor", "photoex"],
}
GS_STREAMS = [gs(language, device) for language, devices in sorted(GS_CUT_DEVICES.items())
              for device in devices]
# Driver output stored in a printer mode (a form, a macro, a stored format):
# a cut there must also leave the mode.
MODE_STREAMS = [
    Stream("epl", "form", in_mode("epl-zebraep2", epl_form), "rastertolabel zebraep2 in FS/FE"),
    Stream("escpos", "macro", in_mode("escpos-receipt", escpos_macro),
           "raster ESC/POS in GS : macro"),
    Stream("pcl", "macro", in_mode("pcl-laserjet", pcl_macro),
           "rastertohp laserjet in ESC&f0X macro"),
    Stream("zpl", "stored", in_mode("zpl-zebra", zpl_stored),
           "rastertolabel zebra as ^DF formats"),
]
STREAMS = DRIVER_STREAMS + GS_STREAMS + MODE_STREAMS



def make_all(workdir, only=None):
    """{key: (Stream, bytes)} for every stream (or the languages in `only`)."""
    out = {}
    for s in STREAMS:
        if only and s.language not in only:
            continue
        sub = os.path.join(workdir, s.key)
        os.makedirs(sub, exist_ok=True)
        out[s.key] = (s, s.make(sub))
    return out


SEED_SLICE = 4096
SEED_SLICES = 12


def write_seeds(outdir, made):
    """Per language, each stream and SEED_SLICES slices of it starting at
    command boundaries (found by the reference model)."""
    import refparse
    for key, (s, data) in made.items():
        where = os.path.join(outdir, s.language)
        os.makedirs(where, exist_ok=True)
        with open(os.path.join(where, key), "wb") as f:
            f.write(data)
        starts = [offset for offset, _ in refparse.parse(s.language, data).commands]
        step = max(len(starts) // SEED_SLICES, 1)
        for offset in starts[::step]:
            with open(os.path.join(where, "%s@%d" % (key, offset)), "wb") as f:
                f.write(data[offset:offset + SEED_SLICE])


def main():
    seeds = sys.argv[1:2] == ["--seeds"]
    args = sys.argv[2:] if seeds else sys.argv[1:]
    outdir = args[0] if args else "."
    os.makedirs(outdir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fp-streams-") as work:
        made = make_all(work)
        if seeds:
            write_seeds(outdir, made)
            return
        for key, (s, data) in made.items():
            with open(os.path.join(outdir, key), "wb") as f:
                f.write(data)
            print("%-24s %8d bytes" % (key, len(data)))


if __name__ == "__main__":
    main()

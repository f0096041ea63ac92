"""Real printer streams, made at test time by the stock drivers Debian ships.

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
    """One real stream: a language, a name and how it is made."""

    def __init__(self, language, name, make):
        self.language = language
        self.name = name
        self.make = make

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


# ---------------------------------------------------------------- the list

LABEL_2X1 = dict(width=406, height=203, dpi=203)
STREAMS = [
    Stream("escpos", "receipt", escpos_stream),
    Stream("zpl", "zebra", driver_stream("rastertolabel", "drv:///sample.drv/zebra.ppd",
                                         [LABEL_2X1, LABEL_2X1])),
    Stream("epl", "zebraep2", driver_stream("rastertolabel", "drv:///sample.drv/zebraep2.ppd",
                                            [LABEL_2X1, LABEL_2X1])),
    Stream("dymo", "labelwriter", driver_stream("rastertolabel", "drv:///sample.drv/dymo.ppd",
                                                [dict(width=225, height=600, dpi=300,
                                                      compression=1)])),
    Stream("escp", "epson9", driver_stream("rastertoepson", "drv:///sample.drv/epson9.ppd",
                                           [dict(width=240, height=72, dpi=(120, 72),
                                                 row_count=8)])),
    Stream("escp", "epson24", driver_stream("rastertoepson", "drv:///sample.drv/epson24.ppd",
                                            [dict(width=360, height=180, dpi=(180, 180),
                                                  row_count=24),
                                             dict(width=720, height=180, dpi=(360, 180),
                                                  row_count=24)])),
    Stream("escp", "escpx", driver_stream("rastertoescpx", "escpx",
                                          [dict(width=720, height=360, dpi=360,
                                                page_size_name="Letter")])),
    Stream("escpr", "artisan1430", escpr_stream("Epson-Artisan_1430", "PageSize=L")),
    Stream("escpr", "et2750-mono", escpr_stream("Epson-ET-2750_Series",
                                                "PageSize=Postcard Ink=MONO")),
    Stream("pcl", "laserjet", driver_stream("rastertohp", "drv:///sample.drv/laserjet.ppd",
                                            [dict(width=600, height=300, dpi=300),
                                             dict(width=600, height=300, dpi=300,
                                                  compression=2)])),
    Stream("pcl", "deskjet", driver_stream("rastertohp", "drv:///sample.drv/deskjet.ppd",
                                           [dict(width=600, height=300, dpi=300,
                                                 colorspace=CSPACE_KCMY, colors=4,
                                                 order=ORDER_BANDED, compression=2)])),
    Stream("pcl", "designjet600", driver_stream(
        "rastertopclx", "drv:///cupsfilters.drv/dsgnjt600pcl.ppd",
        [dict(width=600, height=300, dpi=300, colorspace=CSPACE_W, compression=1)])),
    Stream("pcl", "designjet750c", driver_stream(
        "rastertopclx", "drv:///cupsfilters.drv/dsgnjt750cpcl.ppd",
        [dict(width=300, height=150, dpi=150, colorspace=CSPACE_RGB, bits=8, colors=3,
              compression=2)])),
]


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

"""flushprinter demonstration: the same canceled receipt through the stock CUPS
socket backend and through flushprinter, against the built-in printer
emulator on 127.0.0.1.  Usage: python3 demo/demo.py BUILDDIR"""

import os
import shutil
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ["FP_BUILDDIR"] = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else TOP)
sys.path.insert(0, os.path.join(TOP, "tests", "behaviour"))

import scenario  # noqa: E402


def show(title, outcome):
    print("\n== " + title)
    for t, sentence in outcome.timeline:
        print("  %+8.3f s  %s" % (t, sentence))


def main():
    print("A receipt printer (emulated: ESC/POS, 1 MB/s, 8 kB input buffer) gets a 7 MB\n"
          "banded image; the job is canceled 0.5 s in, then the next receipt is printed.")
    work = tempfile.mkdtemp(prefix="flushprinter-demo-")
    try:
        stock = scenario.run(work, "stock") if os.path.exists(scenario.STOCK_SOCKET) else None
        ours = scenario.run(work, "flushprinter")
    finally:
        shutil.rmtree(work, True)
    if stock:
        show("stock CUPS socket backend (%s)" % scenario.STOCK_SOCKET, stock)
    else:
        print("\n(stock CUPS socket backend not installed: comparison skipped)")
    show("flushprinter+socket://...?reset=escpos&idle=2000", ours)
    print("\nverdict:")
    if stock:
        print("  stock CUPS:   " + stock.verdict)
    print("  flushprinter: " + ours.verdict)
    return 0 if ours.clean else 1


if __name__ == "__main__":
    sys.exit(main())

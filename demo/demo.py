"""flushprinter demonstration: on a private CUPS scheduler, with the built-in
printer emulator as the printer, print a long receipt, cancel it mid-transfer
and print the next one -- through the stock CUPS socket backend and through
flushprinter, side by side.  Usage: python3 demo/demo.py BUILDDIR"""

import os
import shutil
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ["FP_BUILDDIR"] = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else TOP)
os.environ.setdefault("FP_SRCDIR", TOP)
sys.path.insert(0, os.path.join(TOP, "tests", "behaviour"))

import cupsd      # noqa: E402
import scenario   # noqa: E402


def show(title, outcome):
    print("\n== " + title)
    for t, sentence in outcome.timeline:
        print("  %s  %s" % ("%+8.3f s" % t if t is not None else " " * 10, sentence))


def main():
    why = cupsd.available()
    if why:
        print("demo needs a private cupsd: " + why)
        return 1
    print("A receipt printer (emulated: ESC/POS, 1 MB/s, 8 kB input buffer) on a private cupsd\n"
          "gets a 7 MB banded image; `cancel` 0.5 s in, then `lp` of the next receipt.")
    work = tempfile.mkdtemp(prefix="flushprinter-demo-")
    cups = cupsd.Cupsd()
    try:
        stock = (scenario.run_cupsd(work, "stock", cups)
                 if os.path.exists(scenario.STOCK_SOCKET) else None)
        ours = scenario.run_cupsd(work, "flushprinter", cups)
    finally:
        cups.stop()
        shutil.rmtree(work, True)
    if stock:
        show("queue on the stock CUPS socket backend: socket://127.0.0.1:PORT", stock)
    show("queue on flushprinter+socket://127.0.0.1:PORT/?reset=escpos&idle=2000", ours)
    print("\nverdict:")
    if stock:
        print("  stock CUPS:   " + stock.verdict)
    print("  flushprinter: " + ours.verdict)
    return 0 if ours.clean else 1


if __name__ == "__main__":
    sys.exit(main())

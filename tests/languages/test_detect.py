"""Detection from a job's first bytes (fp_detect_stream, through
tests/fp-track --detect) against real driver job openings of every language:
the driver streams of streams.py, every Ghostscript device whose output is
one of the tracked languages (streams.GS_DEVICES), and devices whose output
is a language without a tracker (streams.GS_FOREIGN: PCL XL, ESC/Page,
Canon BJ, IBM Proprinter, PostScript, PDF), which must never be handed to a
tracker.  Prints the confusion matrix; a wrong label fails, and so does
"unknown" for a tracked language unless UNDECIDABLE says why the bytes do
not tell.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "behaviour"))

import fptest                                    # noqa: E402
import streams                                   # noqa: E402

TRACK = os.path.join(fptest.BUILDDIR, "tests", "fp-track")
OPENING = 4096               # fp_detect_stream looks at no more
OTHER = "other"              # a language without a tracker: "unknown" is right

# Openings of a tracked language whose first bytes do not tell, and why.
UNDECIDABLE = {}


def openings(workdir):
    """[(name, expected language or OTHER, first bytes)] of every driver."""
    out = []
    for s in streams.DRIVER_STREAMS:
        sub = os.path.join(workdir, s.key)
        os.makedirs(sub, exist_ok=True)
        out.append((s.driver, s.language, s.make(sub)[:OPENING]))
    devices = [(d, lang) for lang, ds in sorted(streams.GS_DEVICES.items()) for d in ds]
    devices += [(d, OTHER) for d in streams.GS_FOREIGN]
    for device, language in devices:
        sub = os.path.join(workdir, "gs-" + device)
        os.makedirs(sub, exist_ok=True)
        out.append(("gs -sDEVICE=" + device, language, streams.gs_stream(device)(sub)[:OPENING]))
    return out


def detect(workdir, items):
    """[(label, reason)] for each opening, from one fp-track --detect run."""
    paths = []
    for i, (_, _, data) in enumerate(items):
        paths.append(os.path.join(workdir, "opening-%d" % i))
        with open(paths[-1], "wb") as f:
            f.write(data)
    done = subprocess.run([TRACK, "--detect"] + paths, stdout=subprocess.PIPE, check=True,
                          text=True, timeout=60)
    labels = {}
    for line in done.stdout.splitlines():
        path, label, reason = (line.split(" ", 2) + [""])[:3]
        labels[path] = (label, reason)
    return [labels[p] for p in paths]


class Detection(unittest.TestCase):

    def test_driver_openings(self):
        tmp = tempfile.mkdtemp(prefix="fp-detect-")
        try:
            items = openings(tmp)
            verdicts = detect(tmp, items)
        finally:
            shutil.rmtree(tmp, True)
        languages = sorted({lang for _, lang, _ in items} - {OTHER}) + [OTHER]
        labels = languages[:-1] + ["unknown"]
        matrix = {(e, g): 0 for e in languages for g in labels}
        wrong, unknown = [], []
        for (name, expected, _), (label, reason) in zip(items, verdicts):
            if label not in labels:
                matrix.setdefault((expected, label), 0)
                labels.append(label)
            matrix[(expected, label)] += 1
            if expected == OTHER and label != "unknown":
                wrong.append("%s (a language without a tracker) labelled %s: %s"
                             % (name, label, reason))
            elif expected != OTHER and label == "unknown" and name not in UNDECIDABLE:
                unknown.append("%s (%s) unknown: %s" % (name, expected, reason))
            elif expected != OTHER and label not in (expected, "unknown"):
                wrong.append("%s (%s) labelled %s: %s" % (name, expected, label, reason))
        print("\nconfusion matrix: driver openings (rows) by detected label (columns)")
        print("%-8s" % "" + "".join("%9s" % g for g in labels))
        for e in languages:
            print("%-8s" % e + "".join("%9d" % matrix.get((e, g), 0) for g in labels))
        print("%d openings, %d wrong labels, %d unknown" % (
            len(items), len(wrong), sum(matrix.get((e, "unknown"), 0) for e in languages[:-1])))
        for name, (_, language, _), verdict in [(n, i, v) for (n, *_), i, v in
                                                zip(items, items, verdicts)]:
            print("  %-44s %-6s -> %-8s %s" % (name, language, verdict[0], verdict[1]))
        self.assertEqual(wrong, [])
        self.assertEqual(unknown, [])


if __name__ == "__main__":
    fptest.main()

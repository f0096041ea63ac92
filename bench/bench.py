"""flushprinter benchmark: figures measured side by side in one run.

1. Throughput: the same large ESC/POS job pushed to a loopback sink by our
   backend (ESC/POS tracker and journal on), by the stock CUPS socket backend,
   and by a raw copy (socat); MB/s and ratios, median of several rounds.
2. Cancel-to-reset latency: SIGTERM to the backend mid-image, until the reset
   (ESC @) is parsed by the printer emulator; median and worst over many runs.
3. USB, on a printer emulated at the usbdevfs level (tests/usb/usb-printer-mock,
   umockdev): throughput of our USB transport beside the stock CUPS usb
   backend on the same emulated device, and the CPU time each backend uses
   while it waits, connected, on an idle bidirectional printer.
4. Tracker throughput: each printer-language tracker fed the stock drivers'
   streams, beside memcpy of the same bytes.
5. Printer status (status=, ESC/POS over AppSocket, against the emulator):
   throughput with status off and on, the backend's CPU time while it waits
   with status on, paper-out to the STATE: line, and the printer's last
   printed line to the backend's exit with status=on (printer-confirmed).

Usage: python3 bench/bench.py [BUILDDIR] [--rounds N] [--cancels N]
"""

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sink():
    """A socat sink on 127.0.0.1 that discards one stream; returns (process, port)."""
    proc = subprocess.Popen(["socat", "-d", "-d", "-u", "TCP-LISTEN:0,bind=127.0.0.1",
                             "OPEN:/dev/null"], stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:                     # "... listening on AF=2 127.0.0.1:PORT"
        if "listening on" in line:
            port = int(line.rsplit(":", 1)[1])
            break
    else:
        raise SystemExit("socat did not start")
    return proc, port


def timed_send(kind, job_path, size, statedir):
    """Seconds for `kind` to deliver the job to a fresh sink (until the sink has it all)."""
    proc, port = sink()
    env = dict(os.environ, FLUSHPRINTER_STATEDIR=statedir)
    if kind == "flushprinter":
        uri = "flushprinter+socket://127.0.0.1:%d/?reset=escpos" % port
        argv = [uri, "1", "bench", "bench", "1", "", job_path]
        cmd, env["DEVICE_URI"] = os.path.join(fptest.BUILDDIR, "backend", "flushprinter"), uri
    elif kind == "stock":
        uri = "socket://127.0.0.1:%d/?waiteof=false" % port
        argv = [uri, "1", "bench", "bench", "1", "", job_path]
        cmd, env["DEVICE_URI"] = "/usr/lib/cups/backend/socket", uri
    else:
        argv = ["socat", "-u", "OPEN:%s" % job_path, "TCP:127.0.0.1:%d" % port]
        cmd = shutil.which("socat")
    start = time.perf_counter()
    sender = subprocess.Popen(argv, executable=cmd, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    sender.wait(300)
    proc.wait(300)                      # the sink exits at end of stream
    elapsed = time.perf_counter() - start
    if sender.returncode != 0:
        raise SystemExit("%s failed with %d" % (kind, sender.returncode))
    return elapsed


def throughput(workdir, rounds):
    job = scenario.banded_receipt("bench", bands=4000)           # 74 MB
    path = os.path.join(workdir, "job")
    with open(path, "wb") as f:
        f.write(job)
    kinds = ["raw copy (socat)", "stock socket", "flushprinter"]
    keys = {"raw copy (socat)": "raw", "stock socket": "stock", "flushprinter": "flushprinter"}
    times = {k: [] for k in kinds}
    for r in range(rounds):
        for k in kinds:                                           # interleaved: fair to each
            if k == "stock socket" and not os.path.exists("/usr/lib/cups/backend/socket"):
                continue
            times[k].append(timed_send(keys[k], path, len(job),
                                       os.path.join(workdir, "state")))
    print("\n1. Throughput: %.1f MB ESC/POS job to a loopback sink, median of %d rounds"
          % (len(job) / 1e6, rounds))
    rate = {}
    for k in kinds:
        if times[k]:
            rate[k] = len(job) / statistics.median(times[k]) / 1e6
            print("   %-18s %8.1f MB/s" % (k, rate[k]))
    ours = rate["flushprinter"]
    for k in kinds[:-1]:
        if k in rate:
            print("   flushprinter / %-16s %.2f" % (k, ours / rate[k]))


def latency(workdir, runs):
    statedir = os.path.join(workdir, "state-latency")
    samples = []
    emu = fptest.Emulator(workdir, "--rate", 1000000)
    try:
        for i in range(runs):
            job = os.path.join(workdir, "cancel-%d" % i)
            with open(job, "wb") as f:
                f.write(scenario.banded_receipt("cancel", bands=200))
            uri = "flushprinter+socket://127.0.0.1:%d/?reset=escpos&idle=0" % emu.port
            p = fptest.raw_job(uri, statedir, job, i + 1)
            emu.wait_event("first-byte", conn=i + 1)
            time.sleep(0.05 + random.random() * 0.3)
            t0 = time.time()
            p.signal(signal.SIGTERM)
            reset = emu.wait_event("reset", after=t0, timeout=30)
            samples.append(reset.t - t0)
            p.wait(30)
    finally:
        emu.stop()
    samples.sort()
    print("\n2. Cancel-to-reset latency (SIGTERM to ESC @ parsed by the printer), %d runs,"
          " printer at 1 MB/s:" % runs)
    print("   median %.1f ms, 90th percentile %.1f ms, worst %.1f ms" % (
        statistics.median(samples) * 1000, samples[int(len(samples) * 0.9) - 1] * 1000,
        samples[-1] * 1000))


STOCK_USB = "/usr/lib/cups/backend/usb"
USB_PRINTER = ["--printer", "04b8:0e15:EPSON:TM-T20:S1"]


def usb_backend(kind):
    """Program, DEVICE_URI and argv[0] of our USB backend or the stock one."""
    if kind == "flushprinter":
        uri = "flushprinter+usb://EPSON/TM-T20?serial=S1&reset=escpos"
        return os.path.join(fptest.BUILDDIR, "backend", "flushprinter"), uri
    return STOCK_USB, "usb://EPSON/TM-T20?serial=S1"


def usb_run_seconds(command, env, stdin=subprocess.DEVNULL):
    """Wall time of one run of the USB fixture around `command` (output discarded)."""
    start = time.perf_counter()
    p = subprocess.run([fptest.USB_MOCK] + USB_PRINTER + ["--out", "/dev/null", "--"] + command,
                       env=env, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=600)
    if p.returncode != 0:
        raise SystemExit("%s under the USB fixture failed with %d" % (command[0], p.returncode))
    return time.perf_counter() - start


def usb_idle_cpu(kind, seconds):
    """CPU seconds the backend uses while connected and waiting for job data."""
    program, uri = usb_backend(kind)
    env = dict(os.environ, DEVICE_URI=uri, FLUSHPRINTER_STATEDIR=tempfile.mkdtemp())
    read_end, write_end = os.pipe()
    mock = subprocess.Popen([fptest.USB_MOCK] + USB_PRINTER + ["--out", "/dev/null", "--", program,
                            "1", "bench", "bench", "1", ""], env=env, stdin=read_end,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(read_end)
    try:
        os.write(write_end, b"\x1b@")
        time.sleep(1)                                  # connected, the first bytes sent
        with open("/proc/%d/task/%d/children" % (mock.pid, mock.pid)) as f:
            pid = int(f.read().split()[0])
        before = fptest.cpu_seconds(pid)
        time.sleep(seconds)
        return fptest.cpu_seconds(pid) - before
    finally:
        os.close(write_end)
        mock.wait(60)
        shutil.rmtree(env["FLUSHPRINTER_STATEDIR"], True)


def usb(workdir, rounds, idle_seconds=5):
    if not os.access(fptest.USB_MOCK, os.X_OK) or not os.access(STOCK_USB, os.X_OK):
        print("\n3. USB: skipped (no USB fixture or no stock usb backend)")
        return
    job = scenario.banded_receipt("bench", bands=1000)           # 18 MB
    path = os.path.join(workdir, "usb-job")
    with open(path, "wb") as f:
        f.write(job)
    kinds = ["stock usb", "flushprinter"]
    times = {k: [] for k in kinds}
    base = []
    for r in range(rounds):
        base.append(usb_run_seconds(["true"], dict(os.environ)))  # the fixture's own start-up
        for k in kinds:
            program, uri = usb_backend("flushprinter" if k == "flushprinter" else "stock")
            env = dict(os.environ, DEVICE_URI=uri, FLUSHPRINTER_STATEDIR=os.path.join(workdir, "state"))
            times[k].append(usb_run_seconds([program, "1", "bench", "bench", "1", "", path], env))
    print("\n3. USB through an emulated printer (umockdev): %.1f MB ESC/POS job, median of %d rounds"
          % (len(job) / 1e6, rounds))
    rate = {}
    for k in kinds:
        rate[k] = len(job) / max(statistics.median(times[k]) - statistics.median(base), 1e-6) / 1e6
        print("   %-18s %8.1f MB/s" % (k, rate[k]))
    print("   flushprinter / stock usb    %.2f" % (rate["flushprinter"] / rate["stock usb"]))
    print("   CPU time while waiting %d s for job data on an idle bidirectional printer:"
          % idle_seconds)
    for k in kinds:
        print("   %-18s %8.3f s" % (k, usb_idle_cpu("flushprinter" if k == "flushprinter"
                                                      else "stock", idle_seconds)))


def trackers(workdir, megabytes):
    """Tracker throughput on the real driver streams (tests/languages/streams.py)
    repeated to `megabytes` MB, beside memcpy of the same bytes, in one run."""
    sys.path.insert(0, os.path.join(TOP, "tests", "languages"))
    import streams
    tool = os.path.join(fptest.BUILDDIR, "bench", "tracker-bench")
    listed = subprocess.run([os.path.join(fptest.BUILDDIR, "tests", "fp-track"), "--list"],
                            stdout=subprocess.PIPE, text=True, check=True).stdout
    have = [line.split()[0] for line in listed.splitlines()]
    pairs = []
    for language in have:
        made = streams.make_all(os.path.join(workdir, "streams"), only=[language])
        if not made:
            continue
        path = os.path.join(workdir, "stream-" + language)
        with open(path, "wb") as f:
            f.write(b"".join(data for _, data in made.values()))
        pairs += [language, path]
    out = subprocess.run([tool, "--mb", str(megabytes)] + pairs, stdout=subprocess.PIPE,
                         text=True, check=True).stdout
    print("\n4. Tracker throughput: the stock drivers' streams repeated to %d MB, fed in 64 kB"
          " writes, median of 5 rounds" % megabytes)
    print("   %-8s %12s %14s %14s %10s" % ("language", "streams", "tracker MB/s", "memcpy MB/s",
                                          "tracker/memcpy"))
    for line in out.splitlines():
        language, stream_bytes, _, tracker, copy = line.split()
        print("   %-8s %10s B %14.1f %14.1f %10.2f" % (language, stream_bytes, float(tracker),
                                                    float(copy), float(tracker) / float(copy)))


def status(workdir, rounds):
    """Section 5: what listening to the printer costs and how fast it hears it."""
    statedir = os.path.join(workdir, "state-status")
    jobs = {"large": scenario.banded_receipt("status", bands=1000),   # 18 MB, GS v 0 bands
            "small": fptest.receipt("status", rows=50)}               # 3.6 kB
    print("\n5. Printer status (ESC/POS over AppSocket, emulator printer), median of %d rounds"
          % rounds)
    for size, job in jobs.items():
        path = os.path.join(workdir, "status-" + size)
        with open(path, "wb") as f:
            f.write(job)
        secs = {"off": [], "on": []}
        for r in range(rounds):
            for mode in secs:                                     # interleaved
                emu = fptest.Emulator(workdir)
                try:
                    uri = "flushprinter+socket://127.0.0.1:%d/?reset=escpos&status=%s" % (
                        emu.port, mode)
                    p = fptest.raw_job(uri, statedir, path)
                    if p.wait(120) != 0:
                        raise SystemExit("status=%s failed: %s" % (mode, p.stderr()))
                    emu.wait_event("text", text="END status", timeout=60)
                    secs[mode].append(emu.wait_event("close").t - p.started)
                finally:
                    emu.stop()
        for mode in secs:
            t = statistics.median(secs[mode])
            print("   %8.1f kB job, status=%-3s %8.1f MB/s, %7.1f ms (start to the printer's "
                  "last byte parsed)" % (len(job) / 1e3, mode, len(job) / t / 1e6, t * 1000))

    # CPU while connected and waiting for data, status on: the filter pipe goes quiet.
    emu = fptest.Emulator(workdir)
    try:
        uri = "flushprinter+socket://127.0.0.1:%d/?reset=escpos&status=on" % emu.port
        b = fptest.Backend(uri, statedir)
        b.write(fptest.receipt("idle", rows=10)[:-8])
        b.proc.wait_line(r"^INFO: Printer status is on")
        before, t0 = b.proc.cpu_seconds(), time.time()
        time.sleep(5)                                             # the measurement window
        idle = b.proc.cpu_seconds() - before
        b.cleanup()
    finally:
        emu.stop()
    print("   CPU time with status on, connected, no data for 5 s: %.3f s (clock tick %.3f s)"
          % (idle, 1 / os.sysconf("SC_CLK_TCK")))

    # Paper-out to STATE:, and the last printed line to the exit (status=on).
    heard, tail = [], []
    small = os.path.join(workdir, "status-small")
    with open(small, "wb") as f:
        f.write(fptest.receipt("tail", rows=3000))
    for r in range(rounds):
        emu = fptest.Emulator(workdir, "--rate", 200000, "--stall-after", 100000,
                              "--resume-after", 500, "--stall-reason", "paper-out")
        try:
            uri = "flushprinter+socket://127.0.0.1:%d/?reset=escpos&status=on" % emu.port
            p = fptest.raw_job(uri, statedir, small)
            if p.wait(60) != 0:
                raise SystemExit("status=on failed: %s" % p.stderr())
            out = emu.wait_event("condition", set="paper-out")
            heard.append(p.line_time(r"^STATE: \+media-empty-error") - out.t)
            tail.append(p.ended - emu.wait_event("text", text="END tail").t)
        finally:
            emu.stop()
    print("   paper-out to STATE: +media-empty-error: median %.1f ms, worst %.1f ms"
          % (statistics.median(heard) * 1000, max(heard) * 1000))
    print("   last printed line to the backend's exit (status=on): median %.1f ms, worst %.1f ms"
          % (statistics.median(tail) * 1000, max(tail) * 1000))


def main():
    global fptest, scenario
    parser = argparse.ArgumentParser()
    parser.add_argument("builddir", nargs="?", default=os.path.join(TOP, "build", "main"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cancels", type=int, default=50)
    args = parser.parse_args()
    os.environ["FP_BUILDDIR"] = os.path.abspath(args.builddir)
    sys.path.insert(0, os.path.join(TOP, "tests", "behaviour"))
    import fptest
    import scenario
    work = tempfile.mkdtemp(prefix="flushprinter-bench-")
    try:
        throughput(work, args.rounds)
        latency(work, args.cancels)
        usb(work, args.rounds)
        trackers(work, 100)
        status(work, args.rounds)
    finally:
        shutil.rmtree(work, True)


if __name__ == "__main__":
    main()

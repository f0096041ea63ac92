"""flushprinter benchmark: figures measured side by side in one run.

1. Throughput: the same large ESC/POS job pushed to a loopback sink by our
   backend (ESC/POS tracker and journal on; banding on, the default, and
   off), by the stock CUPS socket backend, and by a raw copy (socat); MB/s
   and ratios, median of several rounds.
2. What a cancel costs, side by side: a banded receipt and a single tall
   GS v 0 image, canceled at random points (once the printer has printed a
   random number of the job's rows), at 1 MB/s and at 20 kB/s, through the
   stock socket backend, flushprinter with band=0 and with banding on: paper
   printed after the SIGTERM (mm, the emulator's dot lines at 8 dots/mm,
   completion included), bytes of the job the printer read after it, and
   SIGTERM to the reset (ESC @) parsed by the printer, median and p99.  At
   20 kB/s ten cancels run side by side, each on its own emulator (a slow
   printer's cancel is mostly waiting for it); at 1 MB/s one at a time.
3. USB, on a printer emulated at the usbdevfs level (tests/usb/usb-printer-mock,
   umockdev): throughput of our USB transport beside the stock CUPS usb
   backend on the same emulated device, and the CPU time each backend uses
   while it waits, connected, on an idle bidirectional printer; and SIGTERM
   to the reset reaching a slow (20 kB/s) and a fast (1 MB/s) USB printer
   (at most 20 cancels each).
4. Tracker throughput: each printer-language tracker fed the stock drivers'
   streams, beside memcpy of the same bytes.
5. Printer status (status=, ESC/POS and ZPL over AppSocket, against the
   emulator): throughput with status off, auto (the default) and on, the backend's CPU time
   while it waits with status on, paper-out to the STATE: line, and the
   printer's last printed line to the backend's exit with status=on
   (printer-confirmed).
6. With --baseline OTHER_BUILDDIR: this build's backend beside another
   build's (before a change), interleaved: throughput, CPU time per job and
   cancel-to-reset latency.

Usage: python3 bench/bench.py [BUILDDIR] [--rounds N] [--cancels N] [--only SECTIONS]
                              [--baseline OTHER_BUILDDIR]
(--cancels: runs for each figure of section 2, 100 by default; --only 1,2: those sections)
"""

import argparse
import concurrent.futures
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


def timed_send(kind, job_path, size, statedir, program=None):
    """Seconds for `kind` to deliver the job to a fresh sink (until the sink has it all);
    `program`: another build's backend (a baseline), sent the URI without band=."""
    proc, port = sink()
    env = dict(os.environ, FLUSHPRINTER_STATEDIR=statedir)
    if kind.startswith("flushprinter"):
        uri = "flushprinter+socket://127.0.0.1:%d/?reset=escpos%s" % (
            port, "&band=0" if kind.endswith("band=0") else "")
        argv = [uri, "1", "bench", "bench", "1", "", job_path]
        cmd, env["DEVICE_URI"] = program or os.path.join(fptest.BUILDDIR, "backend",
                                                         "flushprinter"), uri
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
    _, status, usage = os.wait4(sender.pid, 0)   # the sender's own CPU time, reaped here
    sender.returncode = os.waitstatus_to_exitcode(status)
    if sender.returncode != 0:
        proc.kill()
        raise SystemExit("%s failed with %d" % (kind, sender.returncode))
    proc.wait(300)                      # the sink exits at end of stream
    elapsed = time.perf_counter() - start
    timed_send.cpu = usage.ru_utime + usage.ru_stime
    return elapsed


def throughput(workdir, rounds):
    job = scenario.banded_receipt("bench", bands=4000)           # 74 MB
    path = os.path.join(workdir, "job")
    with open(path, "wb") as f:
        f.write(job)
    kinds = ["raw copy (socat)", "stock socket", "flushprinter band=0", "flushprinter"]
    keys = {"raw copy (socat)": "raw", "stock socket": "stock",
            "flushprinter band=0": "flushprinter band=0", "flushprinter": "flushprinter"}
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
            print("   %-22s %8.1f MB/s" % (k, rate[k]))
    ours = rate["flushprinter"]
    for k in kinds[:-1]:
        if k in rate:
            print("   flushprinter / %-22s %.2f" % (k, ours / rate[k]))


DOTS_PER_MM = 8             # 203 dpi thermal heads
CANCEL_WINDOW_S = 2.0       # cancel points: within the first 2 s of printing at the slow rate
SLOW_SERIES_AT_ONCE = 10    # cancels of one series run side by side at the slow rate


class RowWatch:
    """Rows the printer printed per connection, read from the emulator's event log
    where the last look stopped (a cancel point is polled every few ms; reading
    the whole log each time costs more the longer the series runs)."""

    def __init__(self, emu):
        self.emu, self.offset, self.rows = emu, 0, {}

    def printed(self, conn):
        with open(self.emu.log_path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        whole = data.rfind(b"\n") + 1                # a line still being written waits
        self.offset += whole
        for line in data[:whole].decode(errors="replace").splitlines():
            if line.startswith("T=") and " rows " in line:
                e = fptest.Event(line)
                if e.name == "rows":
                    self.rows[e.conn] = self.rows.get(e.conn, 0) + e["n"]
        return self.rows.get(conn, 0)


def cancel_once(emu, watch, kind, job_path, conn, rows, statedir):
    """Run `job_path` through `kind`, SIGTERM once the printer printed `rows` rows of it;
    (mm printed after, bytes read after, seconds SIGTERM -> reset or None)."""
    if kind == "stock":
        uri = "socket://127.0.0.1:%d/?waiteof=false" % emu.port
        p = fptest.raw_job(uri, statedir, job_path, conn, program=scenario.STOCK_SOCKET)
    else:
        uri = "flushprinter+socket://127.0.0.1:%d/?reset=escpos&idle=0%s" % (
            emu.port, "&band=0" if kind == "band=0" else "")
        p = fptest.raw_job(uri, statedir, job_path, conn)
    end = time.time() + 60
    while watch.printed(conn) < rows:
        if time.time() > end:
            raise SystemExit("the printer never printed %d rows of job %d" % (rows, conn))
        time.sleep(0.002)
    t0 = time.time()
    p.signal(signal.SIGTERM)
    closed = emu.wait_event("close", conn=conn, timeout=600)
    p.wait(60)
    events = [e for e in emu.events("rows") if e.conn == conn]
    before = [e["at"] for e in events if e.t <= t0]
    after = [e for e in events if e.t > t0]
    mm = sum(e["dots"] for e in after) / DOTS_PER_MM
    resets = [e for e in emu.events("reset") if e.conn == conn and e.t > t0]
    return (mm, closed["bytes"] - (before[-1] if before else 0),
            resets[0].t - t0 if resets else None)


def cancel_series(workdir, kind, job_path, rate, points):
    """cancel_once at each of `points` (rows printed before the SIGTERM).  A 20 kB/s
    printer spends seconds printing what a cancel left it, mostly asleep, so slow
    series run SLOW_SERIES_AT_ONCE at a time, each on its own emulator and state
    directory; fast series run one cancel at a time."""
    workers = SLOW_SERIES_AT_ONCE if rate < 100000 else 1
    chunks = [points[i::workers] for i in range(workers)]

    def run(chunk):
        emu = fptest.Emulator(workdir, "--rate", rate, "--rows")
        watch = RowWatch(emu)
        statedir = tempfile.mkdtemp(prefix="state-%s-" % kind, dir=workdir)
        try:
            return [cancel_once(emu, watch, kind, job_path, i + 1, rows, statedir)
                    for i, rows in enumerate(chunk)]
        finally:
            emu.stop()

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return [r for results in pool.map(run, chunks) for r in results]


def p99(values):
    """The 99th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 99 // 100) - 1)]


def cancel_costs(workdir, runs):
    """Section 2: what a cancel costs, per job, speed and backend, side by side."""
    jobs = [("banded receipt", scenario.banded_receipt("bench", bands=16)),   # 4096 rows in 256
            ("tall image", fptest.receipt("bench", rows=4000))]               # one 4000-row image
    kinds = [("stock socket", "stock"), ("flushprinter band=0", "band=0"),
             ("flushprinter (banding)", "band")]
    if not os.path.exists(scenario.STOCK_SOCKET):
        kinds = kinds[1:]
    rnd = random.Random(14)
    print("\n2. What a cancel costs: %d random cancel points per figure (SIGTERM once the printer"
          " has printed a random number of the job's rows)" % runs)
    print("   %-15s %-9s %-23s %9s %9s %11s %11s %11s %11s" % (
        "job", "printer", "backend", "mm median", "mm p99", "bytes med", "bytes p99",
        "reset med", "reset p99"))
    for name, data in jobs:
        path = os.path.join(workdir, "cancel-" + name.replace(" ", "-"))
        with open(path, "wb") as f:
            f.write(data)
        total_rows = 4096 if name == "banded receipt" else 4000
        for rate, label in ((1000000, "1 MB/s"), (20000, "20 kB/s")):
            top = min(int(total_rows * 0.9), int(rate * CANCEL_WINDOW_S / 72))
            points = [rnd.randrange(1, top) for _ in range(runs)]
            for title, kind in kinds:
                results = cancel_series(workdir, kind, path, rate, points)
                mm = [r[0] for r in results]
                sent = [r[1] for r in results]
                lat = [r[2] * 1000 for r in results if r[2] is not None]
                print("   %-15s %-9s %-23s %9.1f %9.1f %11d %11d %11s %11s" % (
                    name, label, title, statistics.median(mm), p99(mm),
                    statistics.median(sent), p99(sent),
                    "%.0f ms" % statistics.median(lat) if lat else "no reset",
                    "%.0f ms" % p99(lat) if lat else "no reset"))
                sys.stdout.flush()


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


def usb(workdir, rounds, cancels, idle_seconds=5):
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
    print("   flushprinter, SIGTERM to the reset at the printer (the transfer in flight is"
          " cut short), %d cancels of a tall image each:" % cancels)
    for rate, label in ((1000000, "1 MB/s"), (20000, "20 kB/s")):
        lat = usb_cancel_latency(workdir, rate, cancels)
        print("   %-18s median %5.0f ms   p99 %5.0f ms" % (label, statistics.median(lat), p99(lat)))


def usb_cancel_latency(workdir, rate, runs):
    """SIGTERM to the reset's bulk OUT transfer (ESC @, 2 bytes) at the emulated USB
    printer taking data at `rate`: a tall GS v 0 image canceled `runs` times, at a
    random moment within its first 1.5 s and first half; milliseconds, sorted."""
    path = os.path.join(workdir, "usb-cancel-job")
    job = fptest.receipt("bench", rows=4000)
    with open(path, "wb") as f:
        f.write(job)
    window = min(1.5, len(job) / 2 / rate)
    program, uri = usb_backend("flushprinter")
    rnd, latencies = random.Random(3), []
    for i in range(runs):
        env = dict(os.environ, DEVICE_URI=uri + "&idle=0",
                   FLUSHPRINTER_STATEDIR=os.path.join(workdir, "state-usb-cancel"))
        argv = [fptest.USB_MOCK] + USB_PRINTER + ["--rate", str(rate), "--out", "/dev/null",
                                                  "--", program, "1", "bench", "bench", "1", "",
                                                  path]
        p = fptest.Process(fptest.USB_MOCK, argv, env, {}, "usb mock")
        p.wait_line(r"bulk OUT ep 0x01", timeout=30)   # the job is flowing
        time.sleep(0.05 + rnd.random() * (window - 0.05))
        t0 = time.time()
        p.signal(signal.SIGTERM)                        # the fixture passes it on
        p.wait(60)
        with p.cond:
            resets = [t for t, line in p.lines if t > t0 and "bulk OUT ep 0x01 2 bytes" in line]
        if not resets:
            raise SystemExit("no reset after a USB cancel:\n" + p.stderr()[-2000:])
        latencies.append((resets[0] - t0) * 1000)
    return sorted(latencies)


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
    labels = b"".join(fptest.zpl_label("LABEL %d" % i) for i in range(50000))
    jobs = {"large": ("escpos", scenario.banded_receipt("status", bands=1000)),  # 18 MB, bands
            "small": ("escpos", fptest.receipt("status", rows=50)),              # 3.6 kB
            # 2 MB of small ZPL labels: ~HS asked again between them, 8 kB apart at least
            "labels": ("zpl", fptest.zpl_label("BEGIN status") + labels
                       + fptest.zpl_label("END status"))}
    print("\n5. Printer status (ESC/POS and ZPL over AppSocket, emulator printer), median of %d "
          "rounds" % rounds)
    for size, (language, job) in jobs.items():
        path = os.path.join(workdir, "status-" + size)
        with open(path, "wb") as f:
            f.write(job)
        secs = {"off": [], "auto": [], "on": []}
        cpu = {mode: [] for mode in secs}
        for r in range(rounds):
            for mode in secs:                                     # interleaved
                emu = fptest.Emulator(workdir, "--language", language)
                try:
                    uri = "flushprinter+socket://127.0.0.1:%d/?language=%s&reset=%s&status=%s" % (
                        emu.port, language, language, mode)
                    p = fptest.raw_job(uri, statedir, path)
                    if p.wait(120) != 0:
                        raise SystemExit("status=%s failed: %s" % (mode, p.stderr()))
                    emu.wait_event("text", text="END status", timeout=60)
                    secs[mode].append(emu.wait_event("close").t - p.started)
                    cpu[mode].append(p.cpu_used)
                finally:
                    emu.stop()
        for mode in secs:
            t = statistics.median(secs[mode])
            print("   %-6s %8.1f kB job, status=%-4s %8.1f MB/s, %7.1f ms (start to the "
                  "printer's last byte parsed), backend CPU %6.1f ms (%.2f x off)"
                  % (language, len(job) / 1e3, mode, len(job) / t / 1e6, t * 1000,
                     statistics.median(cpu[mode]) * 1000,
                     statistics.median(cpu[mode]) / max(statistics.median(cpu["off"]), 1e-3)))

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


def baseline(workdir, before, rounds, runs):
    """Section 6: this build's backend beside another build's (`before`), interleaved in
    one run: throughput and CPU time of a large job, cancel-to-reset latency at 1 MB/s.
    Both send the image as the job has it (band=0 here; a baseline may not know band=)."""
    old = os.path.join(os.path.abspath(before), "backend", "flushprinter")
    with open(os.path.join(fptest.BUILDDIR, "backend", "flushprinter"), "rb") as f:
        knows_band = b"band=" in f.read()       # a build older than band= refuses it
    programs = [("before", old, ""), ("after", None, "&band=0" if knows_band else "")]
    job = scenario.banded_receipt("bench", bands=4000)
    path = os.path.join(workdir, "job-baseline")
    with open(path, "wb") as f:
        f.write(job)
    rate, cpu = {k: [] for k, _, _ in programs}, {k: [] for k, _, _ in programs}
    for r in range(rounds):
        for label, program, extra in programs:
            kind = "flushprinter band=0" if extra else "flushprinter"
            rate[label].append(len(job) / timed_send(kind, path, len(job),
                                                     os.path.join(workdir, "state"),
                                                     program) / 1e6)
            cpu[label].append(timed_send.cpu)
    lat = {k: [] for k, _, _ in programs}
    emu = fptest.Emulator(workdir, "--rate", 1000000)
    rnd, conn = random.Random(11), 0
    try:
        for i in range(runs):
            for label, program, extra in programs:
                conn += 1
                cancel = os.path.join(workdir, "baseline-cancel")
                with open(cancel, "wb") as f:
                    f.write(scenario.banded_receipt("cancel", bands=200))
                uri = "flushprinter+socket://127.0.0.1:%d/?reset=escpos&idle=0%s" % (
                    emu.port, extra)
                p = fptest.raw_job(uri, os.path.join(workdir, "state-baseline"), cancel, conn,
                                   program=program)
                emu.wait_event("first-byte", conn=conn)
                time.sleep(0.05 + rnd.random() * 0.3)
                t0 = time.time()
                p.signal(signal.SIGTERM)
                lat[label].append((emu.wait_event("reset", after=t0, timeout=30).t - t0) * 1000)
                p.wait(30)
    finally:
        emu.stop()
    print("\n6. This build beside %s (same run, interleaved): %.1f MB job x %d rounds,"
          " %d cancels at 1 MB/s" % (before, len(job) / 1e6, rounds, runs))
    print("   %-8s %10s %12s %14s %12s" % ("backend", "MB/s", "CPU s/job", "cancel median",
                                          "cancel p99"))
    for label, _, _ in programs:
        print("   %-8s %10.1f %12.3f %11.1f ms %9.1f ms" % (
            label, statistics.median(rate[label]), statistics.median(cpu[label]),
            statistics.median(lat[label]), p99(lat[label])))
    print("   after / before: throughput %.2f, CPU %.2f, cancel median %.2f" % (
        statistics.median(rate["after"]) / statistics.median(rate["before"]),
        statistics.median(cpu["after"]) / statistics.median(cpu["before"]),
        statistics.median(lat["after"]) / statistics.median(lat["before"])))


def main():
    global fptest, scenario
    parser = argparse.ArgumentParser()
    parser.add_argument("builddir", nargs="?", default=os.path.join(TOP, "build", "main"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cancels", type=int, default=100)
    parser.add_argument("--only", default="1,2,3,4,5")
    parser.add_argument("--baseline", metavar="BUILDDIR",
                        help="also section 5: this build's backend beside BUILDDIR's")
    args = parser.parse_args()
    only = set(args.only.split(","))
    os.environ["FP_BUILDDIR"] = os.path.abspath(args.builddir)
    sys.path.insert(0, os.path.join(TOP, "tests", "behaviour"))
    import fptest
    import scenario
    work = tempfile.mkdtemp(prefix="flushprinter-bench-")
    try:
        if "1" in only:
            throughput(work, args.rounds)
        if "2" in only:
            cancel_costs(work, args.cancels)
        if "3" in only:
            usb(work, args.rounds, min(args.cancels, 20))
        if "4" in only:
            trackers(work, 100)
        if "5" in only:
            status(work, args.rounds)
        if args.baseline:
            baseline(work, args.baseline, args.rounds, min(args.cancels, 50))
    finally:
        shutil.rmtree(work, True)


if __name__ == "__main__":
    main()

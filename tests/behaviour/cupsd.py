"""A private CUPS scheduler for tests: its own ServerRoot, ports and files, nothing shared.

Cupsd() makes a temporary base directory whose ServerBin holds links to the
system's CUPS programs plus *copies* of this build's backend (mode 0700, so
cupsd runs it as root) and filter (0755), starts `cupsd -f` listening only on
127.0.0.1:<free port> and a Unix socket in the base directory, waits until it
answers, and stop() ends that cupsd -- and only it -- and removes the
directory.  Use it as a context manager or register stop() as a cleanup.
"""

import glob
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import fptest

SYSTEM_SERVERBIN = "/usr/lib/cups"
SYSTEM_DATADIR = "/usr/share/cups"


def available():
    """Why a private cupsd cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "a private cupsd needs root (Sandboxing Relaxed, backends as root)"
    if not shutil.which("cupsd") and not os.path.exists("/usr/sbin/cupsd"):
        return "cupsd is not installed"
    return None


def _copy_program(src, dst, mode):
    """Install a build product as cupsd requires: root-owned, not group/world-writable."""
    with open(src, "rb") as f:
        script = f.read(2) == b"#!"
    if script:                 # a libtool wrapper script: take the real binary
        src = os.path.join(os.path.dirname(src), ".libs", os.path.basename(src))
    shutil.copyfile(src, dst)
    os.chmod(dst, mode)


class Cupsd:
    def __init__(self, extra_conf="", job_kill_delay=30):
        self.base = tempfile.mkdtemp(prefix="fpcupsd-")
        os.chmod(self.base, 0o755)
        self.port = fptest.free_port()
        self.server = "127.0.0.1:%d" % self.port
        self.proc = None
        self._log_offset, self._log_cache = 0, []
        try:
            self._layout()
            self._configure(extra_conf, job_kill_delay)
            self._start()
        except BaseException:
            self.stop()
            raise

    # ------------------------------------------------------------ set-up

    def _layout(self):
        b = self.base
        for d in ("bin/backend", "bin/filter", "bin/driver", "bin/daemon", "bin/monitor",
                  "bin/notifier", "share", "spool/temp", "cache", "log", "ppd", "state",
                  "flushprinter"):
            os.makedirs(os.path.join(b, d), exist_ok=True)
        os.chmod(os.path.join(b, "spool"), 0o710)
        os.chmod(os.path.join(b, "spool/temp"), 0o1770)
        ours = {"backend/flushprinter+socket", "backend/flushprinter+file",
                "backend/flushprinter+usb", "filter/flushprinter"}
        for sub in ("backend", "filter", "driver", "daemon", "monitor", "notifier"):
            for path in glob.glob(os.path.join(SYSTEM_SERVERBIN, sub, "*")):
                name = sub + "/" + os.path.basename(path)
                if name not in ours:   # an installed flushprinter is not this build's
                    os.symlink(path, os.path.join(b, "bin", name))
        for path in glob.glob(os.path.join(SYSTEM_DATADIR, "*")):
            os.symlink(path, os.path.join(b, "share", os.path.basename(path)))
        for scheme in ("flushprinter+socket", "flushprinter+file", "flushprinter+usb"):
            _copy_program(fptest.BACKEND, os.path.join(b, "bin/backend", scheme), 0o700)
        _copy_program(fptest.FILTER, os.path.join(b, "bin/filter/flushprinter"), 0o755)
        for name in ("raw.types", "raw.convs"):
            if os.path.exists("/etc/cups/" + name):
                shutil.copy("/etc/cups/" + name, os.path.join(b, name))

    def _configure(self, extra_conf, job_kill_delay):
        b = self.base
        with open(os.path.join(b, "cupsd.conf"), "w") as f:
            f.write("""Listen 127.0.0.1:%d
Listen %s/sock
Browsing Off
WebInterface No
LogLevel debug2
MaxLogSize 0
JobKillDelay %d
MaxJobTime 0
PreserveJobHistory Yes
<Policy default>
  <Limit All>
    Order deny,allow
    Allow from 127.0.0.1
    Allow from @LOCAL
  </Limit>
</Policy>
<Location />
  Order deny,allow
  Allow from 127.0.0.1
</Location>
%s
""" % (self.port, b, job_kill_delay, extra_conf))
        with open(os.path.join(b, "cups-files.conf"), "w") as f:
            f.write("""User lp
Group lp
SystemGroup root
FileDevice Yes
ServerRoot {b}
StateDir {b}/state
ServerBin {b}/bin
DataDir {b}/share
CacheDir {b}/cache
RequestRoot {b}/spool
TempDir {b}/spool/temp
AccessLog {b}/log/access_log
ErrorLog {b}/log/error_log
PageLog {b}/log/page_log
Sandboxing Relaxed
PassEnv FLUSHPRINTER_STATEDIR
""".format(b=b))

    def _start(self):
        env = dict(os.environ, FLUSHPRINTER_STATEDIR=os.path.join(self.base, "flushprinter"))
        env.pop("CUPS_SERVER", None)
        self.proc = subprocess.Popen(["cupsd", "-f", "-c", os.path.join(self.base, "cupsd.conf"),
                                      "-s", os.path.join(self.base, "cups-files.conf")],
                                     env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, start_new_session=True)
        end = time.time() + 20
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("cupsd exited: %s\n%s" % (
                    self.proc.stderr.read().decode(errors="replace"), self.error_log()))
            # one attempt a round (run() would retry a refused connection itself)
            if subprocess.run(["lpstat", "-r"], env=self.env(), capture_output=True,
                              timeout=10).returncode == 0:
                return
            if time.time() > end:
                raise AssertionError("cupsd did not answer in 20 s\n" + self.error_log())
            time.sleep(0.02)

    # ------------------------------------------------------------ use

    @property
    def statedir(self):
        return os.path.join(self.base, "flushprinter")

    def env(self):
        """Client environment: this cupsd's Unix socket (ipptool uses 127.0.0.1:PORT)."""
        return dict(os.environ, CUPS_SERVER=os.path.join(self.base, "sock"))

    # Clients whose requests only read: asking again cannot do anything twice.
    READ_ONLY = ("lpstat", "lpinfo", "ipptool")

    def run(self, *argv, check=True, timeout=60):
        """Run a CUPS client command against this cupsd; CompletedProcess (text).

        A client that could not connect ("Unable to connect to server") is run again,
        up to three times in all.  So is a read-only client
        that failed with "Bad file descriptor": seen a few times under distcheck's
        load, from lpinfo at the first request after start-up, never reproduced
        since (95 lpinfo -v on fresh cupsds beside two busy loops all passed).  It is
        not a descriptor our code misuses: libcups reports any failed HTTP exchange
        (HTTP_STATUS_ERROR) as strerror(errno), whatever errno last held
        (_cupsSetHTTPError), so the message says only that the exchange with cupsd
        broke off.  What it is not: the stock network backends' discovery (lpinfo
        lists only our schemes since 5ff2761); cupsd not yet listening (start-up
        waits until lpstat -r answers).  A client that changes something (lp,
        lpadmin, cancel) is not run again after such an error: its request may have
        been carried out already, and a second job would muddle the test."""
        for attempt in range(3):
            out = subprocess.run(list(argv), env=self.env(), capture_output=True, text=True,
                                 timeout=timeout)
            transient = "Unable to connect to server" in out.stderr or (
                "Bad file descriptor" in out.stderr
                and os.path.basename(argv[0]) in self.READ_ONLY)
            if out.returncode == 0 or not transient:
                break
            time.sleep(0.5)
        if check and out.returncode != 0:
            raise AssertionError("%s failed (%d): %s%s" % (" ".join(argv), out.returncode,
                                                           out.stdout, out.stderr))
        return out

    def add_queue(self, name, uri, *options):
        """lpadmin -p NAME -E -v URI OPTIONS... (e.g. "-m", "raw" or "-P", ppd)."""
        self.run("lpadmin", "-p", name, "-E", "-v", uri, *options)

    def submit(self, queue, path, *options):
        """lp -d QUEUE FILE; the job id (an int)."""
        out = self.run("lp", "-d", queue, *options, path)
        # "request id is QUEUE-ID (1 file(s))"
        return int(out.stdout.split()[3].rsplit("-", 1)[1])

    def _ipp(self, test, uri):
        """Run an ipptool test file; the CSV rows after the header, as lists."""
        out = self.run("ipptool", "-c", uri, os.path.join(os.path.dirname(__file__), test),
                       check=False)
        rows = [line for line in out.stdout.splitlines() if line.strip()]
        return [r.split(",", 2) for r in rows[1:]]

    def ipp_job_state(self, job_id):
        """The job-state keyword of job `job_id` ("processing", "completed", ...)."""
        rows = self._ipp("get-job-state.test", "ipp://%s/jobs/%d" % (self.server, job_id))
        return rows[0][0].strip('"') if rows else None

    def printer_state(self, queue):
        """(printer-state, printer-state-reasons, printer-state-message) of a queue."""
        rows = self._ipp("get-printer-state.test", "ipp://%s/printers/%s" % (self.server, queue))
        row = [c.strip('"') for c in (rows[0] if rows else [])] + ["", "", ""]
        return tuple(row[:3])

    def wait_job(self, job_id, states=("completed", "canceled", "aborted"), timeout=60):
        """Wait until the job reaches one of `states` (IPP job-state keywords) and, for a
        final state, until every process cupsd started for it has ended; the state.

        cupsd calls a job "canceled" the moment it takes the cancel, while its filters
        and backend are only being sent SIGTERM: they may go on flushing, logging and
        holding the queue for seconds.  "completed" and "aborted" are set only once
        they have ended."""
        end = time.time() + timeout
        while True:
            state = self.ipp_job_state(job_id)
            if state in states:
                break
            if time.time() > end:
                raise AssertionError("job %d not %s after %d s (now %s)\n%s" % (
                    job_id, states, timeout, state, self.error_log()[-4000:]))
            time.sleep(0.1)
        if state in ("completed", "canceled", "aborted"):
            self.wait_job_ended(job_id, max(end - time.time(), 5))
        return state

    def wait_job_ended(self, job_id, timeout=60):
        """Wait until cupsd has collected the exit status of every process of job
        `job_id` and read all they wrote to it (its finalize_job(), logged at debug2).
        Call it once the job is in a final state: a job canceled before it started
        had no process, and returns at once."""
        started = r"\[Job %d\] Started (filter|backend) " % job_id
        if self.logged(started) is None:
            return
        self.wait_logged(r"finalize_job\(job=\S+\(%d\)\)" % job_id, timeout,
                         "job %d's processes ended" % job_id)

    def logged(self, pattern):
        """The first error_log line matching regex `pattern`, or None: a single look,
        for lines known to be written already (or not to be written at all).  To wait
        for a line, use wait_logged()."""
        rx = re.compile(pattern)
        for line in self._log_lines():
            if rx.search(line):
                return line
        return None

    def wait_logged(self, pattern, timeout=30, what=None):
        """The first error_log line matching regex `pattern`, waiting up to `timeout`
        seconds for cupsd to write it; fails with the log's tail after that."""
        rx = re.compile(pattern)
        end = time.time() + timeout
        seen = 0
        while True:
            lines = self._log_lines()
            for line in lines[seen:]:
                if rx.search(line):
                    return line
            seen = len(lines)
            if time.time() > end:
                raise AssertionError("cupsd logged nothing like %r in %.0f s%s; its log ends:\n%s"
                                     % (pattern, timeout, " (%s)" % what if what else "",
                                        "\n".join(lines[-60:])))
            time.sleep(0.02)

    def _log_lines(self):
        """The error_log's whole lines so far (read on from where the last call stopped)."""
        try:
            with open(os.path.join(self.base, "log", "error_log"), "rb") as f:
                f.seek(self._log_offset)
                data = f.read()
        except FileNotFoundError:
            return self._log_cache
        whole = data.rfind(b"\n") + 1          # a line still being written waits
        self._log_offset += whole
        self._log_cache.extend(data[:whole].decode(errors="replace").splitlines())
        return self._log_cache

    def error_log(self):
        try:
            with open(os.path.join(self.base, "log", "error_log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        """End this cupsd (and only it) and remove its directory."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()
        shutil.rmtree(self.base, True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

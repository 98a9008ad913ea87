#!/usr/bin/env python3
# Drives the screen-sharing benchmark: our session (relay and direct path) against the stock
# FreeRDP shadow server and x11vnc, on Xvfb, same workloads, same machine, same run.
# Started by bench/run.sh, which installs packages and builds first. Everything it starts is
# bounded in time and stopped before it exits.
#
# SPDX-License-Identifier: GPL-3.0-or-later
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TARGETS = ["ours-relay", "ours-direct", "stock-shadow", "x11vnc"]
TARGET_NAMES = {
    "ours-relay": "ours (relay)",
    "ours-direct": "ours (direct)",
    "stock-shadow": "stock shadow",
    "x11vnc": "x11vnc",
}
WORKLOADS = ["static", "typing", "fullscreen", "scroll", "window"]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def now_us():
    return time.monotonic_ns() // 1000


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def cpu_seconds(pid):
    # schedstat has nanoseconds (stat has 10 ms ticks, too coarse for a static screen); it is
    # per thread, so sum the threads alive now: a window is measured between two such sums.
    try:
        total = 0
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        return total / 1e9
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except OSError:
        return None


def peak_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def wait_for_line(path, prefix, proc, timeout):
    end = time.monotonic() + timeout
    while True:
        # Checked before reading, so a line written just before the process ended is seen.
        last = (proc is not None and proc.poll() is not None) or time.monotonic() >= end
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(prefix):
                        return line[len(prefix):].strip()
        except OSError:
            pass
        if last:
            return None
        time.sleep(0.01)


def raise_nofile():
    # The server and the load generator need one descriptor per connection.
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Procs:
    """Every process we start, stopped by pid (process group) at the end."""

    def __init__(self):
        self.procs = []

    def start(self, argv, **kw):
        p = subprocess.Popen(argv, start_new_session=True, preexec_fn=raise_nofile, **kw)
        self.procs.append(p)
        return p

    def stop(self, p, timeout=5):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def stop_all(self):
        for p in list(self.procs):
            self.stop(p)


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.builddir)
        self.client = os.path.join(self.build, "bench", "rh-bench-client")
        self.workload = os.path.join(self.build, "bench", "rh-bench-workload")
        self.server_bin = os.path.join(self.build, "app", "remote-help-server")
        self.tmp = tempfile.mkdtemp(prefix="rh-bench-")
        os.chmod(self.tmp, 0o700)
        self.procs = Procs()
        self.env = dict(os.environ)
        self.env["WLOG_LEVEL"] = "ERROR"
        self.env["G_MESSAGES_DEBUG"] = ""
        self.run_no = 0
        self.sharer_env = dict(kv.split("=", 1) for kv in args.sharer_env)
        self.display = None

    # ---- set-up ----

    def start_server(self):
        data = os.path.join(self.tmp, "server-data")
        srv = self.server_bin
        for who in ("bench-helper", "bench-sharer"):
            pw = os.path.join(self.tmp, who + ".password")
            with open(pw, "w") as f:
                f.write(os.urandom(12).hex() + "\n")
            os.chmod(pw, 0o600)
        subprocess.run([srv, "--data-dir", data, "admin", "settings", "set",
                        "remote-help-enabled", "true"], check=True, capture_output=True)
        for who, name in (("bench-helper", "Helen Bench"), ("bench-sharer", "Sam Bench")):
            subprocess.run([srv, "--data-dir", data, "admin", "user", "add", who,
                            "--display-name", name, "--job-title", "Benchmark",
                            "--company", "Example Corp", "--domain", "example.com",
                            "--password-file", os.path.join(self.tmp, who + ".password")],
                           check=True, capture_output=True)
        # Nobody may help anyone until an assignment says so: the bench helper helps everyone.
        subprocess.run([srv, "--data-dir", data, "admin", "group", "create", "Bench helpers",
                        "--member", "bench-helper"], check=True, capture_output=True)
        subprocess.run([srv, "--data-dir", data, "admin", "assignment", "create", "--role",
                        "Help Desk Operator", "--helpers", "Bench helpers", "--scope-all"],
                       check=True, capture_output=True)
        out = os.path.join(self.tmp, "server.out")
        self.server = self.procs.start([srv, "--data-dir", data, "--listen", "127.0.0.1:0"],
                                       stdout=open(out, "w"),
                                       stderr=open(os.path.join(self.tmp, "server.log"), "w"))
        url = wait_for_line(out, "listening: ", self.server, 20)
        tls = wait_for_line(out, "tls-fingerprint: ", self.server, 5)
        org = wait_for_line(out, "org-key: ", self.server, 5)
        if not (url and tls and org):
            raise RuntimeError("remote-help-server did not start; see " + self.tmp)
        conf = os.path.join(self.tmp, "remote-help.conf")
        with open(conf, "w") as f:
            f.write(f"[remote-help]\nserver={url}\nserver-fingerprint={tls}\n"
                    f"org-key={org}\nacceptTerms=1\n")
        self.env["RH_SYSTEM_CONFIG"] = conf
        self.env["XDG_CONFIG_HOME"] = os.path.join(self.tmp, "config")
        run = os.path.join(self.tmp, "run")
        os.makedirs(run, mode=0o700, exist_ok=True)
        self.env["XDG_RUNTIME_DIR"] = run

    def start_shadow_identity(self):
        # The stock server reuses a certificate found in its config directory: make one now,
        # so that its fingerprint is known before the server starts (the client pins it).
        self.shadow_home = os.path.join(self.tmp, "shadow-home")
        d = os.path.join(self.shadow_home, ".config", "freerdp", "shadow")
        os.makedirs(d, mode=0o700)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", os.path.join(d, "shadow.key"),
                        "-out", os.path.join(d, "shadow.crt"), "-days", "2",
                        "-subj", "/CN=rh-bench"], check=True, capture_output=True)
        der = subprocess.run(["openssl", "x509", "-in", os.path.join(d, "shadow.crt"),
                              "-outform", "DER"], check=True, capture_output=True).stdout
        import hashlib
        self.shadow_pin = hashlib.sha256(der).hexdigest()
        self.shadow_user = "bench" + os.urandom(4).hex()
        self.shadow_password = os.urandom(12).hex()
        sam = subprocess.run(["winpr-hash", "-u", self.shadow_user, "-p",
                              self.shadow_password, "-f", "sam"],
                             check=True, capture_output=True, text=True).stdout
        self.shadow_sam = os.path.join(self.tmp, "shadow.sam")
        with open(self.shadow_sam, "w") as f:
            f.write(sam.strip().splitlines()[-1] + "\n")
        os.chmod(self.shadow_sam, 0o600)

    def start_xvfb(self, width, height):
        r, w = os.pipe()
        self.xvfb = self.procs.start(["Xvfb", "-displayfd", str(w), "-screen", "0",
                                      f"{width}x{height}x24", "-noreset", "-nolisten", "tcp"],
                                     pass_fds=(w,), stderr=subprocess.DEVNULL)
        os.close(w)
        with os.fdopen(r) as f:
            self.display = ":" + f.readline().strip()
        self.width, self.height = width, height
        self.env["DISPLAY"] = self.display

    def stop_xvfb(self):
        self.procs.stop(self.xvfb)

    def draw(self, mode, duration=0, logf=None):
        argv = [self.workload, "--display", self.display, "--mode", mode,
                "--duration", str(duration)]
        if logf:
            argv += ["--log", logf]
        subprocess.run(argv, check=True, timeout=duration + 30, env=self.env)

    def generator(self, name, idle, pair_seconds, concurrency, relay_sessions,
                  relay_seconds, hold=None):
        out = os.path.join(self.tmp, name + ".json")
        argv = [os.path.join(self.build, "bench", "rh-bench-rendezvous"),
                "--helper-login", "bench-helper",
                "--helper-password-file", os.path.join(self.tmp, "bench-helper.password"),
                "--sharer-login", "bench-sharer",
                "--sharer-password-file", os.path.join(self.tmp, "bench-sharer.password"),
                "--server-pid", str(self.server.pid), "--idle", str(idle),
                "--concurrency", str(concurrency), "--pair-seconds", str(pair_seconds),
                "--relay-sessions", str(relay_sessions), "--relay-seconds", str(relay_seconds),
                "--out", out]
        if hold:
            argv += ["--hold-file", hold]
        stdout = os.path.join(self.tmp, name + ".out")
        p = self.procs.start(argv, env=self.env, stdout=open(stdout, "w"),
                             stderr=open(os.path.join(self.tmp, name + ".err"), "w"))
        return p, out, stdout

    def finish_generator(self, p, out, timeout=600):
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        self.procs.stop(p)
        if p.returncode != 0:
            raise RuntimeError(f"rh-bench-rendezvous failed ({p.returncode}); see {self.tmp}")
        with open(out) as f:
            return json.load(f)

    def run_capacity(self, idle, pair_seconds, relay_sessions, relay_seconds, workers=4,
                     concurrency=16):
        """Idle connections held by one process; meanwhile `workers` processes pair at
        `concurrency` in total (each process connects one TLS connection at a time, see
        rh-bench-rendezvous.c); then the relay on its own."""
        hold = os.path.join(self.tmp, "hold")
        open(hold, "w").close()
        idle_p, idle_out, idle_stdout = self.generator("idle", idle, 0, 1, 0, 0, hold)
        if wait_for_line(idle_stdout, "idle-ready", idle_p, 300) is None:
            raise RuntimeError("the idle connections did not come up; see " + self.tmp)
        # What the idle connections cost the server on their own, before any pairing.
        cpu0, t0 = cpu_seconds(self.server.pid), time.monotonic()
        time.sleep(5)
        idle_cores = (cpu_seconds(self.server.pid) - cpu0) / (time.monotonic() - t0)
        cpu0, t0 = cpu_seconds(self.server.pid), time.monotonic()
        pairs = [self.generator(f"pair{i}", 0, pair_seconds, concurrency // workers, 0, 0)
                 for i in range(workers)]
        results = [self.finish_generator(p, out, pair_seconds + 120) for p, out, _ in pairs]
        secs = time.monotonic() - t0
        server_cores = (cpu_seconds(self.server.pid) - cpu0) / secs
        rss_after = None
        try:
            with open(f"/proc/{self.server.pid}/status") as f:
                rss_after = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
        os.unlink(hold)
        c = self.finish_generator(idle_p, idle_out, 60)
        pair_ms = sorted(x for r in results for x in r.get("pairing_ms", []))
        total_ms = sorted(x for r in results for x in r.get("pairing_with_connects_ms", []))
        c.update({
            "server_cpu_cores_idle": idle_cores,
            "pair_workers": workers,
            "pair_concurrency": concurrency,
            "pairings_ok": sum(r.get("pairings_ok", 0) for r in results),
            "pairings_failed": sum(r.get("pairings_failed", 0) for r in results),
            "pairings_per_second": sum(r.get("pairings_per_second", 0) for r in results),
            "pairing_p50_ms": percentile(pair_ms, 50),
            "pairing_p99_ms": percentile(pair_ms, 99),
            "pairing_with_connects_p50_ms": percentile(total_ms, 50),
            "pairing_with_connects_p99_ms": percentile(total_ms, 99),
            "pairing_server_cpu_cores": server_cores,
            "pairing_generator_cpu_cores": sum(r.get("pairing_generator_cpu_cores", 0)
                                               for r in results),
            "server_rss_during_pairings_kib": rss_after,
            "server_cpu_ms_per_pairing": (server_cores * 1000 /
                                          sum(r.get("pairings_per_second", 0) for r in results)
                                          if results and any(r.get("pairings_per_second")
                                                             for r in results) else None),
            "pairing_ms": pair_ms,
        })
        rp, rout, _ = self.generator("relay", 0, 0, 1, relay_sessions, relay_seconds)
        c.update(self.finish_generator(rp, rout, 600))
        return c

    # ---- one run of one target ----

    def run_target(self, target, marker, duration, workload=None):
        """Starts target's sharer and client; once the first full frame arrived, runs the
        workload (if any) for `duration` seconds; returns the raw measurements."""
        self.run_no += 1
        d = os.path.join(self.tmp, f"run{self.run_no:04d}-{target}")
        os.makedirs(d)
        self.draw("desktop")     # a clean desktop: no marker of an earlier run on screen
        settle = 1.0 if workload else 0
        client_duration = settle + duration + 1.0 if workload else 0
        cout = os.path.join(d, "client.out")
        res = {"target": target}
        sharer = None
        t_launch = now_us()
        if target.startswith("ours"):
            path = target.split("-")[1]
            helper_argv = [self.client, "helper", "--login", "bench-helper",
                           "--password-file", os.path.join(self.tmp, "bench-helper.password"),
                           "--path", path, "--marker", marker,
                           "--duration", str(client_duration),
                           "--out", os.path.join(d, "client.json")]
            client = self.procs.start(helper_argv, stdout=open(cout, "w"),
                                      stderr=open(os.path.join(d, "client.err"), "w"),
                                      env=self.env)
            code = wait_for_line(cout, "code: ", client, 20)
            if not code:
                raise RuntimeError(f"{target}: no code; see {d}")
            sharer = self.procs.start([self.client, "sharer", "--login", "bench-sharer",
                                       "--password-file",
                                       os.path.join(self.tmp, "bench-sharer.password"),
                                       "--code", code, "--display", self.display,
                                       "--path", path, "--duration", "0",
                                       "--out", os.path.join(d, "sharer.json")],
                                      stdout=open(os.path.join(d, "sharer.out"), "w"),
                                      stderr=open(os.path.join(d, "sharer.err"), "w"),
                                      env=dict(self.env, **self.sharer_env))
        else:
            port = free_port()
            if target == "stock-shadow":
                env = dict(self.env, HOME=self.shadow_home,
                           XDG_CONFIG_HOME=os.path.join(self.shadow_home, ".config"))
                t_launch = now_us()
                sharer = self.procs.start(["freerdp-shadow-cli", "/bind-address:127.0.0.1",
                                           f"/port:{port}", f"/sam-file:{self.shadow_sam}",
                                           "/sec:nla", "-auth"],
                                          stdout=subprocess.DEVNULL,
                                          stderr=open(os.path.join(d, "sharer.err"), "w"),
                                          env=env)
                argv = [self.client, "rdp", "--port", str(port), "--user", self.shadow_user,
                        "--password", self.shadow_password, "--cert-sha256", self.shadow_pin]
            else:
                t_launch = now_us()
                sharer = self.procs.start(["x11vnc", "-display", self.display, "-rfbport",
                                           str(port), "-localhost", "-nopw", "-shared",
                                           "-forever", "-quiet"],
                                          stdout=subprocess.DEVNULL,
                                          stderr=open(os.path.join(d, "sharer.err"), "w"),
                                          env=self.env)
                argv = [self.client, "vnc", "--port", str(port)]
            client = self.procs.start(argv + ["--marker", marker,
                                              "--duration", str(client_duration),
                                              "--out", os.path.join(d, "client.json")],
                                      stdout=open(cout, "w"),
                                      stderr=open(os.path.join(d, "client.err"), "w"),
                                      env=self.env)
        try:
            ff = wait_for_line(cout, "bench-first-frame: ", client, 40)
            if ff is None:
                raise RuntimeError(f"{target}: no first frame; see {d}")
            if workload:
                time.sleep(settle)
                cpu0 = (cpu_seconds(sharer.pid), cpu_seconds(client.pid))
                t0 = now_us()
                wl_log = os.path.join(d, "workload.log")
                self.draw(workload, duration, wl_log)
                t1 = now_us()
                cpu1 = (cpu_seconds(sharer.pid), cpu_seconds(client.pid))
                res["window"] = [t0, t1]
                minutes = (t1 - t0) / 60e6
                if None not in cpu0 + cpu1:
                    res["sharer_cpu_s_per_min"] = (cpu1[0] - cpu0[0]) / minutes
                    res["helper_cpu_s_per_min"] = (cpu1[1] - cpu0[1]) / minutes
                res["sharer_peak_rss_kib"] = peak_rss_kib(sharer.pid)
                res["helper_peak_rss_kib"] = peak_rss_kib(client.pid)
                res["changes"] = {}
                with open(wl_log) as f:
                    for line in f:
                        s, t = line.split()
                        res["changes"][int(s)] = int(t)
            client.wait(timeout=client_duration + 30)
            if client.returncode != 0:
                raise RuntimeError(f"{target}: client failed ({client.returncode}); see {d}")
            with open(os.path.join(d, "client.json")) as f:
                cj = json.load(f)
            if target.startswith("ours"):
                # The session must have taken the path this target is about.
                took = wait_for_line(cout, "path: ", None, 0)
                if took is None or not took.startswith(target.split("-")[1]):
                    raise RuntimeError(f"{target}: the session took path {took!r}; see {d}")
                sharer.wait(timeout=30)
                with open(os.path.join(d, "sharer.json")) as f:
                    t_allow = json.load(f)["t_allow"]
                res["start_us"] = t_allow
            else:
                res["start_us"] = t_launch
            res["first_frame_ms"] = (cj["t_first_frame"] - res["start_us"]) / 1000.0
            if cj.get("t_connected"):
                res["connected_to_first_frame_ms"] = (cj["t_first_frame"] -
                                                      cj["t_connected"]) / 1000.0
            res["samples"] = cj["samples"]
            res["arrivals"] = cj["arrivals"]
        finally:
            self.procs.stop(client)
            if sharer is not None:
                self.procs.stop(sharer)
        if not self.args.keep:
            shutil.rmtree(d, ignore_errors=True)
        return res

    # ---- derived metrics ----

    @staticmethod
    def window_rates(res):
        t0, t1 = res["window"]
        samples = res["samples"]
        before = [s for s in samples if s[0] <= t0]
        after = [s for s in samples if s[0] >= t1]
        a = before[-1] if before else samples[0]
        b = after[0] if after else samples[-1]
        secs = (b[0] - a[0]) / 1e6
        paints = b[1] - a[1]
        nbytes = b[2] - a[2]
        return {
            "fps": paints / secs if secs > 0 else None,
            "bytes_per_s": nbytes / secs if secs > 0 else None,
            "bytes_per_frame": nbytes / paints if paints else None,
        }

    @staticmethod
    def latencies(res):
        changes = res.get("changes") or {}
        lat, early = [], 0
        for seq, t in res["arrivals"]:
            if seq in changes:
                ms = (t - changes[seq]) / 1000.0
                if ms < 0:
                    early = early + 1    # a marker left from before: not this change
                else:
                    lat.append(ms)
        return lat, len(changes), early


def summarize_workload(runs):
    out = {}
    for target, res in runs.items():
        if res is None:
            continue
        m = dict(Bench.window_rates(res))
        lat, n, early = Bench.latencies(res)
        m["latency_ms"] = lat
        m["changes"] = n
        m["delivered"] = len(lat)
        m["latency_p50_ms"] = percentile(lat, 50)
        m["latency_p99_ms"] = percentile(lat, 99)
        for k in ("sharer_cpu_s_per_min", "helper_cpu_s_per_min",
                  "sharer_peak_rss_kib", "helper_peak_rss_kib"):
            m[k] = res.get(k)
        out[target] = m
    return out


def fmt(v, unit=""):
    if v is None:
        return "–"
    if isinstance(v, float):
        if abs(v) >= 100:
            s = f"{v:,.0f}"
        elif abs(v) >= 10:
            s = f"{v:.1f}"
        else:
            s = f"{v:.2f}"
    else:
        s = f"{v:,}"
    return s + unit


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}×"


def table(rows, ours="ours-relay"):
    lines = ["| metric | " + " | ".join(TARGET_NAMES[t] for t in TARGETS) +
             " | ours/stock | ours/x11vnc |",
             "|---" * (len(TARGETS) + 3) + "|"]
    for name, values, unit in rows:
        cells = [fmt(values.get(t), unit) for t in TARGETS]
        lines.append(f"| {name} | " + " | ".join(cells) + " | " +
                     ratio(values.get(ours), values.get("stock-shadow")) + " | " +
                     ratio(values.get(ours), values.get("x11vnc")) + " |")
    return "\n".join(lines)


def versions():
    def pkg(name):
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True,
                           text=True)
        return r.stdout.strip() or "not installed"

    here = os.path.dirname(os.path.abspath(__file__))
    commit = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "remote-help": commit or "unknown",
        "freerdp2": pkg("libfreerdp2-2"),
        "freerdp-shadow-cli": pkg("freerdp2-shadow-x11"),
        "x11vnc": pkg("x11vnc"),
        "libvncclient": pkg("libvncclient1"),
        "xvfb": pkg("xvfb"),
        "libwebsockets": pkg("libwebsockets17"),
        "kernel": platform.release(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", default="_build")
    ap.add_argument("--results", default=None, help="directory for <date>.md/.json")
    ap.add_argument("--quick", action="store_true", help="fewer runs, shorter workloads")
    ap.add_argument("--smoke", action="store_true",
                    help="~30 s: one resolution, two workloads, checks the output")
    ap.add_argument("--resolutions", default=None)
    ap.add_argument("--workloads", default=None)
    ap.add_argument("--targets", default=None)
    ap.add_argument("--first-frame-runs", type=int, default=None)
    ap.add_argument("--duration", type=float, default=None)
    ap.add_argument("--keep", action="store_true", help="keep each run's directory")
    ap.add_argument("--no-screen", action="store_true", help="rendezvous capacity only")
    ap.add_argument("--no-capacity", action="store_true", help="screen benchmark only")
    ap.add_argument("--idle", type=int, default=None, help="idle connections to open")
    ap.add_argument("--sharer-env", action="append", default=[], metavar="KEY=VALUE",
                    help="environment for our sharer, e.g. to pick a capture subsystem")
    ap.add_argument("--check", action="store_true",
                    help="exit non-zero unless every target produced well-formed results")
    args = ap.parse_args()

    global TARGETS
    if args.targets:
        TARGETS = args.targets.split(",")
    if args.smoke:
        res_list = args.resolutions or "1280x800"
        workloads = (args.workloads or "typing").split(",")
        ff_runs = args.first_frame_runs or 1
        duration = args.duration or 1
        capacity = (args.idle if args.idle is not None else 50, 2, 2, 1)
    elif args.quick:
        res_list = args.resolutions or "1280x800"
        workloads = (args.workloads or "static,typing,fullscreen").split(",")
        ff_runs = args.first_frame_runs or 5
        duration = args.duration or 5
        capacity = (args.idle if args.idle is not None else 2000, 5, 20, 3)
    else:
        res_list = args.resolutions or "1280x800,1920x1080"
        workloads = (args.workloads or ",".join(WORKLOADS)).split(",")
        ff_runs = args.first_frame_runs or 20
        duration = args.duration or 15
        capacity = (args.idle if args.idle is not None else 10000, 15, 100, 5)

    # SIGTERM ends the run through the finally below, which stops everything we started.
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    b = Bench(args)
    started = datetime.datetime.now(datetime.timezone.utc)
    result = {
        "date": started.isoformat(timespec="seconds"),
        "mode": "smoke" if args.smoke else "quick" if args.quick else "full",
        "versions": versions(),
        "settings": {"sharer_env": args.sharer_env, "first_frame_runs": ff_runs, "workload_seconds": duration,
                     "workloads": workloads, "targets": TARGETS},
        "resolutions": {},
    }
    try:
        b.start_server()
        b.start_shadow_identity()
        if not args.no_capacity:
            log("== rendezvous capacity")
            result["rendezvous"] = b.run_capacity(*capacity)
        for res_s in ([] if args.no_screen else res_list.split(",")):
            w, h = (int(x) for x in res_s.split("x"))
            log(f"== {res_s}")
            b.start_xvfb(w, h)
            r = {"first_frame_ms": {}, "connected_to_first_frame_ms": {}, "workloads": {}}
            for target in TARGETS:
                vals, conn = [], []
                for i in range(ff_runs):
                    one = b.run_target(target, "fixed", 0)
                    vals.append(one["first_frame_ms"])
                    if "connected_to_first_frame_ms" in one:
                        conn.append(one["connected_to_first_frame_ms"])
                log(f"  first frame {target}: p50 {percentile(vals, 50):.0f} ms")
                r["first_frame_ms"][target] = vals
                if conn:
                    r["connected_to_first_frame_ms"][target] = conn
            for wl in workloads:
                marker = "typing" if wl == "typing" else "fixed"
                runs = {}
                for target in TARGETS:
                    runs[target] = b.run_target(target, marker, duration, wl)
                    log(f"  {wl} {target}: done")
                r["workloads"][wl] = summarize_workload(runs)
            b.stop_xvfb()
            result["resolutions"][res_s] = r
    finally:
        b.procs.stop_all()
        if not args.keep:
            shutil.rmtree(b.tmp, ignore_errors=True)
        else:
            log("kept " + b.tmp)

    md = render(result)
    print(md)
    if args.results:
        os.makedirs(args.results, exist_ok=True)
        stem = started.strftime("%Y-%m-%dT%H%M%SZ") + ("-" + result["mode"]
                                                        if result["mode"] != "full" else "")
        with open(os.path.join(args.results, stem + ".md"), "w") as f:
            f.write(md + "\n")
        with open(os.path.join(args.results, stem + ".json"), "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
        log("wrote " + os.path.join(args.results, stem + ".{md,json}"))
        if args.check:
            problems = check(result, md, os.path.join(args.results, stem))
            for p in problems:
                log("CHECK FAILED: " + p)
            return 1 if problems else 0
    return 0


def check(result, md, stem):
    """The harness ran and its output is well formed (not: fast enough)."""
    problems = []
    try:
        with open(stem + ".json") as f:
            again = json.load(f)
        with open(stem + ".md") as f:
            md_file = f.read()
    except (OSError, ValueError) as e:
        return [f"results not written or not JSON: {e}"]
    if again.get("versions", {}).get("cores") != os.cpu_count():
        problems.append("the header lacks the core count")
    if "| metric |" not in md_file or md_file.strip() != md.strip():
        problems.append("the markdown table is missing or differs from what was printed")
    for res_s, r in again.get("resolutions", {}).items():
        for t in TARGETS:
            ff = r["first_frame_ms"].get(t) or []
            if not ff or not all(0 < x < 60000 for x in ff):
                problems.append(f"{res_s} {t}: first frame times {ff}")
        for wl, m in r["workloads"].items():
            for t in TARGETS:
                if t not in m:
                    problems.append(f"{res_s} {wl} {t}: no results")
                    continue
                if m[t]["fps"] is None or m[t]["bytes_per_s"] is None:
                    problems.append(f"{res_s} {wl} {t}: no frame or byte counts")
                if m[t]["sharer_cpu_s_per_min"] is None or not m[t]["sharer_peak_rss_kib"]:
                    problems.append(f"{res_s} {wl} {t}: no CPU or memory figures")
                if wl != "static" and (m[t]["changes"] == 0 or m[t]["delivered"] == 0):
                    problems.append(f"{res_s} {wl} {t}: no change was detected "
                                    f"({m[t]['delivered']}/{m[t]['changes']})")
    if not again.get("resolutions") and "rendezvous" not in again:
        problems.append("nothing was measured")
    c = again.get("rendezvous")
    if c is not None:
        if (c.get("idle_signed_in", 0) < c.get("idle_target", 0) or c.get("idle_failed", 1) or
                c.get("idle_held_until_the_end") != c.get("idle_signed_in")):
            problems.append(f"idle connections: {c.get('idle_signed_in')} of "
                            f"{c.get('idle_target')}, {c.get('idle_failed')} failed")
        if not c.get("pairings_ok") or c.get("pairings_failed"):
            problems.append(f"pairings: {c.get('pairings_ok')} ok, "
                            f"{c.get('pairings_failed')} failed")
        if c.get("relay_sessions_ready") != c.get("relay_sessions_target"):
            problems.append(f"relay sessions: {c.get('relay_sessions_ready')} of "
                            f"{c.get('relay_sessions_target')} ready")
        if not c.get("relay_one_session_gbit_s") or not c.get("relay_many_sessions_gbit_s"):
            problems.append("relay throughput missing")
    return problems


def render(result):
    v = result["versions"]
    out = [f"# Remote Help benchmark, {result['date']} ({result['mode']})", "",
           f"{v['cores']} cores ({v['cpu']}), kernel {v['kernel']}, load average at start "
           f"{', '.join(f'{x:.2f}' for x in v['loadavg_at_start'])}. "
           f"remote-help {v['remote-help']}; FreeRDP {v['freerdp2']}; x11vnc {v['x11vnc']}; "
           f"libvncclient {v['libvncclient']}; Xvfb {v['xvfb']}; libwebsockets "
           f"{v['libwebsockets']}.", "",
           "*ours* is the relay path unless a column says otherwise; ratios are ours (relay) "
           "divided by the peer: below 1 is better for times, bytes and CPU, above 1 for fps. "
           "First frame: from the sharer's Allow (ours) or from starting the peer's server "
           "(peers) to the first complete frame in the helper's frame buffer. Latency: from "
           "the X server having processed a change to its marker arriving in the helper's "
           "frame buffer; changes a server skipped are not in the percentiles (see "
           "delivered). CPU: seconds per minute of the whole process (60 = one core).", ""]
    s = result["settings"]
    out.append(f"{s['first_frame_runs']} first-frame runs per target; each workload runs "
               f"{s['workload_seconds']:g} s per target.")
    for res_s, r in result["resolutions"].items():
        out += ["", f"## {res_s}", ""]
        rows = []
        ff = r["first_frame_ms"]
        rows.append(("Allow → first frame p50", {t: percentile(ff.get(t), 50) for t in ff}, " ms"))
        rows.append(("Allow → first frame p95", {t: percentile(ff.get(t), 95) for t in ff}, " ms"))
        cf = r.get("connected_to_first_frame_ms", {})
        rows.append(("peers: connected → first frame p50",
                     {t: percentile(cf.get(t), 50) for t in cf}, " ms"))
        out.append(table(rows))
        for wl, m in r["workloads"].items():
            out += ["", f"### {wl}", ""]
            rows = []
            if wl != "static":
                rows.append(("latency p50", {t: m[t]["latency_p50_ms"] for t in m}, " ms"))
                rows.append(("latency p99", {t: m[t]["latency_p99_ms"] for t in m}, " ms"))
                rows.append(("changes delivered", {t: m[t]["delivered"] for t in m},
                             f" / {max((m[t]['changes'] for t in m), default=0)}"))
            rows.append(("frames/s", {t: m[t]["fps"] for t in m}, ""))
            rows.append(("KiB/s", {t: m[t]["bytes_per_s"] / 1024
                                   if m[t]["bytes_per_s"] is not None else None
                                   for t in m}, ""))
            rows.append(("bytes/frame", {t: m[t]["bytes_per_frame"] for t in m}, ""))
            rows.append(("sharer CPU s/min", {t: m[t]["sharer_cpu_s_per_min"] for t in m}, ""))
            rows.append(("helper CPU s/min", {t: m[t]["helper_cpu_s_per_min"] for t in m}, ""))
            rows.append(("sharer peak RSS MiB",
                         {t: m[t]["sharer_peak_rss_kib"] / 1024
                          if m[t]["sharer_peak_rss_kib"] else None for t in m}, ""))
            rows.append(("helper peak RSS MiB",
                         {t: m[t]["helper_peak_rss_kib"] / 1024
                          if m[t]["helper_peak_rss_kib"] else None for t in m}, ""))
            out.append(table(rows))
    if "rendezvous" in result:
        out += ["", "## Rendezvous capacity (loopback)", "", render_capacity(result["rendezvous"])]
    return "\n".join(out)


CAPACITY_ROWS = [
    ("idle_signed_in", "idle signed-in WSS connections held", "", "10,000"),
    ("idle_target", "idle connections attempted", "", ""),
    ("idle_held_until_the_end", "of them still open after the pairings", "", ""),
    ("idle_setup_seconds", "time to open and sign them in", " s", ""),
    ("server_kib_per_idle_connection", "server RSS per idle connection", " KiB", "≤ 8 KiB"),
    ("server_cpu_cores_idle", "server CPU with them idle, nothing else (cores)", "", ""),
    ("pairings_per_second", "pairings/s (2 WSS connects + code + SPAKE2 + cards)", "",
     "≥ 1,000"),
    ("pair_concurrency", "pairing concurrency", "", "≥ 16"),
    ("pairing_server_cpu_cores", "server CPU while pairing (cores)", "", ""),
    ("pairing_generator_cpu_cores", "load generator CPU while pairing (cores)", "", ""),
    ("server_cpu_ms_per_pairing", "server CPU per pairing", " ms", ""),
    ("pairing_p50_ms", "pairing latency p50 (code typed → both paired)", " ms", ""),
    ("pairing_p99_ms", "pairing latency p99 (code typed → both paired)", " ms", ""),
    ("pairing_with_connects_p99_ms", "pairing p99 incl. both TLS connects", " ms", ""),
    ("relay_one_session_gbit_s", "relay throughput, one session", " Gbit/s", "≥ 2"),
    ("relay_server_cpu_cores", "server CPU while relaying one session (cores)", "", ""),
    ("relay_generator_cpu_cores", "generator CPU (both relay ends) meanwhile (cores)", "", ""),
    ("relay_rtt_p50_us", "64-byte round trip through the relay p50", " µs", ""),
    ("direct_tcp_rtt_p50_us", "64-byte round trip over loopback TCP p50", " µs", ""),
    ("relay_added_one_way_p50_us", "relay's added one-way latency p50", " µs", "≤ 100 µs"),
    ("relay_sessions_ready", "concurrent relay sessions", "", "100"),
    ("relay_many_sessions_gbit_s", "relay throughput, all sessions together", " Gbit/s", ""),
]


def render_capacity(c):
    lines = ["| metric | value | target |", "|---|---|---|"]
    for key, label, unit, target in CAPACITY_ROWS:
        lines.append(f"| {label} | {fmt(c.get(key), unit)} | {target} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

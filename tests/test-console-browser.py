#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The admin web console in headless Chromium, against a real remote-help-server.

Drives Debian's chromium through chromedriver with the W3C WebDriver HTTP protocol (urllib
only). The server's self-signed certificate is trusted for this browser only, by its SPKI
hash (--ignore-certificate-errors-spki-list); nothing in the product relaxes verification.
Screenshots go to $RH_TEST_BUILDDIR/screenshots/console-*.png.

Most session records are written into the server's SQLite file, to have a month of history;
one real session (headless give-help and get-help, the sharer's screen on its own Xvfb, relayed
through the server) runs while the browser watches the monitor page.
"""
import base64
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SERVER = os.environ.get("RH_SERVER_BIN", "remote-help-server")
CLIENT = os.environ.get("RH_CLIENT_BIN", "remote-help")
BUILDDIR = os.environ.get("RH_TEST_BUILDDIR", ".")
SHOTS = os.path.join(BUILDDIR, "screenshots")
ADMIN_PASSWORD = "root-password-1"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
DAY = 86400


def log(*args):
    print("#", *args, flush=True)


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def admin(data_dir, *args, stdin=None):
    result = subprocess.run([SERVER, "--data-dir", data_dir, "admin", *args], input=stdin,
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise Failure(f"admin {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def add_user(data_dir, tmp, login, name, password, is_admin=False):
    pw = os.path.join(tmp, "pw-" + login)
    with open(pw, "w") as f:
        f.write(password)
    admin(data_dir, "user", "add", login, "--display-name", name, "--job-title", "IT Support",
          "--company", "Example Corp", "--domain", "example.com", "--password-file", pw,
          *(["--admin"] if is_admin else []))


def spki_sha256(cert_path):
    """base64 SHA-256 of the certificate's SubjectPublicKeyInfo, as Chromium wants it."""
    pub = subprocess.run(["openssl", "x509", "-in", cert_path, "-pubkey", "-noout"],
                         capture_output=True, check=True, timeout=30).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub,
                         capture_output=True, check=True, timeout=30).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der,
                            capture_output=True, check=True, timeout=30).stdout
    return base64.b64encode(digest).decode()


def add_sessions(db_path):
    """Sessions on three days of the last month, one of them still active."""
    now = int(time.time())
    today = now - now % DAY
    rows = [
        ("helen", "sam", "laptop-7", "view", today - 3 * DAY + 3600, 300, "ended"),
        ("helen", "sam", "laptop-7", "control", today - 3 * DAY + 7200, 900, "ended"),
        ("helen", "zoe", "desk-12", "view", today - 1 * DAY + 600, 120, "peer-left"),
        ("bob", "sam", None, "view", today - 1 * DAY + 9000, 2400, "ended"),
        ("bob", "zoe", "desk-12", "control", today - 1 * DAY + 20000, 60, "denied"),
        ("helen", "sam", "laptop-7", "control", max(today, now - 90), None, None),
    ]
    db = sqlite3.connect(db_path, timeout=10)
    with db:
        for i, (helper, sharer, device, mode, start, duration, reason) in enumerate(rows):
            db.execute(
                "INSERT INTO sessions (pairing, helper_login, sharer_login, device, mode, started_at,"
                " ended_at, bytes_relayed, end_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ("%032x" % (i + 1), helper, sharer, device, mode, start,
                 start + duration if duration is not None else None, 1000000 * (i + 1), reason))
        # Administrator access in the second session (issue #6): the Elevation column.
        db.execute("UPDATE sessions SET elevation_used = 1, modes = 'control,elevation',"
                   " elevation_tools = '[{\"tool\":\"Terminal\",\"ok\":true}]',"
                   " elevation_end = 'sign-out: ok' WHERE pairing = ?", ("%032x" % 2,))
    db.close()
    return len(rows)


def parse_duration(text):
    """Seconds from the table's "1 h 2 min", "3 min 4 s" or "5 s"."""
    seconds = 0
    parts = text.replace("active", "").split()
    for value, unit in zip(parts[0::2], parts[1::2]):
        seconds += int(value) * {"h": 3600, "min": 60, "s": 1}[unit]
    return seconds


class RealSession:
    """A headless helper and sharer pairing through the server, the sharer's screen on Xvfb."""

    def __init__(self, tmp, data_dir, server_lines, procs):
        self.tmp = tmp
        self.procs = procs
        admin(data_dir, "group", "create", "Support team", "--member", "helen")
        admin(data_dir, "assignment", "create", "--role", "Help Desk Operator",
              "--helpers", "Support team", "--scope-all")
        conf = os.path.join(tmp, "remote-help.conf")
        with open(conf, "w") as f:
            f.write("[remote-help]\nserver=%s\nserver-fingerprint=%s\norg-key=%s\nacceptTerms=1\n"
                    % (server_lines["listening"], server_lines["tls-fingerprint"],
                       server_lines["org-key"]))
        run_dir = os.path.join(tmp, "run")
        os.makedirs(run_dir, mode=0o700, exist_ok=True)
        self.env = dict(os.environ, RH_SYSTEM_CONFIG=conf, XDG_CONFIG_HOME=os.path.join(tmp, "config"),
                        XDG_RUNTIME_DIR=run_dir)
        for login, password in (("helen", "helen-password"), ("sam", "sam-password")):
            with open(os.path.join(tmp, "pw-" + login), "w") as f:
                f.write(password)

    def start(self, seconds):
        read_fd, write_fd = os.pipe()
        xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "800x600x24",
                                 "-noreset", "-nolisten", "tcp"], pass_fds=(write_fd,),
                                stderr=subprocess.DEVNULL)
        self.procs.append(xvfb)
        os.close(write_fd)
        with os.fdopen(read_fd) as f:
            display = ":" + f.readline().strip()
        check(display != ":", "Xvfb did not start")
        self.helper = subprocess.Popen(
            [CLIENT, "give-help", "--headless", "--user", "helen", "--password-file",
             os.path.join(self.tmp, "pw-helen"), "--mode", "view", "--path", "relay",
             "--duration", str(seconds)],
            env=self.env, stdout=subprocess.PIPE, stderr=open(os.path.join(self.tmp, "helper.log"), "w"),
            text=True)
        self.procs.append(self.helper)
        code = None
        deadline = time.monotonic() + 30
        while code is None and time.monotonic() < deadline:
            line = self.helper.stdout.readline()
            if not line:
                break
            if line.startswith("code: "):
                code = line.split(" ", 1)[1].strip()
        check(code is not None, "the helper got no code")
        self.sharer = subprocess.Popen(
            [CLIENT, "get-help", "--headless", code, "--user", "sam", "--password-file",
             os.path.join(self.tmp, "pw-sam"), "--allow", "view", "--display", display,
             "--direct", "off"],
            env=self.env, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.tmp, "sharer.log"), "w"))
        self.procs.append(self.sharer)

    def finish(self):
        check(self.helper.wait(timeout=90) == 0, "the helper failed (see helper.log)")
        check(self.sharer.wait(timeout=30) == 0, "the sharer failed (see sharer.log)")


class WebDriver:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        self.session = None

    def call(self, method, path, body=None, timeout=60):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.load(r).get("value")
        except urllib.error.HTTPError as e:
            raise Failure(f"WebDriver {method} {path}: {e.code} {e.read()[:500]!r}")
        except (urllib.error.URLError, OSError) as e:
            raise Failure(f"WebDriver {method} {path}: {e}")

    def s(self, method, path, body=None):
        return self.call(method, f"/session/{self.session}{path}", body)

    def start(self, args):
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "acceptInsecureCerts": False,
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args},
        }}}
        value = self.call("POST", "/session", caps, timeout=120)
        self.session = value["sessionId"]

    def quit(self):
        if self.session:
            try:
                self.call("DELETE", f"/session/{self.session}", timeout=30)
            except Exception as e:  # the browser may be gone already
                log("closing the browser:", e)
            self.session = None

    def go(self, url):
        self.s("POST", "/url", {"url": url})

    def find(self, css):
        return self.s("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def find_all(self, css):
        return [e[ELEMENT] for e in self.s("POST", "/elements", {"using": "css selector", "value": css})]

    def click(self, css):
        self.s("POST", f"/element/{self.find(css)}/click", {})

    def type(self, css, text, clear=True):
        element = self.find(css)
        if clear:
            self.s("POST", f"/element/{element}/clear", {})
        self.s("POST", f"/element/{element}/value", {"text": text})

    def text(self, css):
        return self.s("GET", f"/element/{self.find(css)}/text")

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def js_async(self, script, *args):
        return self.s("POST", "/execute/async", {"script": script, "args": list(args)})

    def visible(self, css):
        return self.js("const e = document.querySelector(arguments[0]);"
                       "return !!e && e.getClientRects().length > 0;", css)

    def wait(self, what, fn, timeout=15):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = fn()
                if last:
                    return last
            except Failure as e:
                last = e
            time.sleep(0.1)
        raise Failure(f"timed out waiting for {what} (last: {last!r})")

    def wait_text(self, css, needle, timeout=15):
        return self.wait(f"“{needle}” in {css}",
                         lambda: needle in self.text(css) and self.text(css), timeout)

    def accept_alert(self):
        self.wait("a confirmation", lambda: self.s("GET", "/alert/text") is not None)
        self.s("POST", "/alert/accept", {})

    def screenshot(self, name):
        png = base64.b64decode(self.s("GET", "/screenshot"))
        path = os.path.join(SHOTS, f"console-{name}.png")
        with open(path, "wb") as f:
            f.write(png)
        log("screenshot", path)


def run(tmp, procs):
    """Starts the server and the browser (added to procs, which the caller stops) and browses."""
    data_dir = os.path.join(tmp, "data")
    admin(data_dir, "settings", "set", "remote-help-enabled", "true")
    add_user(data_dir, tmp, "root", "Ada Admin", ADMIN_PASSWORD, is_admin=True)
    add_user(data_dir, tmp, "helen", "Helen Helper", "helen-password")
    add_user(data_dir, tmp, "sam", "Sam Sharer", "sam-password")
    n_sessions = add_sessions(os.path.join(data_dir, "remote-help.db"))

    server = subprocess.Popen([SERVER, "--data-dir", data_dir, "--listen", "127.0.0.1:0"],
                              stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, "server.log"), "w"),
                              text=True)
    procs.append(server)
    lines = {}
    deadline = time.monotonic() + 15
    while "console" not in lines and time.monotonic() < deadline:
        line = server.stdout.readline()
        if not line:
            break
        key, _, value = line.partition(": ")
        lines[key] = value.strip()
    url = lines.get("console")
    check(url is not None, "the server did not print its console URL")
    log("console at", url)

    spki = spki_sha256(os.path.join(data_dir, "tls-cert.pem"))
    port = free_port()
    driver_log = open(os.path.join(tmp, "chromedriver.log"), "w")
    chromedriver = subprocess.Popen(["chromedriver", f"--port={port}"], stdout=driver_log,
                                    stderr=subprocess.STDOUT)
    procs.append(chromedriver)
    wd = WebDriver(port)
    wd.wait("chromedriver", lambda: wd.call("GET", "/status", timeout=5).get("ready"), 30)

    args = ["--headless=new", "--window-size=1280,960", "--disable-gpu",
            "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
            f"--user-data-dir={os.path.join(tmp, 'chromium')}",
            f"--ignore-certificate-errors-spki-list={spki}", "--lang=en-US"]
    if os.geteuid() == 0:
        # Chromium refuses to run its sandbox as root (CI containers); the browser is a
        # throw-away test instance that only loads our own pages on 127.0.0.1.
        args.append("--no-sandbox")
    wd.start(args)
    try:
        browse(wd, url, data_dir, n_sessions, RealSession(tmp, data_dir, lines, procs))
    finally:
        wd.quit()


def browse(wd, url, data_dir, n_sessions, real):
    # Sign-in page, and a refused sign-in.
    wd.go(url)
    wd.wait("the sign-in form", lambda: wd.visible("#sign-in-form"))
    wd.screenshot("01-sign-in")
    wd.click("#sign-in-button")
    wd.wait_text("#sign-in-error", "Enter your login")
    wd.type("#login", "root")
    wd.type("#password", "not-the-password")
    wd.click("#sign-in-button")
    wd.wait_text("#sign-in-error", "RH-6201")
    wd.screenshot("02-sign-in-refused")

    # A helper without the admin flag gets 403.
    wd.type("#login", "helen")
    wd.type("#password", "helen-password")
    wd.click("#sign-in-button")
    wd.wait_text("#sign-in-error", "RH-6203")

    wd.type("#login", "root")
    wd.type("#password", ADMIN_PASSWORD)
    wd.click("#sign-in-button")
    wd.wait("the monitor page", lambda: wd.visible("#page-monitor"))
    check(not wd.visible("#page-sign-in"), "the sign-in form is still shown")
    check("Ada Admin" in wd.text("#who-name"), "the signed-in name is not shown")
    # The session cookie is HttpOnly: the page cannot read it.
    check("rh-console" not in wd.js("return document.cookie;"), "the session cookie is readable")

    # Monitor: one active session, five in the last 30 days, a 30-bar chart.
    wd.wait_text("#stat-active", "1")
    wd.wait("the chart", lambda: len(wd.find_all("#chart rect.bar")) == 30)
    check(wd.text("#stat-total") == str(n_sessions), f"sessions total {wd.text('#stat-total')!r}")
    check(wd.text("#stat-average") != "–", "no average duration")
    counts = wd.js("return [...document.querySelectorAll('#chart rect.bar')]"
                   ".map(b => [Number(b.dataset.count), b.getBBox().height]);")
    check(sum(c for c, _ in counts) == n_sessions, f"chart counts {counts}")
    check(counts[-4][0] == 2 and counts[-2][0] == 3 and counts[-1][0] == 1, f"chart days {counts[-5:]}")
    check(counts[-2][1] > counts[-4][1] > counts[-1][1] > 0 and counts[0][1] == 0,
          f"bar heights do not follow the counts: {counts[-5:]}")
    wd.screenshot("03-monitor")

    # The monitor follows the server: a session that starts now shows up without a reload.
    db = sqlite3.connect(os.path.join(data_dir, "remote-help.db"), timeout=10)
    with db:
        db.execute("INSERT INTO sessions (pairing, helper_login, sharer_login, device, mode,"
                   " started_at) VALUES ('%032x', 'bob', 'sam', 'kiosk-1', 'view', ?)" % 99,
                   (int(time.time()),))
    db.close()
    wd.wait("the new session on the monitor", lambda: wd.text("#stat-active") == "2", 25)
    n_sessions += 1

    # A real session: it is active on the monitor while it runs, and recorded once it ends.
    real.start(seconds=25)
    wd.wait("the real session on the monitor", lambda: wd.text("#stat-active") == "3", 40)
    n_sessions += 1
    check(wd.text("#stat-total") == str(n_sessions), "the real session is not counted")
    wd.screenshot("03b-monitor-live")
    real.finish()
    wd.wait("the real session's end on the monitor", lambda: wd.text("#stat-active") == "2", 25)

    # Sessions: all rows, search, sort, CSV export.
    wd.click('#nav a[data-page="sessions"]')
    wd.wait("the sessions table", lambda: len(wd.find_all("#sessions-table tbody tr")) == n_sessions)
    first = wd.text("#sessions-table tbody tr:first-child")
    check("helen" in first and "sam" in first and "active" not in first,
          f"the newest session first is the real one, ended: {first!r}")
    elevation = wd.js("return [...document.querySelectorAll('#sessions-table tbody tr')]"
                      ".map(r => r.cells[r.cells.length - 1].textContent);")
    check(sorted(elevation) == sorted(["Terminal · sign-out ok"] + ["—"] * (n_sessions - 1)),
          f"the Elevation column {elevation}")
    wd.click('#sessions-table th[data-sort="duration"]')
    wd.wait("sorting by duration",
            lambda: "sorted-asc" in wd.js("return document.querySelector('th[data-sort=duration]').className"))
    def durations():
        return [parse_duration(t) for t in wd.js(
            "return [...document.querySelectorAll('#sessions-table tbody tr')]"
            ".map(r => r.cells[5].textContent);")]
    # The header is marked only when the sorted rows are in, so the order holds at once.
    shown = durations()
    check(shown == sorted(shown) and len(shown) == n_sessions, f"durations {shown}")
    wd.click('#sessions-table th[data-sort="duration"]')
    wd.wait("sorting by duration, longest first",
            lambda: "sorted-desc" in wd.js("return document.querySelector('th[data-sort=duration]').className"))
    wd.wait("the longest first", lambda: "40 min 0 s" in wd.text("#sessions-table tbody tr:first-child"))
    wd.screenshot("04-sessions")
    wd.type("#sessions-search", "DESK-12")
    wd.wait("the search", lambda: len(wd.find_all("#sessions-table tbody tr")) == 2)
    wd.screenshot("04b-sessions-search")
    csv = wd.js_async("const done = arguments[arguments.length - 1];"
                      "fetch(document.getElementById('sessions-csv').href)"
                      ".then(r => r.text().then(t => done([r.status, r.headers.get('content-type'), t])));")
    check(csv[0] == 200 and csv[1].startswith("text/csv"), f"CSV export answered {csv[:2]}")
    lines = csv[2].strip().split("\r\n")
    check(lines[0].startswith("id,helper,sharer,device"), f"CSV header {lines[0]!r}")
    check(len(lines) == 3 and all("desk-12" in l for l in lines[1:]), f"CSV rows {lines}")
    wd.type("#sessions-search", "")
    wd.js("document.getElementById('sessions-search').dispatchEvent(new Event('input'));")

    # Settings: toggle one, see it stored; a refused value shows the server's message.
    wd.click('#nav a[data-page="settings"]')
    wd.wait("the settings", lambda: wd.js("return document.getElementById('setting-remote-help-enabled').checked;"))
    check(not wd.js("return document.getElementById('setting-chat-disabled').checked;"),
          "chat-disabled should start off")
    wd.click("#setting-chat-disabled")
    wd.wait_text("#settings-status", "Saved: Disable chat is now on")
    stored = admin(data_dir, "settings", "get", "chat-disabled").strip()
    check(stored == "true", f"chat-disabled stored as {stored!r}")
    check(wd.js("return document.getElementById('setting-audit-retention-days').value;") == "30",
          "retention default not shown")
    wd.type("#setting-audit-retention-days", "0")
    wd.click("#retention-submit")
    wd.wait_text("#retention-error", "RH-6002")
    wd.screenshot("05-settings")
    check(admin(data_dir, "settings", "get", "audit-retention-days").strip() == "30",
          "a refused retention value was stored")
    wd.type("#setting-audit-retention-days", "45")
    wd.click("#retention-submit")
    wd.wait_text("#retention-status", "Saved")
    check(admin(data_dir, "settings", "get", "audit-retention-days").strip() == "45",
          "the retention value was not stored")

    # Roles: a validation message, then a role.
    wd.click('#nav a[data-page="roles"]')
    wd.wait("the roles table", lambda: "Help Desk Operator" in wd.text("#roles-table"))
    wd.type("#role-name", "Viewers ")
    wd.click('#role-form input[value="view-screen"]')
    wd.click("#role-submit")
    wd.wait_text("#role-error", "RH-6106")
    wd.screenshot("06-role-refused")
    wd.type("#role-name", "Viewers")
    wd.type("#role-description", "Look, but do not touch")
    wd.click("#role-submit")
    wd.wait_text("#role-status", "Created role “Viewers”")
    wd.wait("the new role", lambda: "Viewers" in wd.text("#roles-table"))
    # Edit it: add full control.
    wd.js("[...document.querySelectorAll('#roles-table tbody tr')]"
          ".find(r => r.cells[0].textContent === 'Viewers').querySelector('button.secondary').click();")
    wd.wait("the edit form", lambda: wd.text("#role-submit") == "Save changes")
    check(wd.js("return document.getElementById('role-name').value;") == "Viewers", "edit form not filled")
    wd.click('#role-form input[value="take-full-control"]')
    wd.click("#role-submit")
    wd.wait_text("#role-status", "Saved role “Viewers”")
    wd.wait("the edited role", lambda: "take-full-control" in
            wd.js("return [...document.querySelectorAll('#roles-table tbody tr')]"
                  ".find(r => r.cells[0].textContent === 'Viewers').cells[2].textContent;"))
    wd.screenshot("07-roles")

    # Groups: one with helen.
    wd.click('#nav a[data-page="groups"]')
    wd.wait("the member list", lambda: len(wd.find_all('#group-members input')) == 3)
    wd.type("#group-name", "Helpdesk")
    wd.click('#group-members input[value="helen"]')
    wd.click("#group-submit")
    wd.wait_text("#group-status", "Created group “Helpdesk”")
    wd.wait("the new group", lambda: "Helen" in wd.text("#groups-table") or "helen" in wd.text("#groups-table"))
    wd.screenshot("08-groups")

    # Assignments: Viewers for Helpdesk, scoped to the Helpdesk group; then edit to all users.
    wd.click('#nav a[data-page="assignments"]')
    wd.wait("the role choices", lambda: "Viewers" in wd.text("#assignment-role"))
    wd.js("document.getElementById('assignment-role').value = 'Viewers';"
          "document.getElementById('assignment-helpers').value = 'Helpdesk';")
    wd.click("#scope-groups")
    wd.click("#assignment-submit")
    wd.wait_text("#assignment-error", "RH-6110")
    wd.click('#assignment-scope-groups input[value="Helpdesk"]')
    wd.click("#assignment-submit")
    wd.wait_text("#assignment-status", "Assigned “Viewers” to “Helpdesk”")
    wd.wait("the new assignment", lambda: "Viewers" in wd.text("#assignments-table"))
    wd.screenshot("09-assignments")
    listed = admin(data_dir, "assignment", "list")
    check("Viewers" in listed and "Helpdesk" in listed, f"CLI does not list it: {listed!r}")

    # Deleting a role still in use is refused with a message.
    wd.click('#nav a[data-page="roles"]')
    wd.wait("the roles table", lambda: "Viewers" in wd.text("#roles-table"))
    wd.js("[...document.querySelectorAll('#roles-table tbody tr')]"
          ".find(r => r.cells[0].textContent === 'Viewers').querySelector('button.danger').click();")
    wd.accept_alert()
    wd.wait_text("#role-error", "RH-6109")

    # A state-changing request without the CSRF token is refused, even from the page itself.
    refused = wd.js_async("const done = arguments[arguments.length - 1];"
                          "fetch('/api/settings/chat-disabled', {method: 'PUT', credentials: 'same-origin',"
                          " headers: {'Content-Type': 'application/json'}, body: '{\"value\": false}'})"
                          ".then(r => r.json().then(j => done([r.status, j.error.code])));")
    check(refused == [403, "RH-6204"], f"CSRF-less PUT answered {refused}")
    check(admin(data_dir, "settings", "get", "chat-disabled").strip() == "true",
          "the CSRF-less change was stored")

    # Audit: every change is there.
    wd.click('#nav a[data-page="audit"]')
    wd.wait("the audit table", lambda: "setting.changed" in wd.text("#audit-table"))
    audit = wd.text("#audit-table")
    for action in ("role.created", "group.created", "assignment.created", "console.signed-in"):
        check(action in audit, f"{action} missing from the audit page")
    wd.screenshot("10-audit")

    # Signing out shows the sign-in form and the old session is gone.
    wd.click("#sign-out")
    wd.wait("the sign-in form again", lambda: wd.visible("#sign-in-form"))
    after = wd.js_async("const done = arguments[arguments.length - 1];"
                        "fetch('/api/me').then(r => done(r.status));")
    check(after == 401, f"after signing out /api/me answered {after}")


def stop(proc, name):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log(name, "did not stop; killing it")
            proc.kill()
            proc.wait(timeout=10)


def main():
    for tool in ("chromium", "chromedriver", "openssl", "Xvfb"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: run scripts/deps.sh (it installs chromium and chromium-driver)",
                  file=sys.stderr)
            return 1
    os.makedirs(SHOTS, exist_ok=True)
    # A hung browser must fail the test, not stall CI.
    signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(Failure("the test took over 280 s")))
    signal.alarm(280)
    tmp = tempfile.mkdtemp(prefix="rh-console-web-")
    procs = []
    status = 0
    try:
        run(tmp, procs)
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        for name in ("server.log", "chromedriver.log"):
            path = os.path.join(tmp, name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    sys.stderr.write(f"--- {name} (last lines)\n" + "".join(f.readlines()[-30:]))
        status = 1
    finally:
        signal.alarm(0)
        for proc in reversed(procs):
            stop(proc, proc.args[0])
        if procs and procs[0].returncode not in (0, None):
            print(f"the server exited with {procs[0].returncode}", file=sys.stderr)
            status = 1
        shutil.rmtree(tmp, ignore_errors=True)
    if status == 0:
        print("ok: the console works in headless Chromium")
    return status


if __name__ == "__main__":
    sys.exit(main())

"""Opens a page in headless Chromium over the DevTools pipe: errors, broken images, layout, screenshot.

Standard library only: the DevTools protocol runs over ``--remote-debugging-pipe`` (file
descriptors 3 and 4, messages separated by NUL bytes), so no websocket client is needed.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",  # we run as root in a container, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)
#: Schemes a self-contained page may load; anything else is a request to the network.
LOCAL_SCHEMES = ("data:", "file:", "about:", "chrome:", "devtools:")
_IMAGES_JS = (
    "JSON.stringify(Array.from(document.images).map(i => "
    "({alt: i.alt, ok: i.complete && i.naturalWidth > 0, scheme: i.src.slice(0, 11)})))"
)

#: How the page sits in the window: the document's width (wider than the window = sideways
#: scrolling), navigation links broken across lines, and boxes (wide tables) scrolling inside.
_LAYOUT_JS = """JSON.stringify({
  width: document.documentElement.scrollWidth,
  brokenNav: Array.from(document.querySelectorAll('nav a'))
    .filter(a => a.getClientRects().length > 1).map(a => a.textContent),
  scrollingBoxes: Array.from(document.querySelectorAll('.scroll'))
    .filter(e => e.scrollWidth > e.clientWidth + 1)
    .map(e => (e.closest('section') || document.body).id + ' ' + e.scrollWidth + 'px in '
      + e.clientWidth + 'px')
})"""


class BrowserError(Exception):
    """Chromium could not be started or did not answer."""


@dataclass
class PageCheck:
    """What a real browser saw when it opened the page."""

    url: str
    images: int = 0
    broken_images: list = field(default_factory=list)
    console_errors: list = field(default_factory=list)
    network_requests: list = field(default_factory=list)
    screenshot: Path | None = None
    content_size: tuple = (0, 0)
    #: ``document.documentElement.scrollWidth`` in CSS pixels: more than the window scrolls sideways.
    document_width: int = 0
    broken_nav: list = field(default_factory=list)
    scrolling_boxes: list = field(default_factory=list)

    @property
    def problems(self) -> list:
        out = ["console: " + e for e in self.console_errors]
        out += ["broken image: " + b for b in self.broken_images]
        out += ["network request: " + r for r in self.network_requests]
        return out


def find_chromium() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _high_fd(fd: int) -> int:
    """The same pipe end at a descriptor >= 10 (close-on-exec), the original closed."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class _Process:
    """The spawned browser: poll, wait with a timeout, kill."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("chromium", timeout)
            time.sleep(0.05)

    def kill(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.returncode = -signal.SIGKILL


class _Pipe:
    """One DevTools session over the pipe: send commands, collect events, wait for answers."""

    def __init__(self, proc, write_fd: int, read_fd: int):
        self.proc = proc
        self.write_fd = write_fd
        self.read_fd = read_fd
        self.buffer = b""
        self.next_id = 0
        self.events: list = []
        self.session: str | None = None

    def send(
        self, method: str, params: dict | None = None, timeout: float = 30.0, session: bool = True
    ) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.write_fd, json.dumps(msg).encode() + b"\0")
        want = self.next_id
        deadline = time.monotonic() + timeout
        while True:
            for m in self._read(deadline):
                if m.get("id") == want:
                    if "error" in m:
                        raise BrowserError("%s failed: %s" % (method, m["error"].get("message")))
                    return m.get("result", {})
                self.events.append(m)

    def wait_event(self, method: str, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        while True:
            found = None
            for m in self._read(deadline):
                if found is None and m.get("method") == method:
                    found = m
                else:
                    self.events.append(m)
            if found is not None:
                return found

    def drain(self, seconds: float) -> None:
        """Collect events for a moment (late console messages)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.extend(self._read(deadline))
        except BrowserError:
            pass

    def _read(self, deadline: float) -> list:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BrowserError("Chromium did not answer in time")
        ready, _, _ = select.select([self.read_fd], [], [], remaining)
        if not ready:
            raise BrowserError("Chromium did not answer in time")
        chunk = os.read(self.read_fd, 1 << 20)
        if not chunk:
            raise BrowserError("Chromium closed the DevTools pipe (exit code %s)" % self.proc.poll())
        self.buffer += chunk
        *complete, self.buffer = self.buffer.split(b"\0")
        return [json.loads(m) for m in complete if m]


def check_page(
    page: Path,
    screenshot: Path | None = None,
    width: int = 1280,
    timeout: float = 60.0,
    chromium: str | None = None,
) -> PageCheck:
    """Open ``page`` in headless Chromium in a ``width``-pixel window; report console errors, broken
    images, network requests, the layout (_LAYOUT_JS), and save a full-page PNG screenshot to
    ``screenshot`` when given."""
    exe = chromium or find_chromium()
    if exe is None:
        raise BrowserError(
            "Chromium not found (tried %s); install it: apt-get install -y chromium" % ", ".join(CANDIDATES)
        )
    url = Path(page).resolve().as_uri()
    # Chromium reads commands on fd 3 and writes answers on fd 4. posix_spawn places the pipe
    # ends there in the child (no preexec_fn, unsafe once numpy has started threads); they are
    # first moved to fds >= 10 so that placing one cannot overwrite the other.
    cmd_r, cmd_w, resp_r, resp_w = (_high_fd(fd) for fd in (*os.pipe(), *os.pipe()))
    result = PageCheck(url=url)
    with tempfile.TemporaryDirectory(prefix="gilbench-chromium-") as profile:
        log = open(os.path.join(profile, "stderr.log"), "w+b")
        args = [exe, *FLAGS, "--user-data-dir=" + profile, "--window-size=%d,1000" % width, "about:blank"]
        proc = _Process(
            os.posix_spawn(
                exe,
                args,
                os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_DUP2, log.fileno(), 1),
                    (os.POSIX_SPAWN_DUP2, log.fileno(), 2),
                    (os.POSIX_SPAWN_DUP2, cmd_r, 3),
                    (os.POSIX_SPAWN_DUP2, resp_w, 4),
                ],
            )
        )
        os.close(cmd_r)
        os.close(resp_w)
        pipe = _Pipe(proc, cmd_w, resp_r)
        try:
            target = pipe.send("Target.createTarget", {"url": "about:blank"}, timeout)["targetId"]
            pipe.session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True}, timeout)[
                "sessionId"
            ]
            for domain in ("Page", "Runtime", "Log", "Network"):
                pipe.send(domain + ".enable", timeout=timeout)
            pipe.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
                timeout,
            )
            pipe.send("Page.navigate", {"url": url}, timeout)
            pipe.wait_event("Page.loadEventFired", timeout)
            images = json.loads(
                pipe.send("Runtime.evaluate", {"expression": _IMAGES_JS, "returnByValue": True}, timeout)[
                    "result"
                ]["value"]
            )
            result.images = len(images)
            result.broken_images = ["%s (%s…)" % (i["alt"], i["scheme"]) for i in images if not i["ok"]]
            layout = json.loads(
                pipe.send("Runtime.evaluate", {"expression": _LAYOUT_JS, "returnByValue": True}, timeout)[
                    "result"
                ]["value"]
            )
            result.document_width = int(layout["width"])
            result.broken_nav = layout["brokenNav"]
            result.scrolling_boxes = layout["scrollingBoxes"]
            metrics = pipe.send("Page.getLayoutMetrics", timeout=timeout)
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            result.content_size = (int(size["width"]), int(size["height"]))
            if screenshot is not None:
                shot = pipe.send(
                    "Page.captureScreenshot",
                    {
                        "format": "png",
                        "captureBeyondViewport": True,
                        "clip": {
                            "x": 0,
                            "y": 0,
                            "width": size["width"],
                            "height": size["height"],
                            "scale": 1,
                        },
                    },
                    timeout,
                )
                screenshot = Path(screenshot)
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                screenshot.write_bytes(base64.b64decode(shot["data"]))
                result.screenshot = screenshot
            pipe.drain(0.3)
            _collect(pipe.events, result)
            try:
                pipe.send("Browser.close", timeout=10, session=False)
            except BrowserError:
                pass
        except BrowserError as exc:
            log.seek(0)
            tail = log.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            raise BrowserError("%s; Chromium said: %s" % (exc, " | ".join(tail))) from None
        finally:
            os.close(cmd_w)
            os.close(resp_r)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()
    return result


def _collect(events: list, result: PageCheck) -> None:
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            result.console_errors.append(text)
        elif method == "Runtime.exceptionThrown":
            details = p.get("exceptionDetails", {})
            result.console_errors.append(
                details.get("exception", {}).get("description") or details.get("text", "exception")
            )
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            entry = p["entry"]
            result.console_errors.append("%s (%s)" % (entry.get("text"), entry.get("url", "")))
        elif method == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            if not url.startswith(LOCAL_SCHEMES):
                result.network_requests.append(url)
        elif method == "Network.loadingFailed":
            result.console_errors.append("failed to load %s: %s" % (p.get("requestId"), p.get("errorText")))

"""Headless Chromium driven over the DevTools protocol through a pipe, with only the stdlib.

`--remote-debugging-pipe` makes Chromium read commands from fd 3 and write
replies and events to fd 4, each a JSON text ending in NUL. The process is
spawned with os.posix_spawn so those two descriptors land exactly there.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # tests run as root in CI containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--hide-scrollbars",
    # Any name resolves to nothing: a page that tried to load something would fail, never leak.
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def chromium_path() -> str:
    """The browser, or skip (fail when REQTRACE_REQUIRE_BROWSER=1, as CI sets)."""
    found = shutil.which("chromium") or (os.path.exists("/usr/bin/chromium") and "/usr/bin/chromium") or None
    if found:
        return found
    message = "headless Chromium is not installed (Debian: apt-get install chromium); the browser tests need it"
    if os.environ.get("REQTRACE_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " — REQTRACE_REQUIRE_BROWSER=1 makes this a failure")
    pytest.skip(message)


class Browser:
    def __init__(self, window: tuple[int, int] = (1280, 1600)) -> None:
        self.profile = tempfile.mkdtemp(prefix="reqtrace-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        actions = [
            (os.POSIX_SPAWN_DUP2, to_browser_r, 3),
            (os.POSIX_SPAWN_DUP2, from_browser_w, 4),
        ]
        devnull = os.open(os.devnull, os.O_RDWR)
        actions += [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
        argv = [chromium_path(), *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", f"--window-size={window[0]},{window[1]}", "--remote-debugging-pipe", "about:blank"]
        self.pid = os.posix_spawn(argv[0], argv, dict(os.environ), file_actions=actions)
        for fd in (to_browser_r, from_browser_w, devnull):
            os.close(fd)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    # -- protocol -----------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe (did it crash?)")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def send(self, method: str, params: dict[str, Any] | None = None, *, session: bool = True, timeout: float = 30) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    # -- what the tests use ----------------------------------------------------------

    def open(self, url: str) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        for domain in ("Network.enable", "Page.enable", "Log.enable", "Runtime.enable"):
            self.send(domain)
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")
        self.settle()

    def settle(self, quiet: float = 0.5) -> None:
        """Collect events until the page has been quiet for `quiet` seconds."""
        while True:
            try:
                self.events.append(self._read_message(time.monotonic() + quiet))
            except TimeoutError:
                return

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return result["result"].get("value")

    def requested_urls(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def console_messages(self) -> list[str]:
        return [e["params"]["entry"]["text"] for e in self.events if e.get("method") == "Log.entryAdded"]

    def screenshot(self, path: Path, width: int = 1280, height: int = 1600) -> Path:
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        data = self.send("Page.captureScreenshot", {"format": "png", "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def print_pdf(self) -> bytes:
        data = self.send("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True}, timeout=60)["data"]
        return base64.b64decode(data)

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False, timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.05)
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    # python tests/browser.py PAGE.html OUT.png [WIDTH HEIGHT] — how docs/pack-screenshot.png is made:
    #   reqtrace demo /tmp/demo && cd /tmp/demo && reqtrace pack build contract-v1.0 -o /tmp/pack.zip --html-dir /tmp/html
    #   python tests/browser.py /tmp/html/index.html docs/pack-screenshot.png
    import sys

    page, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    width, height = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (1280, 1600)
    with Browser(window=(width, height)) as browser:
        browser.open(page.as_uri())
        browser.screenshot(out, width, height)
    print(f"wrote {out}")

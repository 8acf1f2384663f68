"""Headless Chromium driven over the Chrome DevTools Protocol, recording every request a page makes.

The offline views (run report, Data Docs) are proven in the browser analysts use, not by reading
HTML: Debian's `chromium` runs headless with a fresh profile and no background services, and each
page records the URL of every request it makes (`Network.requestWillBeSent`, which fires before
any DNS lookup, so a page that tries a CDN is caught even though the host rules below make the
attempt fail). A small synchronous client over `websockets` is enough: one browser connection,
one flattened session per page.
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from infra.errors import ServiceError

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
    # Nothing resolves but loopback: a page that reaches out fails rather than leaks.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:", "http://127.0.0.1", "http://localhost")


class BrowserError(ServiceError):
    """Chromium is missing, did not start, or a DevTools command failed."""


def find_chromium() -> str:
    """The Chromium binary (Debian installs it as /usr/bin/chromium)."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise BrowserError(
        "chromium is not installed: `apt-get install -y chromium` (Debian), as .ci/run does"
    )


class Page:
    """One tab: navigate, evaluate, screenshot; `requests` lists every URL it asked for."""

    def __init__(self, browser: Chromium, session_id: str) -> None:
        self._browser = browser
        self.session_id = session_id
        self.requests: list[str] = []
        self.console_errors: list[str] = []

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._browser.send(method, params, session_id=self.session_id)

    def goto(self, url: str, timeout: float = 60.0) -> None:
        """Open `url` and wait for its load event."""
        self._browser.events.clear()
        self.send("Page.navigate", {"url": url})
        self._browser.wait_event("Page.loadEventFired", self.session_id, timeout)

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression (promises awaited)."""
        out = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in out:
            raise BrowserError(f"{expression[:80]!r} threw: {out['exceptionDetails']}")
        return out["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60.0) -> Any:
        """Poll a JavaScript expression until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.25)
        raise BrowserError(f"{expression!r} still false after {timeout:.0f} s")

    def screenshot(self, path: Path, selector: str | None = None) -> Path:
        """A PNG of the viewport, or of the element `selector` (scrolled into view)."""
        params: dict[str, Any] = {"format": "png"}
        if selector is not None:
            box = self.evaluate(
                f"(() => {{const e = document.querySelector({json.dumps(selector)});"
                "e.scrollIntoView({block: 'start'}); const r = e.getBoundingClientRect();"
                "return {x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height};})()"
            )
            params["clip"] = {**box, "scale": 1}
            params["captureBeyondViewport"] = True
        data = self.send("Page.captureScreenshot", params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def remote_requests(self) -> list[str]:
        """Requests that would leave the machine (anything but file:, data:, loopback…)."""
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]


class Chromium:
    """A headless Chromium process and its DevTools connection (use as a context manager)."""

    def __init__(self, binary: str | None = None) -> None:
        self.binary = binary or find_chromium()
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._pages: dict[str, Page] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._profile = Path(tempfile.mkdtemp(prefix="interlink-chromium-"))
        self._ws: Any = None

    def __enter__(self) -> Chromium:
        from websockets.sync.client import connect

        self._proc = subprocess.Popen(
            [self.binary, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = self._profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not port_file.exists() or len(port_file.read_text().split()) < 2:
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise BrowserError(f"{self.binary} did not open its DevTools port")
            time.sleep(0.1)
        port, path = port_file.read_text().split()[:2]
        self._ws = connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._ws is not None:
            self._ws.close()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        shutil.rmtree(self._profile, ignore_errors=True)

    def _dispatch(self, message: dict[str, Any]) -> None:
        page = self._pages.get(message.get("sessionId", ""))
        method = message.get("method")
        if page is not None and method == "Network.requestWillBeSent":
            page.requests.append(message["params"]["request"]["url"])
        elif page is not None and method == "Runtime.exceptionThrown":
            page.console_errors.append(json.dumps(message["params"]["exceptionDetails"])[:500])
        self.events.append(message)

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, session_id: str | None = None
    ) -> dict[str, Any]:
        """Send one command and return its result (events meanwhile are recorded)."""
        ident = next(self._ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        self._ws.send(json.dumps(message))
        while True:
            reply = json.loads(self._ws.recv(timeout=120))
            if reply.get("id") == ident:
                if "error" in reply:
                    raise BrowserError(f"{method} failed: {reply['error']}")
                return dict(reply.get("result", {}))
            self._dispatch(reply)

    def wait_event(self, method: str, session_id: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events:
                if e.get("method") == method and e.get("sessionId") == session_id:
                    return e
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"no {method} within {timeout:.0f} s")
            try:
                self._dispatch(json.loads(self._ws.recv(timeout=left)))
            except TimeoutError:
                continue

    def new_page(self, width: int = 1400, height: int = 900) -> Page:
        """A fresh tab recording its requests, with a fixed viewport."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, session)
        self._pages[session] = page
        for method in ("Page.enable", "Network.enable", "Runtime.enable"):
            page.send(method)
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        return page

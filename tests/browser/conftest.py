"""Real-browser tests: a Streamlit server of the app and Debian's Chromium driven by Playwright.

Fixtures
    streamlit_server(database_url, *, extra_env=None, app="app.py", cwd=None) -> base URL
        starts `streamlit run` on a free port with DATABASE_URL set, waits for
        /_stcore/health, stops it at teardown (its log is printed when the test failed).
    browser      session-wide headless Chromium (/usr/bin/chromium; Playwright's own
                 browser download is not available here).
    page         an AppPage: a Playwright page in a fresh zh-CN context that records every
                 request, console error and failed load; `page.open_app(base_url)`,
                 `page.wait_for_app()`, `page.screenshot_to(name)`,
                 `page.assert_no_external_requests(allow_tile_hosts=True)`; any other
                 attribute is the Playwright Page's (`page.locator(...)`, ...).

Under CI=true a missing Chromium or Playwright fails the run; elsewhere the tests skip.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = PROJECT_ROOT / "test-artifacts"
SCREENSHOT_DIR = ARTIFACTS_DIR / "screenshots"
IN_CI = os.environ.get("CI", "").lower() == "true"

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# As root, with no internet: no sandbox, and none of Chromium's own calls home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1600, "height": 1000}

SERVER_START_TIMEOUT_S = 60
APP_READY_TIMEOUT_MS = 60_000
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
# Basemap tile servers (settings.BASEMAP): allowed only when a test says so.
TILE_HOSTS = ("tile.openstreetmap.org", "tianditu.gov.cn", "is.autonavi.com", "webapi.amap.com")

_REPORTS = pytest.StashKey[dict]()


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    reports = request.node.stash.get(_REPORTS, {})
    return any(r.failed for r in reports.values())


def _unavailable(reason: str) -> None:
    """Fail under CI (nothing may be skipped there), skip elsewhere."""
    if IN_CI:
        pytest.fail(f"CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:150] or "unnamed"


# --------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StreamlitServer:
    process: subprocess.Popen
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=10)


def _wait_healthy(server: StreamlitServer, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {server.process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.base_url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"streamlit not healthy after {timeout_s:.0f} s:\n{server.log()}")


def start_streamlit(
    database_url: str,
    log_path: Path,
    *,
    extra_env: Mapping[str, str] | None = None,
    app: str | os.PathLike = "app.py",
    cwd: str | os.PathLike = PROJECT_ROOT,
    timeout_s: float = SERVER_START_TIMEOUT_S,
) -> StreamlitServer:
    """`streamlit run app` on a free port with DATABASE_URL set and the project root on
    PYTHONPATH, logging to `log_path`; waits up to `timeout_s` for /_stcore/health (0: not at all)."""
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra_env or {})
    port = _free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so teardown stops all of it
        )
    server = StreamlitServer(process, f"http://127.0.0.1:{port}", log_path)
    if timeout_s:
        try:
            _wait_healthy(server, timeout_s)
        except RuntimeError:
            server.stop()
            raise
    return server


@pytest.fixture
def streamlit_server(request, tmp_path_factory) -> Iterator[Callable[..., str]]:
    """Factory: `streamlit_server(database_url, *, extra_env=None, app="app.py", cwd=None)` -> base URL.

    `app` is relative to `cwd` (default: the project root, whose .streamlit/config.toml and
    static/ the server then uses). The project root is on PYTHONPATH.
    """
    servers: list[StreamlitServer] = []

    def start(
        database_url: str,
        *,
        extra_env: Mapping[str, str] | None = None,
        app: str | os.PathLike = "app.py",
        cwd: str | os.PathLike | None = None,
        timeout_s: float = SERVER_START_TIMEOUT_S,
    ) -> str:
        workdir = Path(cwd) if cwd is not None else PROJECT_ROOT
        if not (workdir / app).is_file():
            pytest.fail(f"no Streamlit app at {workdir / app}", pytrace=False)
        server = start_streamlit(database_url, tmp_path_factory.mktemp("streamlit") / "server.log",
                                 extra_env=extra_env, app=app, cwd=workdir, timeout_s=0)
        servers.append(server)
        try:
            _wait_healthy(server, timeout_s)
        except RuntimeError as error:
            pytest.fail(str(error), pytrace=False)
        return server.base_url

    yield start

    failed = _failed(request)
    for server in servers:
        server.stop()
        if failed:
            log_copy = ARTIFACTS_DIR / "logs" / f"{_safe_name(request.node.nodeid)}.log"
            log_copy.parent.mkdir(parents=True, exist_ok=True)
            log_copy.write_text(server.log(), encoding="utf-8")
            sys.stderr.write(f"\n----- streamlit server log ({server.base_url}) -----\n{server.log()}\n")


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """The Playwright driver (sync API); fails under CI, skips elsewhere, when unavailable."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -r requirements-test.txt)")
    if not os.access(CHROMIUM_PATH, os.X_OK):
        _unavailable(f"{CHROMIUM_PATH} missing (apt-get install chromium chromium-driver fonts-noto-cjk)")
    driver = sync_playwright().start()
    yield driver
    driver.stop()


def launch_chromium(playwright, *, env: Mapping[str, str] | None = None):
    """A headless Debian Chromium; `env` replaces its environment (e.g. FONTCONFIG_FILE)."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM_PATH,
        headless=True,
        args=CHROMIUM_ARGS,
        env=dict(env) if env is not None else None,
    )


@pytest.fixture(scope="session")
def browser(playwright) -> Iterator[Any]:
    chromium = launch_chromium(playwright)
    yield chromium
    chromium.close()


def _is_tile_host(host: str) -> bool:
    return any(host == tile or host.endswith("." + tile) for tile in TILE_HOSTS)


def external_requests(urls: list[str], *, allow_tile_hosts: bool = True) -> list[str]:
    """The URLs in `urls` that left this machine (data:, blob: and about: never do)."""
    found = []
    for url in urls:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme in ("data", "blob", "about", "chrome-extension") or not host:
            continue
        if host in LOCAL_HOSTS or (allow_tile_hosts and _is_tile_host(host)):
            continue
        found.append(url)
    return found


@dataclass
class AppPage:
    """A Playwright Page plus what it loaded; unknown attributes go to the Page."""

    pw: Any
    requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pw, name)

    def open_app(self, base_url: str, path: str = "", *, wait: bool = True) -> AppPage:
        """Go to base_url + path and, unless wait=False, wait until the script has run."""
        self.pw.goto(base_url.rstrip("/") + "/" + path.lstrip("/"))
        if wait:
            self.wait_for_app()
        return self

    def wait_for_app(self, timeout_ms: float = APP_READY_TIMEOUT_MS) -> None:
        wait_for_app(self, timeout_ms)

    def screenshot_to(self, name: str, *, full_page: bool = True) -> Path | None:
        return screenshot(self, name, full_page=full_page)

    def external_requests(self, *, allow_tile_hosts: bool = True) -> list[str]:
        return external_requests(self.requests, allow_tile_hosts=allow_tile_hosts)

    def assert_no_external_requests(self, *, allow_tile_hosts: bool = True) -> None:
        """Fail if any request went to a host other than localhost (tile hosts when allowed)."""
        outside = self.external_requests(allow_tile_hosts=allow_tile_hosts)
        assert not outside, f"requests left the machine: {outside}"

    def assert_no_console_errors(self, ignore: tuple[str, ...] = ()) -> None:
        errors = [e for e in self.console_errors if not any(pattern in e for pattern in ignore)]
        assert not errors, f"browser console errors: {errors}"


_APP_READY_JS = """
() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute("data-test-script-state") !== "notRunning") return false;
  if (document.querySelector("[data-testid='stSkeleton']")) return false;
  if (document.querySelector("[data-testid='stStatusWidgetRunningIcon']")) return false;
  return true;
}
"""
_SETTLE_S = 0.3


def wait_for_app(page: AppPage | Any, timeout_ms: float = APP_READY_TIMEOUT_MS) -> None:
    """Wait until the script has finished running and no element is still a skeleton.

    Checked twice, a moment apart, because a finished run can start another at once.
    """
    pw = page.pw if isinstance(page, AppPage) else page
    for _ in range(2):
        pw.wait_for_function(_APP_READY_JS, timeout=timeout_ms, polling=100)
        time.sleep(_SETTLE_S)
    pw.wait_for_function(_APP_READY_JS, timeout=timeout_ms, polling=100)


# Screenshots for a person to look at are taken only when asked (SCREENSHOTS=1): at wall sizes
# each costs seconds. A failed browser test always leaves one (the `page` fixture).
SCREENSHOTS_ASKED = os.environ.get("SCREENSHOTS", "") == "1"


def screenshot(page: AppPage | Any, name: str, *, full_page: bool = True, always: bool = False) -> Path | None:
    """With SCREENSHOTS=1 (or `always`), save a PNG under test-artifacts/screenshots/ and return its path."""
    if not (SCREENSHOTS_ASKED or always):
        return None
    pw = page.pw if isinstance(page, AppPage) else page
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{_safe_name(name)}.png"
    pw.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture
def page(browser, request) -> Iterator[AppPage]:
    """A fresh zh-CN browser context and page that records requests and console errors."""
    context = browser.new_context(
        viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai", device_scale_factor=1
    )
    pw_page = context.new_page()
    app_page = AppPage(pw_page)

    def on_response(response) -> None:
        if response.status >= 400:
            app_page.bad_responses.append(f"{response.status} {response.url}")

    def on_console(message) -> None:
        if message.type == "error":
            app_page.console_errors.append(f"{message.text} @ {message.location.get('url', '')}")

    # Context-wide, so requests made inside component iframes (the folium map) count too.
    context.on("request", lambda r: app_page.requests.append(r.url))
    context.on("requestfailed", lambda r: app_page.failed_requests.append(f"{r.url} ({r.failure})"))
    context.on("response", on_response)
    pw_page.on("console", on_console)
    pw_page.on("pageerror", lambda error: app_page.console_errors.append(f"uncaught: {error}"))
    yield app_page
    if _failed(request):
        try:
            screenshot(pw_page, f"FAILED-{request.node.nodeid}", always=True)
        except Exception as error:  # the page may be gone; the failure itself matters more
            sys.stderr.write(f"(no failure screenshot: {error})\n")
    context.close()

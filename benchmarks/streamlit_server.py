"""One Streamlit server of the dashboard for a benchmark: started on a free port of 127.0.0.1
with the given environment, answered when /_stcore/health says ok, stopped with its children."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEALTHY_WITHIN_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(database: str, port: int, log_path: Path, *, env: dict[str, str] | None = None,
          args: list[str] | tuple[str, ...] = ()) -> subprocess.Popen:
    """The server on `port`, once healthy; SystemExit with its log when it exits or stays unhealthy."""
    environment = dict(os.environ, DATABASE_URL=database, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", **(env or {}))
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.address", "127.0.0.1", "--server.port", str(port),
               "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false", *args]
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdin=subprocess.DEVNULL,
                               stdout=log_path.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + HEALTHY_WITHIN_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"streamlit exited:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return process
        except OSError:
            pass
        time.sleep(0.2)
    stop(process)
    raise SystemExit(f"streamlit not healthy after {HEALTHY_WITHIN_S} s:\n{log_path.read_text()}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)

"""N Streamlit processes of the dashboard behind nginx, for a deployment and for the load benchmark.

    .venv/bin/python -m deploy.serve 2                 # 2 processes (:8501, :8502) behind nginx on :8500
    .venv/bin/python -m deploy.serve 4 --port 8080 -- --runner.postScriptGC false   # args after -- go to Streamlit
    .venv/bin/python -m deploy.serve 4 --proxy-only --dir /run/huajie-proxy      # nginx alone (systemd)

It creates or upgrades the database first (`data_access init`), starts the processes on
127.0.0.1 only (nginx is the one way in), waits for each one's /_stcore/health, then starts
nginx (Debian's `nginx` package, with deploy/nginx.conf filled in under `--dir`: its pid, logs
and temporary files; Debian's own nginx service is not used). While it runs it checks each
process every HEALTH_INTERVAL_S and restarts one that exited or stopped answering. Ctrl-C or a
TERM stops everything. Run as root, nginx is started as `nobody`: it needs no privilege, since its
files are under `--dir`, but its port must then be above 1024 (port 80 as a service:
deploy/systemd/huajie-proxy.service). The app processes run as the caller.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("nginx.conf")
DEFAULT_PORT = 8500  # nginx; the processes take the ports after it
APP_ADDRESS = "127.0.0.1"  # the processes are reachable from this machine only: through nginx
UNPRIVILEGED = ("nobody", "nogroup")  # nginx's user and group when this is started as root
MAX_FAILS, FAIL_TIMEOUT_S = 3, 10  # nginx's passive health check (nginx.conf's upstream)
START_TIMEOUT_S = 90  # for every process's /_stcore/health (2 cores shared: imports take a while)
HEALTH_INTERVAL_S = 5
HEALTH_FAILURES = 3  # polls in a row without "ok" before a process is restarted
NGINX_CANDIDATES = ("nginx", "/usr/sbin/nginx")
STREAMLIT_ARGS = ("--server.headless", "true", "--server.fileWatcherType", "none",
                  "--browser.gatherUsageStats", "false")


def log(message: str) -> None:
    print(f"[serve] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_binary() -> str:
    for candidate in NGINX_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    raise RuntimeError("nginx not found: apt-get install nginx (Debian's package; its service may stay stopped)")


def render(*, prefix: Path, listen: str, app_ports: Sequence[int], template: str | None = None) -> str:
    """deploy/nginx.conf with its placeholders filled in; an unknown placeholder is an error."""
    servers = "\n".join(f"        server {APP_ADDRESS}:{port} max_fails={MAX_FAILS} fail_timeout={FAIL_TIMEOUT_S}s;"
                        for port in app_ports)
    values = {"prefix": str(prefix), "listen": listen, "servers": servers,
              "max_fails": str(MAX_FAILS), "fail_timeout": f"{FAIL_TIMEOUT_S} s"}

    def fill(match: re.Match) -> str:
        if match.group(1) not in values:
            raise KeyError(f"nginx.conf: unknown placeholder {match.group(0)}")
        return values[match.group(1)]

    return re.sub(r"\{\{(\w+)\}\}", fill, TEMPLATE.read_text(encoding="utf-8") if template is None else template)


def healthy(base_url: str, timeout_s: float = 2) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=timeout_s) as response:
            return response.read().decode().strip() == "ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@dataclass
class App:
    """One Streamlit process of the deployment."""

    port: int
    log_path: Path
    process: subprocess.Popen | None = None
    failures: int = 0

    @property
    def url(self) -> str:
        return f"http://{APP_ADDRESS}:{self.port}"


@dataclass
class Deployment:
    """N app processes and the nginx in front of them (`url`); `stop()` ends them all."""

    prefix: Path
    port: int
    apps: list[App]
    env: dict[str, str]
    streamlit_args: tuple[str, ...] = ()
    address: str = "127.0.0.1"  # where nginx listens
    nginx: subprocess.Popen | None = None
    _stopped: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.address in ("0.0.0.0", "::", "[::]") else self.address
        return f"http://{host}:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.prefix / "logs" / "access.log"

    def start_app(self, app: App) -> None:
        command = [sys.executable, "-m", "streamlit", "run", "app.py", *STREAMLIT_ARGS,
                   "--server.address", APP_ADDRESS, "--server.port", str(app.port), *self.streamlit_args]
        with app.log_path.open("ab") as out:
            app.process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=self.env, stdin=subprocess.DEVNULL,
                                           stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        app.failures = 0

    def start_nginx(self, nginx: str, listen: str) -> None:
        """Fill in the template under `prefix` and start nginx on it (as `nobody` when we are root)."""
        for folder in ("logs", "temp"):
            (self.prefix / folder).mkdir(parents=True, exist_ok=True)
        config = self.prefix / "nginx.conf"
        config.write_text(render(prefix=self.prefix, listen=listen, app_ports=[a.port for a in self.apps]),
                          encoding="utf-8")
        user: dict = {}
        if os.geteuid() == 0:
            uid, gid = _ids(*UNPRIVILEGED)
            for path in (self.prefix, *self.prefix.rglob("*")):
                os.chown(path, uid, gid)
            self.prefix.chmod(0o755)  # (mkdtemp makes it 0700)
            user = {"user": uid, "group": gid, "extra_groups": []}
        with (self.prefix / "logs" / "nginx.out").open("ab") as out:
            self.nginx = subprocess.Popen([nginx, "-p", str(self.prefix), "-c", str(config), "-e", "stderr"],
                                          stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True, **user)

    def wait_healthy(self, urls: Sequence[str], timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        waiting = list(urls)
        while True:
            for app in self.apps:
                if app.process is not None and app.process.poll() is not None:
                    raise RuntimeError(f"app on :{app.port} exited ({app.process.returncode}): see {app.log_path}")
            if self.nginx is not None and self.nginx.poll() is not None:
                raise RuntimeError(f"nginx exited ({self.nginx.returncode}): see {self.prefix / 'logs'}")
            waiting = [url for url in waiting if not healthy(url)]
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"not healthy after {timeout_s:.0f} s: {', '.join(waiting)}")
            time.sleep(0.2)

    def check(self) -> list[str]:
        """One round of the active health check: restart a process that exited or has not answered
        /_stcore/health HEALTH_FAILURES times in a row. Returns what it did."""
        done = []
        for app in self.apps:
            if app.process is None:  # run by someone else (systemd): only said
                answered = healthy(app.url, timeout_s=HEALTH_INTERVAL_S)
                if not answered and app.failures + 1 == HEALTH_FAILURES:
                    done.append(f"app on :{app.port} does not answer /_stcore/health")
                elif answered and app.failures >= HEALTH_FAILURES:
                    done.append(f"app on :{app.port} answers again")
                app.failures = 0 if answered else app.failures + 1
                continue
            if app.process.poll() is not None:
                done.append(f"app on :{app.port} exited ({app.process.returncode}): restarting it")
            elif healthy(app.url, timeout_s=HEALTH_INTERVAL_S):
                app.failures = 0
                continue
            else:
                app.failures += 1
                if app.failures < HEALTH_FAILURES:
                    continue
                done.append(f"app on :{app.port} did not answer /_stcore/health {app.failures} times: restarting it")
                _stop(app.process)
            self.start_app(app)
        return done

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.nginx is not None:
            _stop(self.nginx)  # (a fast stop: the processes behind it are stopping too)
        for app in self.apps:
            if app.process is not None:
                _stop(app.process)

    def __enter__(self) -> Deployment:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


def _ids(user: str, group: str) -> tuple[int, int]:
    import grp
    import pwd

    return pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout_s: float = 10) -> None:
    """Stop a process started in a session of its own, and whatever it started."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=timeout_s)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=timeout_s)


def start(
    n: int,
    *,
    port: int | None = DEFAULT_PORT,
    first_app_port: int | None = None,
    listen_address: str = "0.0.0.0",
    prefix: Path | None = None,
    env: Mapping[str, str] | None = None,
    streamlit_args: Sequence[str] = (),
    init: bool = True,
    start_apps: bool = True,
    nginx: str | None = None,
    timeout_s: float = START_TIMEOUT_S,
) -> Deployment:
    """Start `n` app processes (unless `start_apps` is false: they run elsewhere, e.g. under systemd)
    and nginx in front of them; return once all of them answer /_stcore/health.

    `port` None: a free port for nginx, and free ports for the processes; else the processes take
    `first_app_port` (default `port + 1`) onwards. `env` is added to this environment for the
    processes (DATABASE_URL, CACHE_TTL_S, ...). `prefix` (default: a new temporary folder) holds
    nginx.conf, the logs (nginx's and each process's app-PORT.log) and nginx's temporary files."""
    if n < 1:
        raise ValueError("at least one process")
    nginx = nginx or nginx_binary()
    if port is None:
        port, app_ports = free_port(), [free_port() for _ in range(n)]
    else:
        first = first_app_port or port + 1
        app_ports = list(range(first, first + n))
    prefix = Path(prefix) if prefix is not None else Path(tempfile.mkdtemp(prefix="huajie-serve-"))
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    app_env = dict(os.environ)
    app_env.update(env or {})
    app_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), app_env.get("PYTHONPATH")]))
    app_env["PYTHONUNBUFFERED"] = "1"
    deployment = Deployment(prefix, port, [App(p, prefix / "logs" / f"app-{p}.log") for p in app_ports],
                            app_env, tuple(streamlit_args), listen_address)
    try:
        if start_apps:
            if init:
                subprocess.run([sys.executable, "-m", "data_access", "init"], cwd=PROJECT_ROOT, env=app_env,
                               check=True)
            for app in deployment.apps:
                deployment.start_app(app)
            deployment.wait_healthy([app.url for app in deployment.apps], timeout_s)
        deployment.start_nginx(nginx, f"{listen_address}:{port}")  # (an IPv6 address in brackets)
        if start_apps:
            deployment.wait_healthy([deployment.url], timeout_s)
        else:  # the processes may start after nginx (systemd): nginx itself must stay up
            time.sleep(1)
            deployment.wait_healthy([], timeout_s)
    except BaseException:
        deployment.stop()
        raise
    return deployment


def supervise(deployment: Deployment) -> int:
    """Keep the deployment running until a signal (0) or until nginx exits (1)."""
    stopping = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.append(True))
    try:
        while not stopping:
            if deployment.nginx is not None and deployment.nginx.poll() is not None:
                log(f"nginx exited ({deployment.nginx.returncode}): see {deployment.prefix / 'logs'}; stopping")
                return 1
            for line in deployment.check():
                log(line)
            for _ in range(HEALTH_INTERVAL_S * 10):
                if stopping:
                    break
                time.sleep(0.1)
        return 0
    finally:
        deployment.stop()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    streamlit_args: list[str] = []
    if "--" in argv:
        streamlit_args = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    parser = argparse.ArgumentParser(prog="python -m deploy.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("processes", type=int, help="how many Streamlit processes (about one per core)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="nginx's port (default %(default)s)")
    parser.add_argument("--address", default="0.0.0.0", help="nginx's address (default %(default)s)")
    parser.add_argument("--first-app-port", type=int, help="the first process's port (default: --port + 1)")
    parser.add_argument("--dir", type=Path, help="nginx's folder: config, logs, temporary files (default: a new one in /tmp)")
    parser.add_argument("--proxy-only", action="store_true",
                        help="start nginx alone, for processes already running on the ports (systemd units)")
    parser.add_argument("--no-init", action="store_true", help="do not run `data_access init` first")
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("at least one process")
    url = os.environ.get("DATABASE_URL", "")
    if args.processes > 1 and not args.proxy_only and not url.startswith("postgresql"):
        log("WARNING: several processes on SQLite take turns to write; a deployment uses PostgreSQL (DATABASE_URL)")
    try:
        deployment = start(args.processes, port=args.port, first_app_port=args.first_app_port,
                           listen_address=args.address, prefix=args.dir, streamlit_args=streamlit_args,
                           init=not args.no_init, start_apps=not args.proxy_only)
    except (RuntimeError, subprocess.CalledProcessError) as error:
        log(f"ERROR: {error}")
        return 2
    ports = ", ".join(f":{app.port}" + (f" (pid {app.process.pid})" if app.process else "") for app in deployment.apps)
    log(f"{len(deployment.apps)} process(es) on {ports} behind nginx at http://{args.address}:{deployment.port}/ "
        f"(config and logs in {deployment.prefix})")
    return supervise(deployment)


if __name__ == "__main__":
    sys.exit(main())

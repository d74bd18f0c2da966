"""Wall-screen soak: does a day of refreshes make the server or the browser tab grow?

    python benchmarks/wall_soak.py                       # SQLite demo database, 1,440 cycles
    python benchmarks/wall_soak.py --cycles 300          # a shorter run
    python benchmarks/wall_soak.py --url postgresql+psycopg://postgres@127.0.0.1:5432/soak

Starts the app (`streamlit run app.py`, 127.0.0.1 only) on a demo database with
WALL_REFRESH_S=1 and CACHE_TTL_S=1, so that one second stands for one refresh of the real
screen (1,440 cycles: a day at one a minute). Opens `?mode=wall` in headless Chromium at
1920x1080 (every board rotates through, maps and charts included) and every --sample-every
cycles, at a quiet moment (no run under way), records: the server's RSS (VmRSS of the
process and its children), the tab's JS heap after a forced garbage collection (CDP), the
live DOM node count (CDP, detached nodes too),
the nodes in the documents (main page and iframes), the iframe count and Chromium's RSS.
Every --insert-every cycles it adds one grid event for today (is_demo, source_id `soak-*`,
deleted at the end), so the figures and charts really change during the run.

Goal: server RSS growth (last sample minus first after warm-up) <= 50 MB; the JS heap and
the DOM node count not growing without bound: the median of the last third of the samples
after warm-up is not above the first third's by more than 20%.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from sqlalchemy import delete, func, insert, select  # noqa: E402

from benchmarks import streamlit_server  # noqa: E402
from data_access import demo, schema  # noqa: E402
from data_access.db import get_engine  # noqa: E402
from data_access.filters import local_now  # noqa: E402
from data_access.models import GridEvent, Village  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
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
SERVER_GROWTH_LIMIT_MB = 50.0
HEAP_GROWTH_LIMIT = 0.20  # last third's median over the first third's
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
SOAK_PREFIX = "soak-"

DOC_NODES_JS = """() => {
  let n = document.getElementsByTagName('*').length;
  for (const f of document.querySelectorAll('iframe')) {
    try { n += f.contentDocument.getElementsByTagName('*').length; } catch (e) {}
  }
  return n;
}"""
QUIET_JS = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector("[data-stale='true']");
}"""
VIEW_JS = """() => {
  const el = document.querySelector("[class*='st-key-wall-view-']");
  if (!el) return '-';
  const c = [...el.classList].find(c => c.startsWith('st-key-wall-view-'));
  return c ? c.slice('st-key-wall-view-'.length) : '-';
}"""


def settle(page) -> None:
    """Wait (up to 10 s) for a quiet moment: no run under way, no stale element, so that a
    sample does not catch a board half redrawn (the old and the new one both in the DOM)."""
    try:
        page.wait_for_function(QUIET_JS, polling=50, timeout=10_000)
    except PlaywrightTimeout:
        pass


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def tree_rss_mb(pid: int, name_filter: str | None = None) -> float:
    pids = [pid, *descendants(pid)]
    if name_filter:
        pids = [p for p in pids if name_filter in _comm(p)]
    return sum(rss_kb(p) for p in pids) / 1024


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def prepare_database(url: str | None, workdir: Path) -> str:
    if url is None:
        url = f"sqlite:///{workdir / 'soak.db'}"
    engine = get_engine(url)
    schema.upgrade(engine)
    started = time.perf_counter()
    demo.generate(engine, scale="town", as_of=local_now().date())
    print(
        f"demo database ready in {time.perf_counter() - started:.1f} s: {engine.url.render_as_string()}",
        flush=True,
    )
    return url


def add_event(url: str) -> None:
    """One grid event reported now, in a micro-centre village (so a filtered wall sees it too)."""
    engine = get_engine(url)
    with engine.begin() as conn:
        village_id = conn.execute(
            select(Village.id).where(Village.in_micro_centre.is_(True)).order_by(Village.id).limit(1)
        ).scalar_one()
        category = conn.execute(
            select(GridEvent.category).group_by(GridEvent.category).order_by(func.count().desc()).limit(1)
        ).scalar_one()
        conn.execute(
            insert(GridEvent).values(
                source_id=f"{SOAK_PREFIX}{uuid.uuid4().hex[:16]}",
                reported_at=local_now().replace(microsecond=0),
                category=category,
                village_id=village_id,
                is_demo=True,
            )
        )


def remove_events(url: str) -> None:
    with get_engine(url).begin() as conn:
        conn.execute(delete(GridEvent).where(GridEvent.source_id.like(f"{SOAK_PREFIX}%")))


def start_server(url: str, port: int, log_path: Path, rotate_s: int) -> subprocess.Popen:
    """The wall's server refreshing every second, its cache as short, no basemap."""
    env = {"WALL_REFRESH_S": "1", "CACHE_TTL_S": "1", "WALL_ROTATE_S": str(rotate_s), "BASEMAP": "none"}
    return streamlit_server.start(url, port, log_path, env=env)


def third_medians(values: list[float]) -> tuple[float, float]:
    k = max(1, len(values) // 3)
    return statistics.median(values[:k]), statistics.median(values[-k:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", help="database URL (default: a new SQLite file); demo data is generated into it"
    )
    parser.add_argument(
        "--cycles", type=int, default=1440, help="refresh cycles of one second (default 1440)"
    )
    parser.add_argument("--sample-every", type=int, default=60, help="cycles between samples (default 60)")
    parser.add_argument(
        "--warmup", type=int, default=120, help="cycles before the growth baseline (default 120)"
    )
    parser.add_argument("--insert-every", type=int, default=60, help="cycles between new events; 0: none")
    parser.add_argument("--rotate", type=int, default=30, help="WALL_ROTATE_S (default 30)")
    parser.add_argument("--query", default="mode=wall", help="the wall URL's query (default mode=wall)")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="wall_soak_"))
    url = prepare_database(args.url, workdir)
    port = streamlit_server.free_port()
    log_path = workdir / "server.log"
    server = start_server(url, port, log_path, args.rotate)
    print(f"server pid {server.pid} on 127.0.0.1:{port}; log {log_path}", flush=True)
    sent_frames = [0]
    rows: list[dict] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            context = browser.new_context(
                viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="Asia/Shanghai"
            )
            # Nothing leaves this machine, whatever a page asks for.
            context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if (urlsplit(route.request.url).hostname or "") in LOCAL_HOSTS
                    or route.request.url.startswith(("data:", "blob:", "about:"))
                    else route.abort()
                ),
            )
            page = context.new_page()
            page.on(
                "websocket",
                lambda ws: ws.on("framesent", lambda _: sent_frames.__setitem__(0, sent_frames[0] + 1)),
            )
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            page.goto(f"http://127.0.0.1:{port}/?{args.query}")
            page.wait_for_selector("[class*='st-key-wall-view-']", timeout=120_000)
            print(f"wall open; {args.cycles} cycles, a sample every {args.sample_every}", flush=True)
            header = (
                f"{'cycle':>6} {'min':>6} {'view':<11} {'server MB':>10} {'JS heap MB':>11} "
                f"{'CDP nodes':>10} {'doc nodes':>10} {'iframes':>8} {'chromium MB':>12} {'ws sent':>8}"
            )
            print(header, flush=True)
            start = time.monotonic()
            next_sample = next_insert = 0
            while True:
                cycle = int(time.monotonic() - start)
                if args.insert_every and cycle >= next_insert and cycle > 0:
                    add_event(url)
                    next_insert = cycle + args.insert_every
                if cycle >= next_sample:
                    settle(page)
                    cdp.send("HeapProfiler.collectGarbage")
                    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
                    row = {
                        "cycle": cycle,
                        "minutes": (time.monotonic() - start) / 60,
                        "view": page.evaluate(VIEW_JS),
                        "server": tree_rss_mb(server.pid),
                        "heap": metrics["JSHeapUsedSize"] / 2**20,
                        "nodes": int(metrics["Nodes"]),
                        "doc_nodes": page.evaluate(DOC_NODES_JS),
                        "iframes": page.evaluate("() => document.querySelectorAll('iframe').length"),
                        "chromium": tree_rss_mb(os.getpid(), "chrom"),
                        "sent": sent_frames[0],
                    }
                    rows.append(row)
                    print(
                        f"{row['cycle']:>6} {row['minutes']:>6.1f} {row['view']:<11} {row['server']:>10.1f} "
                        f"{row['heap']:>11.1f} {row['nodes']:>10} {row['doc_nodes']:>10} {row['iframes']:>8} "
                        f"{row['chromium']:>12.1f} {row['sent']:>8}",
                        flush=True,
                    )
                    next_sample += args.sample_every
                if cycle >= args.cycles:
                    break
                if server.poll() is not None:
                    raise SystemExit(f"the server died:\n{log_path.read_text()[-4000:]}")
                page.wait_for_timeout(250)
            exceptions = page.locator("[data-testid='stException']").count()
            browser.close()
    finally:
        streamlit_server.stop(server)
        if args.insert_every:
            remove_events(url)

    after = [r for r in rows if r["cycle"] >= args.warmup] or rows
    server_growth = after[-1]["server"] - after[0]["server"]
    heap_first, heap_last = third_medians([r["heap"] for r in after])
    nodes_first, nodes_last = third_medians([r["nodes"] for r in after])
    checks = [
        (
            f"server RSS growth {after[0]['server']:.1f} -> {after[-1]['server']:.1f} MB "
            f"= {server_growth:+.1f} MB "
            f"(limit +{SERVER_GROWTH_LIMIT_MB:.0f} MB)",
            server_growth <= SERVER_GROWTH_LIMIT_MB,
        ),
        (
            f"JS heap median first third {heap_first:.1f} MB, last third {heap_last:.1f} MB = "
            f"{heap_last / heap_first - 1:+.0%} (limit +{HEAP_GROWTH_LIMIT:.0%}); last minus first "
            f"{after[-1]['heap'] - after[0]['heap']:+.1f} MB",
            heap_last <= heap_first * (1 + HEAP_GROWTH_LIMIT),
        ),
        (
            f"DOM nodes (CDP) median first third {nodes_first:.0f}, last third {nodes_last:.0f} = "
            f"{nodes_last / nodes_first - 1:+.0%} (limit +{HEAP_GROWTH_LIMIT:.0%}); last minus first "
            f"{after[-1]['nodes'] - after[0]['nodes']:+d}",
            nodes_last <= nodes_first * (1 + HEAP_GROWTH_LIMIT),
        ),
        (f"exception elements on the page at the end: {exceptions}", exceptions == 0),
    ]
    elapsed = rows[-1]["minutes"] if rows else 0
    print(
        f"\n{rows[-1]['cycle'] if rows else 0} cycles in {elapsed:.1f} min; "
        f"{sent_frames[0]} websocket messages sent by the tab (rerun requests); "
        f"growth measured from cycle {after[0]['cycle']} (warm-up {args.warmup})"
    )
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    log = log_path.read_text(errors="replace")
    print(f"server log: {len(log.splitlines())} lines, {log.count('Traceback')} tracebacks ({log_path})")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())

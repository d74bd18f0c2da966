"""Many people at once: N sessions driven at Streamlit's own websocket protocol, no browser.

    python benchmarks/load.py                                  # town demo (a new SQLite file), all profiles
    python benchmarks/load.py --database sqlite:////tmp/bench/city.db --profile wall --sessions 1,10,20 --every 3
    python benchmarks/load.py --database postgresql+psycopg://postgres@127.0.0.1:5432/bench_city --profile mixed --sessions 40 --every 5
    python benchmarks/load.py --server-time                   # each view's and wall board's warm rerun, one at a time
    python benchmarks/load.py --url http://127.0.0.1:8080/ --pids 1234,1235 --profile mixed --sessions 40

A session is what a browser tab keeps open: a websocket on /_stcore/stream (subprotocol
"streamlit"), BackMsg protobufs up, ForwardMsg protobufs down (the classes ship with streamlit,
in streamlit.proto). It asks for a run with BackMsg.rerun_script (a ClientState: the query
string, the page's url path, the widgets' values, and for a timed fragment its id) and the run
is over when a ForwardMsg.script_finished arrives; latency is the time between the two.

Profiles (one rerun every --every seconds per session, each session starting at a random moment
within the first interval):

  wall     `/?mode=wall&rotate=R`: the duty room's screen. One full run, then what the browser's
           timer sends: a rerun of the board's fragment (the id from the ForwardMsg auto_rerun),
           the playlist rotating through its boards.
  leaders  a leader signed in (leader / leader-demo; the sign-in form filled through its widgets)
           moving through the views (overview, hazards, review, population, alerts, events), each
           step a new view and one of a few filters in the URL (the whole area, one village, the
           micro-centre's four villages, a village and a month).
  mixed    half the sessions walls, half leaders.

For each number of sessions it prints p50 / p95 / max latency, reruns per second, the server's
CPU (percent of one core over the run, and ms per rerun) and RSS (sum over the server's
processes and their children), and the exceptions sent to the clients (Streamlit's exception
element) and the error boxes (st.error: a view that failed and said so). --server-time runs one
session at a time over every view and every wall board, warm (each is run --warmup times first),
and prints the median latency and the server's CPU ms per rerun.

By default it builds the town demo into a new SQLite file and starts its own server
(`streamlit run app.py` on 127.0.0.1, extra Streamlit options after --server-arg); --database
uses a database that holds data already (the city: benchmarks/demo_city.py, see benchmarks/city.py).
--url targets a server already running (e.g. a proxy in front of several processes): then the
CPU and RSS are those of --pids, if given.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402
from streamlit.proto.Alert_pb2 import Alert  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from benchmarks import streamlit_server  # noqa: E402
from ui import wall  # noqa: E402

LEADER = ("leader", "leader-demo")
LEADER_VIEWS = ("overview", "hazards", "review", "population", "alerts", "events", "ranking", "projects",
                "stability", "warnings")
WALL_BOARDS = wall.VIEWS
# The filters a leader's steps cycle through: what the sidebar puts in the URL.
FILTERS = (
    {},
    {"village": "倪宅村"},
    {"village": ["倪宅村", "凤凰村", "后吴村", "花街村"]},
    {"village": "凤凰村", "from": "2026-11-01", "to": "2026-11-30"},
)
FINISHED = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
            ForwardMsg.FINISHED_WITH_COMPILE_ERROR)
RUN_TIMEOUT_S = 120.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- one session


@dataclass
class Counts:
    latencies: list[float] = field(default_factory=list)
    exceptions: int = 0
    errors: int = 0
    timeouts: int = 0
    walls: int = 0  # reruns answered, by kind of session
    leaders: int = 0
    seconds: float = 0.0  # how long the reruns were driven (after every session had opened)
    cpu: float = 0.0  # the server's CPU seconds meanwhile
    error_texts: list[str] = field(default_factory=list)


class Session:
    """One browser tab's websocket: ask for a run, wait for it to finish, note what it sent."""

    def __init__(self, ws_url: str, counts: Counts):
        self.ws_url, self.counts = ws_url, counts
        self.ws = None
        self.finished: asyncio.Queue[int] = asyncio.Queue()
        self.fragment_id = ""
        self.widget_ids: dict[str, str] = {}  # text_input keys and "submit" -> widget id
        self.query_string = ""
        self.page = ""
        self._reader: asyncio.Task | None = None

    async def open(self) -> None:
        parts = urlsplit(self.ws_url)
        origin = f"{'https' if parts.scheme == 'wss' else 'http'}://{parts.netloc}"
        self.ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], origin=origin,
                                           max_size=None, open_timeout=30, ping_interval=None)
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
        if self.ws is not None:
            await self.ws.close()

    async def _read(self) -> None:
        async for data in self.ws:
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "delta":
                self._note_delta(msg.delta)
            elif kind == "auto_rerun":
                self.fragment_id = msg.auto_rerun.fragment_id
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    self.widget_ids.clear()  # what the run that follows draws counts
                self.finished.put_nowait(msg.script_finished)

    def _note_delta(self, delta) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.counts.exceptions += 1
            self.counts.error_texts.append(f"{element.exception.type}: {element.exception.message}"[:200])
        elif kind == "alert" and element.alert.format == Alert.ERROR:
            self.counts.errors += 1
            self.counts.error_texts.append(element.alert.body[:200])
        elif kind == "text_input":
            self.widget_ids[element.text_input.id.rsplit("-", 1)[-1]] = element.text_input.id
        elif kind == "button" and element.button.is_form_submitter:
            self.widget_ids["submit"] = element.button.id

    async def run(self, *, query: dict | str = "", page: str = "", fragment: bool = False,
                  widgets: list | None = None) -> float | None:
        """Ask for a run (of the timed fragment when `fragment`), wait until it has finished;
        the seconds it took, or None when it did not finish within RUN_TIMEOUT_S."""
        if not isinstance(query, str):
            query = urlencode(query, doseq=True)
        self.query_string, self.page = query, page
        back = BackMsg()
        state = back.rerun_script
        state.query_string, state.page_name = query, page
        state.context_info.timezone = "Asia/Shanghai"
        state.context_info.locale = "zh-CN"
        if fragment and self.fragment_id:
            state.fragment_id, state.is_auto_rerun = self.fragment_id, True
        for widget in widgets or ():
            state.widget_states.widgets.append(widget)
        while not self.finished.empty():
            self.finished.get_nowait()
        self.widget_ids.clear()  # what this run draws
        start = time.perf_counter()
        await self.ws.send(back.SerializeToString())
        deadline = start + RUN_TIMEOUT_S
        while True:
            try:
                done = await asyncio.wait_for(self.finished.get(), deadline - time.perf_counter())
            except TimeoutError:
                self.counts.timeouts += 1
                return None
            if done in FINISHED:
                return time.perf_counter() - start

    async def sign_in(self, name: str, password: str) -> None:
        """Fill the sign-in form through its widgets and submit it, as a person would."""
        await self.run(page=self.page or "")
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        states = []
        for key, value in (("sign_in_name", name), ("sign_in_password", password)):
            states.append(WidgetState(id=self.widget_ids[key], string_value=value))
        states.append(WidgetState(id=self.widget_ids["submit"], trigger_value=True))
        await self.run(page=self.page, widgets=states)
        if "sign_in_name" in self.widget_ids:  # the form again: the sign-in failed
            self.counts.errors += 1
            self.counts.error_texts.append(f"sign-in as {name} failed")


# ---------------------------------------------------------------- profiles


WALL_QUERY = {"mode": "wall"}


async def wall_loop(session: Session, every: float, until: float, rotate: int) -> None:
    query = {**WALL_QUERY, "rotate": str(rotate)}
    await asyncio.sleep(random.uniform(0, every))
    while time.perf_counter() < until:
        due = time.perf_counter() + every
        took = await session.run(query=query, fragment=True)
        if took is not None:
            session.counts.latencies.append(took)
            session.counts.walls += 1
        await asyncio.sleep(max(0.0, due - time.perf_counter()))


async def leader_loop(session: Session, every: float, until: float) -> None:
    step = random.randrange(len(LEADER_VIEWS) * len(FILTERS))
    await asyncio.sleep(random.uniform(0, every))
    while time.perf_counter() < until:
        due = time.perf_counter() + every
        view, filters = LEADER_VIEWS[step % len(LEADER_VIEWS)], FILTERS[step % len(FILTERS)]
        took = await session.run(query=filters, page=view)
        if took is not None:
            session.counts.latencies.append(took)
            session.counts.leaders += 1
        step += 1
        await asyncio.sleep(max(0.0, due - time.perf_counter()))


async def drive(ws_url: str, profile: str, n: int, every: float, seconds: float, rotate: int,
                pids: list[int] = ()) -> Counts:
    """N sessions of `profile` for `seconds`, counted once every session has opened and run once
    (a wall its first full run, a leader the sign-in)."""
    counts = Counts()
    sessions = [Session(ws_url, counts) for _ in range(n)]
    kinds = ["wall" if profile == "wall" or (profile == "mixed" and i % 2 == 0) else "leader" for i in range(n)]
    try:
        for session, kind in zip(sessions, kinds):  # one after another, as people arrive
            await session.open()
            if kind == "wall":
                await session.run(query={**WALL_QUERY, "rotate": str(rotate)})
            else:
                await session.sign_in(*LEADER)
        started, cpu_before = time.perf_counter(), cpu_seconds(pids)
        until = started + seconds
        await asyncio.gather(*(
            wall_loop(s, every, until, rotate) if kind == "wall" else leader_loop(s, every, until)
            for s, kind in zip(sessions, kinds)))
        counts.seconds, counts.cpu = time.perf_counter() - started, cpu_seconds(pids) - cpu_before
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    return counts


async def server_time(ws_url: str, runs: int, warmup: int, pids: list[int]) -> list[tuple[str, float, float]]:
    """(what, median latency ms, server CPU ms per rerun) for every view and every wall board."""
    rows = []
    counts = Counts()
    leader = Session(ws_url, counts)
    await leader.open()
    await leader.sign_in(*LEADER)
    for view in LEADER_VIEWS:
        rows.append((f"view {view}", *await _timed(lambda v=view: leader.run(page=v), runs, warmup, pids)))
    await leader.close()
    for board in WALL_BOARDS:
        wall = Session(ws_url, counts)
        await wall.open()
        query = {"mode": "wall", "playlist": board}
        await wall.run(query=query)
        rows.append((f"wall {board}", *await _timed(lambda q=query, w=wall: w.run(query=q, fragment=True),
                                                    runs, warmup, pids)))
        await wall.close()
    if counts.exceptions or counts.errors or counts.timeouts:
        print(f"!! exceptions {counts.exceptions}, errors {counts.errors}, timeouts {counts.timeouts}: "
              f"{counts.error_texts[:3]}", flush=True)
    return rows


async def _timed(rerun, runs: int, warmup: int, pids: list[int]) -> tuple[float, float]:
    for _ in range(warmup):
        await rerun()
    latencies = []
    cpu_before = cpu_seconds(pids)
    for _ in range(runs):
        took = await rerun()
        if took is not None:
            latencies.append(took)
    cpu = cpu_seconds(pids) - cpu_before
    return statistics.median(latencies) * 1000, cpu * 1000 / runs


# ---------------------------------------------------------------- the server


def process_tree(pids: list[int]) -> list[int]:
    """The pids and all their descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in process_tree(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in process_tree(pids):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def demo_database(workdir: Path) -> str:
    from data_access import demo, schema
    from data_access.db import get_engine
    from data_access.filters import local_now

    url = f"sqlite:///{workdir / 'town.db'}"
    engine = get_engine(url)
    schema.upgrade(engine)
    demo.generate(engine, scale="town", as_of=local_now().date())
    return url


# ---------------------------------------------------------------- the report


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def load_row(profile: str, n: int, every: float, counts: Counts, rss: float | None) -> str:
    lat, seconds, cpu = counts.latencies, counts.seconds, counts.cpu
    if not lat:
        return f"| {profile} | {n} | {every:g} s | 0 | — | — | — | — | — | — | — | {counts.exceptions} | {counts.errors} |"
    rss_text = f"{rss:,.0f}" if rss is not None else "—"
    cpu_text = f"{cpu / seconds * 100:.0f}%" if cpu else "—"
    per_rerun = f"{cpu * 1000 / len(lat):.0f}" if cpu else "—"
    return (f"| {profile} | {n} | {every:g} s | {len(lat)} | {len(lat) / seconds:.1f} | "
            f"{statistics.median(lat):.2f} s | {percentile(lat, 95):.2f} s | {max(lat):.2f} s | "
            f"{cpu_text} | {per_rerun} | {rss_text} | {counts.exceptions + counts.timeouts} | {counts.errors} |")


LOAD_HEADER = ("| profile | sessions | rerun every | reruns | reruns/s | p50 | p95 | max | server CPU | CPU ms/rerun "
               "| RSS MB | exceptions | error boxes |\n|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=("wall", "leaders", "mixed", "all"), default="all")
    parser.add_argument("--sessions", default="1,10,20,40", help="numbers of sessions, comma-separated")
    parser.add_argument("--every", type=float, default=3.0, help="seconds between one session's reruns (default 3)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long each number of sessions runs")
    parser.add_argument("--rotate", type=int, default=5, help="the walls' rotate= seconds (default 5)")
    parser.add_argument("--server-time", action="store_true",
                        help="instead: each view's and wall board's warm rerun, one session at a time")
    parser.add_argument("--runs", type=int, default=10, help="--server-time: reruns measured per view")
    parser.add_argument("--warmup", type=int, default=3, help="--server-time: reruns before measuring")
    parser.add_argument("--database", help="database URL with data in it (default: a new town demo, SQLite)")
    parser.add_argument("--url", help="a running server's base URL (e.g. http://127.0.0.1:8080/): start none")
    parser.add_argument("--pids", default="", help="with --url: the server processes to measure, comma-separated")
    parser.add_argument("--server-arg", action="append", default=[],
                        help="an option for the server this starts, e.g. --server-arg=--runner.postScriptGC=false")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server this starts")
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args(argv)
    random.seed(args.seed)

    server = None
    if args.url:
        base = args.url if args.url.endswith("/") else args.url + "/"
        pids = [int(p) for p in args.pids.split(",") if p.strip()]
    else:
        workdir = Path(tempfile.mkdtemp(prefix="load_"))
        database = args.database or demo_database(workdir)
        port = streamlit_server.free_port()
        log_path = workdir / "server.log"
        env_extra = dict(item.split("=", 1) for item in args.env)
        server = streamlit_server.start(database, port, log_path, env=env_extra, args=args.server_arg)
        base, pids = f"http://127.0.0.1:{port}/", [server.pid]
        print(f"server pid {server.pid} on {base}, database {database}, log {log_path}", flush=True)
    ws_url = base.replace("http", "ws", 1) + "_stcore/stream"
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}", flush=True)
    try:
        if args.server_time:
            rows = asyncio.run(server_time(ws_url, args.runs, args.warmup, pids))
            print("| rerun | median ms | server CPU ms |\n|---|---:|---:|")
            for what, median, cpu in rows:
                print(f"| {what} | {median:.0f} | {cpu:.0f} |" if pids else f"| {what} | {median:.0f} | — |")
            return 0
        profiles = ("wall", "leaders", "mixed") if args.profile == "all" else (args.profile,)
        failed = False
        print(LOAD_HEADER, flush=True)
        for profile in profiles:
            for n in (int(x) for x in args.sessions.split(",")):
                counts = asyncio.run(drive(ws_url, profile, n, args.every, args.seconds, args.rotate, pids))
                print(load_row(profile, n, args.every, counts, rss_mb(pids) if pids else None), flush=True)
                if counts.exceptions or counts.errors or counts.timeouts:
                    failed = True
                    print(f"   !! {counts.error_texts[:3]}", flush=True)
        print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}", flush=True)
        return 1 if failed else 0
    finally:
        if server is not None:
            streamlit_server.stop(server)


if __name__ == "__main__":
    sys.exit(main())

"""Local stand-ins for the channels' far ends, for the early-warning tests: an HTTP server that
answers as a DingTalk or WeCom robot (or fails as told), and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

# What must never leave: an 18-character ID number or an 11-digit mobile number, standing alone.
FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    body: dict


@dataclass
class Robot:
    """An HTTP server in a thread that takes JSON posts as a group robot does: HTTP `status` with
    `answer` (errcode 0: taken), after `delay` seconds."""

    status: int = 200
    answer: dict = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    delay: float = 0.0
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self):
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                parts = urlsplit(self.path)
                robot.requests.append(Request(parts.path, parse_qs(parts.query), body))
                time.sleep(robot.delay)
                data = json.dumps(robot.answer).encode()
                self.send_response(robot.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/robot/send?access_token=TOKEN-abc123") -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def reset(self, status: int = 200, answer: dict | None = None, delay: float = 0.0) -> None:
        self.status, self.delay = status, delay
        self.answer = answer or {"errcode": 0, "errmsg": "ok"}
        self.requests.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def dingtalk_signature_ok(request: Request, secret: str, within_s: float = 120) -> bool:
    """The request's `sign` is HMAC-SHA256 over "timestamp\\nsecret" keyed with the secret (base64;
    parse_qs has undone the URL encoding), and its `timestamp` (ms) is recent."""
    timestamp = request.query["timestamp"][0]
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    recent = abs(time.time() * 1000 - int(timestamp)) < within_s * 1000
    return recent and hmac.compare_digest(request.query["sign"][0], base64.b64encode(digest).decode())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An SMTP server (aiosmtpd) in a thread; `messages` are the e-mails it took."""

    def __init__(self):
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self.controller.start()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.controller.port}"

    def close(self) -> None:
        self.controller.stop()

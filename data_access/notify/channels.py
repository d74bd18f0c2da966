"""Sending a message to a channel, with the standard library and a timeout:

- DingTalk custom robot: POST JSON {"msgtype": "markdown", …} to its webhook; with a signing
  secret, the URL gets `timestamp` (ms) and `sign` = URL-encoded base64 of HMAC-SHA256 over
  "timestamp\\nsecret", keyed with the secret;
- WeCom group robot: POST JSON {"msgtype": "markdown", "markdown": {"content": …}} (its key is in
  the URL; it takes no secret);
- e-mail over SMTP: `smtp://host[:25]`, `smtp+tls://host[:587]` (STARTTLS) or `smtps://host[:465]`,
  a user name in the URL and the password as the channel's secret; plain text, the daily
  briefing's PDF attached.

A robot answers HTTP 200 with {"errcode": 0} when it took the message; anything else is a
DeliveryError. Its reason names the channel's kind and host, never its URL (a robot's token is
in it) or its secret: the reasons are logged, stored and printed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qsl, quote_plus, unquote, urlsplit

from .messages import Message

HTTP_TIMEOUT_S = 10
MAX_ANSWER_BYTES = 64 * 1024
# What the robots take in one message (WeCom: 4096 bytes of markdown; DingTalk: 20,000 bytes).
MAX_MARKDOWN_BYTES = {"dingtalk": 18_000, "wecom": 4_000}
ROBOT_KINDS = ("dingtalk", "wecom")
SMTP_SCHEMES = {"smtp": 25, "smtp+tls": 587, "smtps": 465}  # scheme → default port
NAME = re.compile(r"[\w.@-]{1,64}")  # \w includes Chinese characters: 值班群
ADDRESS = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+")


class InvalidChannel(ValueError):
    """A channel's settings that cannot work (kind, URL, secret, recipients)."""


class DeliveryError(Exception):
    """A message that did not get through; the reason names no URL or secret."""


@dataclass(frozen=True)
class Channel:
    name: str
    kind: str
    url: str
    secret: str | None = None
    recipients: tuple[str, ...] = ()
    id: int | None = None


def check(channel: Channel) -> Channel:
    """`channel` when its settings can work, else InvalidChannel saying why."""
    if not NAME.fullmatch(channel.name or ""):
        raise InvalidChannel(f"not a usable channel name: {channel.name!r} "
                             "(1-64 letters, digits, '.', '@', '-', '_')")
    parts = urlsplit(channel.url)
    if channel.kind in ROBOT_KINDS:
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidChannel(f"a {channel.kind} robot needs its webhook's http(s) URL")
        if channel.recipients:
            raise InvalidChannel("only e-mail takes recipients (--to)")
        if channel.kind == "wecom" and channel.secret:
            raise InvalidChannel("a WeCom robot takes no secret: its key is in the webhook URL")
    elif channel.kind == "email":
        if parts.scheme not in SMTP_SCHEMES or not parts.hostname:
            raise InvalidChannel("e-mail needs smtp://host:port (smtp+tls:// for STARTTLS, smtps:// for TLS)")
        if parts.password is not None:
            raise InvalidChannel("give the SMTP password as the secret, not in the URL")
        if not channel.recipients:
            raise InvalidChannel("e-mail needs at least one recipient (--to)")
        wrong = [a for a in channel.recipients if not ADDRESS.fullmatch(a)]
        if wrong:
            raise InvalidChannel(f"not an e-mail address: {', '.join(wrong)}")
    else:
        raise InvalidChannel(f"unknown kind {channel.kind!r}: dingtalk, wecom or email")
    return channel


def describe(channel: Channel) -> str:
    """Where the channel sends, without its secret or token: its host, and how."""
    parts = urlsplit(channel.url)
    if not parts.hostname:
        return "removed"
    if channel.kind == "email":
        security = {"smtp": "", "smtp+tls": ", STARTTLS", "smtps": ", TLS"}.get(parts.scheme, "")
        port = parts.port or SMTP_SCHEMES.get(parts.scheme, "")
        return f"{parts.hostname}:{port}{security}, {len(channel.recipients)} recipient(s)"
    return parts.hostname + (", signed" if channel.secret else "")


def send(channel: Channel, message: Message) -> None:
    """Send `message`; DeliveryError when it did not get through."""
    try:
        if channel.kind == "email":
            _send_email(channel, message)
        elif channel.kind in ROBOT_KINDS:
            url = channel.url
            if channel.kind == "dingtalk":
                url = dingtalk_url(url, channel.secret, int(time.time() * 1000))
                payload = dingtalk_payload(message)
            else:
                payload = wecom_payload(message)
            _post_json(channel, url, payload)
        else:
            raise DeliveryError(f"unknown kind {channel.kind!r}")
    except DeliveryError as exc:
        raise DeliveryError(_redacted(str(exc), channel)) from None
    except Exception as exc:  # noqa: BLE001 (a malformed URL, a broken answer …: one line, no URL or secret)
        raise DeliveryError(_redacted(f"{type(exc).__name__}: {exc}", channel)[:300]) from None


# ---------------------------------------------------------------- the robots


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's `sign`: URL-encoded base64 of HMAC-SHA256 over "timestamp\\nsecret", keyed with
    the secret."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def dingtalk_url(url: str, secret: str | None, timestamp_ms: int) -> str:
    """The webhook URL to post to: signed with `timestamp` and `sign` when there is a secret."""
    if not secret:
        return url
    joiner = "&" if urlsplit(url).query else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def _clip_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 40].decode("utf-8", errors="ignore") + "\n\n……（内容过长，已截断，请登录系统查看）"


def dingtalk_payload(message: Message) -> dict:
    text = _clip_bytes(message.markdown(), MAX_MARKDOWN_BYTES["dingtalk"])
    return {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}


def wecom_payload(message: Message) -> dict:
    return {"msgtype": "markdown",
            "markdown": {"content": _clip_bytes(message.markdown(), MAX_MARKDOWN_BYTES["wecom"])}}


def _post_json(channel: Channel, url: str, payload: dict) -> None:
    host = urlsplit(url).hostname
    if urlsplit(url).scheme not in ("http", "https"):  # urllib would open file:// and others too
        raise DeliveryError("not an http(s) URL")
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            answer = response.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"{host} answered HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise DeliveryError(f"cannot reach {host}: {exc.reason}") from None
    except TimeoutError:
        raise DeliveryError(f"{host} did not answer within {HTTP_TIMEOUT_S} s") from None
    except OSError as exc:
        raise DeliveryError(f"cannot reach {host}: {exc.strerror or type(exc).__name__}") from None
    try:
        result = json.loads(answer)
    except ValueError:
        raise DeliveryError(f"{host} answered something that is not JSON") from None
    if not isinstance(result, dict):
        raise DeliveryError(f"{host} answered JSON that is not an object")
    if result.get("errcode", 0) != 0:
        errmsg = str(result.get("errmsg"))[:200]
        raise DeliveryError(f"{host} refused the message: errcode {result.get('errcode')}, {errmsg}")


# ---------------------------------------------------------------- e-mail


def sender(channel: Channel) -> str:
    """The From address: the URL's user name when it is an address, else noreply@ the server."""
    parts = urlsplit(channel.url)
    user = unquote(parts.username or "")
    return user if "@" in user else f"noreply@{parts.hostname}"


def email_message(channel: Channel, message: Message) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = sender(channel)
    mail["To"] = ", ".join(channel.recipients)
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain=urlsplit(channel.url).hostname)
    mail.set_content(message.text())
    if message.pdf:
        mail.add_attachment(message.pdf, maintype="application", subtype="pdf", filename=message.pdf_name)
    return mail


def _send_email(channel: Channel, message: Message) -> None:
    parts = urlsplit(channel.url)
    if parts.scheme not in SMTP_SCHEMES:
        raise DeliveryError("not an smtp:// URL")
    host, port = parts.hostname, parts.port or SMTP_SCHEMES[parts.scheme]
    context = ssl.create_default_context()
    try:
        if parts.scheme == "smtps":
            server = smtplib.SMTP_SSL(host, port, timeout=HTTP_TIMEOUT_S, context=context)
        else:
            server = smtplib.SMTP(host, port, timeout=HTTP_TIMEOUT_S)
        with server:
            if parts.scheme == "smtp+tls":
                server.starttls(context=context)
            if parts.username:
                server.login(unquote(parts.username), channel.secret or "")
            server.send_message(email_message(channel, message))
    except smtplib.SMTPException as exc:
        reason = f"{type(exc).__name__} {_smtp_reason(exc)}"
        raise DeliveryError(f"{host}:{port} refused the message: {reason}") from None
    except TimeoutError:
        raise DeliveryError(f"{host}:{port} did not answer within {HTTP_TIMEOUT_S} s") from None
    except OSError as exc:
        raise DeliveryError(f"cannot reach {host}:{port}: {exc.strerror or type(exc).__name__}") from None


def _smtp_reason(exc: smtplib.SMTPException) -> str:
    code, text = getattr(exc, "smtp_code", None), getattr(exc, "smtp_error", b"")
    # (an error raised by smtplib itself, e.g. no STARTTLS offered, has no server text: its own)
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) and text else str(text or exc)
    return f"{code} {text}"[:200] if code else text[:200]


def _redacted(text: str, channel: Channel) -> str:
    """`text` without the channel's URL, secret, or the token or key in its URL."""
    secrets = [channel.url, channel.secret or ""]
    secrets += [value for _, value in parse_qsl(urlsplit(channel.url).query)]
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "…")
    return text

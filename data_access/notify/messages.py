"""What a warning message says, the same on every channel: a title, one line per warning with a
link back to it, and for the daily briefing its text and PDF.

Nothing personal leaves: the lines were written masked (conditions.py), and every text passes
through masking.mask_in_text once more, so that an ID number or mobile number that an upstream
system put into a title is masked too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..filters import local_now
from ..masking import mask_in_text

MAX_ITEMS = 10  # lines in one message; the others are counted ("另有 N 项")
SENDER = "倪宅区域基层治理微中心"
SEVERITY_MARKS = {"red": "🔴", "orange": "🟠", "yellow": "🟡", "blue": "🔵"}


@dataclass(frozen=True)
class Item:
    text: str
    link: str | None = None  # a full URL


@dataclass(frozen=True)
class Message:
    """One message to one channel; build it with compose()."""

    title: str
    items: tuple[Item, ...]
    more: int = 0  # warnings in the message beyond the listed items
    body: str | None = None
    pdf: bytes | None = None
    pdf_name: str | None = None
    at: dt.datetime = field(default_factory=local_now)

    @property
    def footer(self) -> str:
        return f"{SENDER} 预警服务 · {self.at:%Y-%m-%d %H:%M}"

    def markdown(self) -> str:
        """For the group robots (the markdown both DingTalk and WeCom read)."""
        lines = [f"### {self.title}", ""]
        lines += [f"- {item.text}" + (f" [查看]({item.link})" if item.link else "") for item in self.items]
        if self.more:
            lines.append(f"- 另有 {self.more} 项，请登录系统查看")
        if self.body:
            lines += ["", *(f"> {line}" if line else ">" for line in self.body.splitlines())]
        return "\n".join([*lines, "", f"###### {self.footer}"])

    def text(self) -> str:
        """For e-mail: plain text."""
        lines = [self.title, ""]
        lines += [f"- {item.text}" + (f"\n  {item.link}" if item.link else "") for item in self.items]
        if self.more:
            lines.append(f"- 另有 {self.more} 项，请登录系统查看")
        if self.body:
            lines += ["", self.body]
        return "\n".join([*lines, "", "-- ", self.footer])


def full_link(path: str | None, public_url: str) -> str | None:
    """`path` under the dashboard's address (setting PUBLIC_URL); None when either is empty."""
    return public_url.rstrip("/") + path if path and public_url else None


def compose(rule_title: str, severity: str, warnings: list[dict], public_url: str,
            at: dt.datetime | None = None) -> Message:
    """One message about `warnings` (dicts with title, link, detail, attachment) of one rule:
    the first MAX_ITEMS listed, the others counted; the body and PDF of a single warning that
    has them (the daily briefing)."""
    listed = warnings[:MAX_ITEMS]
    count = f"（{len(warnings)} 项）" if len(warnings) > 1 else ""
    single = warnings[0] if len(warnings) == 1 else {}
    return Message(
        title=mask_in_text(f"{SEVERITY_MARKS.get(severity, '')} {rule_title}{count}".strip()),
        items=tuple(Item(mask_in_text(w["title"]), full_link(w["link"], public_url)) for w in listed),
        more=len(warnings) - len(listed),
        body=mask_in_text(single.get("detail")),
        pdf=single.get("attachment"),
        pdf_name=f"{single['title']}.pdf" if single.get("attachment") else None,
        at=at or local_now(),
    )


def trial_message(channel_name: str, at: dt.datetime | None = None) -> Message:
    """What `notify test` sends."""
    return Message(title=f"{SEVERITY_MARKS['blue']} 测试消息",
                   items=(Item(f"预警通道“{channel_name}”可以收到消息。"),), at=at or local_now())

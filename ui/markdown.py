"""Text that came from a file or a URL, shown as text wherever Streamlit reads Markdown.

Streamlit renders titles, messages and captions as GitHub-flavoured Markdown: `[x](http://…)`
becomes a live link, `**x**` bold, and `#`, `>`, `-` or `1.` at a line's start a heading, a
quote or a list. CommonMark lets a backslash escape any ASCII punctuation character, which then
shows as itself: escaping every one of them leaves Markdown no syntax to read.

GFM's autolinks are not syntax, though: Streamlit's renderer finds bare `http://…`, `www.…` and
`name@host.tld` in the text after the escapes are gone (seen in Chromium: tests/browser/
test_auth.py). So an invisible WORD JOINER (U+2060) goes where the autolinker looks, inside
`://`, after `www` and before `@`: the text reads the same, and no address in it is a link.
"""

from __future__ import annotations

import re
import string

_ESCAPES = str.maketrans({c: "\\" + c for c in string.punctuation})
WORD_JOINER = "\u2060"
_AUTOLINK_TRIGGERS = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)


def literal(text: object) -> str:
    """`text` as Markdown that shows `text` as written: no link, no emphasis, no heading, no HTML."""
    return _AUTOLINK_TRIGGERS.sub(WORD_JOINER, str(text)).translate(_ESCAPES)

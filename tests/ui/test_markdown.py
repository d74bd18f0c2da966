"""ui.markdown.literal: what it gives Markdown shows the text as written (the browser test in
tests/browser/test_auth.py shows that no link or emphasis is left)."""

import re

import pytest

from ui.markdown import WORD_JOINER, literal

SHOWN_AS = re.compile(r"\\(.)")  # what CommonMark shows for a backslash escape: the character


@pytest.mark.parametrize("text", [
    "[点此重新登录](http://evil.example/login)",
    "# 标题\n> 引用\n- 列表\n1. 编号",
    "www.evil.example 与 someone@evil.example",
    "**粗体** _斜体_ `代码` <b>html</b> $x$ ~删~ |表|",
    "HTTPS://A.B WWW.A.B",
    "普通文本 123",
])
def test_literal_shows_the_text_as_written_with_no_markdown_left(text):
    shown = literal(text)
    assert SHOWN_AS.sub(r"\1", shown).replace(WORD_JOINER, "") == text
    unescaped = re.sub(r"\\.", "", shown)  # what Markdown could still read as syntax
    assert not re.search(r"[\[\]()*_`<>#$~|-]", unescaped)
    assert not re.search(r"https?://|www\.|\w@\w", shown.replace("\\", ""), re.IGNORECASE), "no autolink"

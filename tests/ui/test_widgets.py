"""Pieces of ui.widgets that need no Streamlit run: how a tile reads on the wall."""

from __future__ import annotations

from ui.widgets import Tile


def test_a_wall_tile_takes_its_short_label_only_when_the_whole_one_is_long():
    english = Tile("Residence permit expired or expiring in 30 days", "262", short="Permits expiring")
    chinese = Tile("居住证过期或30天内到期", "262", short="居住证到期")
    assert english.wall_label == "Permits expiring"
    assert chinese.wall_label == "居住证过期或30天内到期"
    assert Tile("Residence permit expired or expiring in 30 days", "262").wall_label.startswith("Residence")


def test_a_wall_tile_escapes_its_text_and_keeps_only_known_tones():
    tile = Tile("<b>村</b>", "1 & 2", note="<script>", tone="red onclick=x")
    shown = tile.wall_html()
    assert "<b>" not in shown and "<script>" not in shown and "&lt;b&gt;" in shown and "1 &amp; 2" in shown
    assert 'class="wall-tile "' in shown, "an unknown tone adds no class"
    assert 'class="wall-tile red"' in Tile("a", "1", tone="red").wall_html()


def test_a_table_styler_computed_once_is_sent_as_a_fresh_one_would_be():
    """widgets.table keeps a styled table's Styler (render_cache) and answers its computing once:
    Streamlit marshals it into the same styles and shown texts as a Styler computed afresh, on
    every run (texts that are not the value's str(): floats, a missing number, too)."""
    import pandas as pd
    from streamlit.elements.lib.pandas_styler_utils import marshall_styler
    from streamlit.proto.ArrowData_pb2 import ArrowData

    from ui import widgets

    shown = pd.DataFrame({"预警": ["红色", "", "黄色"], "天数": [3, 0, -1], "分": [1.5, float("nan"), 2.0],
                          "名称": ["a", None, "c"]})
    css = {"红色": "background-color: #c8161d; color: #ffffff", "黄色": "background-color: #f2c200"}
    fresh = shown.style.set_uuid("u1").map(lambda value: css.get(value, ""), subset=["预警"])
    kept = widgets.table_styler(shown, {"预警": css}, uuid="u1")
    sent = []
    for styler in (fresh, kept, kept):  # the kept one twice: the second run answers from the first
        proto = ArrowData()
        marshall_styler(proto, styler, "position")
        sent.append(proto)
    assert sent[0] == sent[1] == sent[2]
    assert "#c8161d" in sent[0].styler.styles and sent[0].styler.uuid == "u1"

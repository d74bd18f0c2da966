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

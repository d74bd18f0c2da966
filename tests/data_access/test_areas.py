"""Places: the filter bar's village list (areas.village_options) says what areas.villages says."""

from __future__ import annotations

import pytest

from data_access import areas

from .. import factories as f


@pytest.fixture
def conn(engine):
    with engine.begin() as conn:
        yield conn


def test_the_village_options_are_the_village_list_as_plain_values(conn):
    f.village(conn, "倪宅村", in_micro_centre=True)
    f.village(conn, "凤凰村", work_area=None)
    f.village(conn, "后吴村", work_area="后吴片区", town="佛堂镇")
    frame = areas.villages(conn)
    expected = tuple(zip(frame["name"], frame["work_area"].fillna(""), frame["in_micro_centre"].astype(bool)))
    assert areas.village_options(conn) == expected
    assert [name for name, _, micro in areas.village_options(conn) if micro] == ["倪宅村"]

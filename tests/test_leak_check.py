"""The personal-data leak check finds exactly what a search for each value finds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from .leak_check import LeakCheck

NAME, ID_NUMBER, PHONE = "张小三", "53010219900517123X", "13812345678"
PEOPLE = LeakCheck([NAME, ID_NUMBER, PHONE, "王大明", "Anna Li", ""])


def test_values_inside_longer_runs_are_found():
    assert PEOPLE.found_in("房东王大明家的租客张小三登记") == ["张小三", "王大明"]
    assert PEOPLE.found_in("time=17138123456789&x=1") == [PHONE]
    assert PEOPLE.found_in(f"<td>{ID_NUMBER}</td>") == [ID_NUMBER]


def test_bytes_are_read_as_utf_8_around_binary_garbage():
    arrow = b"\x00\xff\xe5" + ID_NUMBER.encode() + b"\xe4\xb8" + NAME.encode() + b"\x80\x01"
    assert PEOPLE.found_in(arrow) == sorted([NAME, ID_NUMBER])


def test_masked_values_are_not_found():
    assert PEOPLE.found_in("张*三 5301**********123X 138****5678 王*明", b"\xe5\xbc\xa0*") == []


def test_values_of_another_shape_are_searched_for_as_they_are():
    assert PEOPLE.found_in("signed by Anna Li.") == ["Anna Li"]
    assert len(PEOPLE) == 5, "the empty value is no value"


VALUES = st.lists(st.one_of(st.text("张王小三明李", min_size=2, max_size=4),
                            st.text("0123456789X", min_size=3, max_size=18)), max_size=12)
TEXTS = st.text("张王小三明李0123456789Xx *<>\u00e9\U0001f600", max_size=200)


@settings(max_examples=300, deadline=None)
@given(values=VALUES, text=TEXTS)
def test_the_same_answer_as_one_search_per_value(values, text):
    expected = sorted({v for v in values if v in text})
    assert LeakCheck(values).found_in(text) == expected
    assert LeakCheck(values).found_in(text.encode()) == expected

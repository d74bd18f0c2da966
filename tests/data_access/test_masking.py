"""Masking of personal data (DOMAIN.md): 张*三, 3307**********123X, 138****5678."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from data_access.masking import (
    PERSONAL_COLUMNS,
    mask_frame,
    mask_history,
    mask_id,
    mask_name,
    mask_phone,
    mask_record,
)


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张", "*"), ("张三", "张*"), ("张小三", "张*三"), ("欧阳小明", "欧**明"), ("Li", "L*")],
)
def test_names_keep_first_and_last_character(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("33070219900517123X", "3307**********123X"),  # 18 characters, check character X
        ("330702199005171234", "3307**********1234"),
        ("330702900517123", "3307*******7123"),  # old 15-digit number: first 4, last 4
        ("12345678", "********"),  # too short to keep anything
    ],
)
def test_id_numbers_keep_first_and_last_four(number, masked):
    assert mask_id(number) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("057987654321", "057*****4321"), ("1234567", "*******")],
)
def test_phones_keep_first_three_and_last_four(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize("mask", [mask_name, mask_id, mask_phone])
@pytest.mark.parametrize("empty", [None, ""])
def test_missing_values_pass_through(mask, empty):
    assert mask(empty) == empty


def test_frame_masks_every_personal_column_and_nothing_else():
    df = pd.DataFrame({
        "name": ["张小三", None], "id_number": ["33070219900517123X", "330702199005171234"],
        "phone": ["13812345678", float("nan")], "landlord": ["李四", "王五"],
        "responsible_person": ["赵六六", None], "village": ["倪宅村", "凤凰村"],
    })  # fmt: skip
    out = mask_frame(df)
    assert out["name"].tolist()[0] == "张*三" and out["name"].isna().tolist()[1]
    assert out["id_number"].tolist() == ["3307**********123X", "3307**********1234"]
    assert out["phone"].iloc[0] == "138****5678" and math.isnan(out["phone"].iloc[1])
    assert out["landlord"].tolist() == ["李*", "王*"]
    assert out["responsible_person"].iloc[0] == "赵*六"
    assert out["village"].tolist() == ["倪宅村", "凤凰村"]
    assert df["name"].iloc[0] == "张小三"  # the input is left alone


def test_record_masks_personal_fields():
    record = {"name": "张小三", "phone": None, "responsible_person": "李四", "title": "消防通道堵塞",
              "version": 3}
    assert mask_record(record) == {"name": "张*三", "phone": None, "responsible_person": "李*",
                                   "title": "消防通道堵塞", "version": 3}
    assert set(PERSONAL_COLUMNS) >= {"name", "id_number", "phone"}


def test_history_masks_actors_and_the_person_in_reassignments():
    df = pd.DataFrame({
        "kind": ["found", "reassign", "reassign", "reassign", "status"],
        "actor": ["雷成龙", "leader", "import", None, "赵六六"],
        "old_value": [None, "消防站 / 张小三", "张小三", "旧单位", "待处置"],
        "new_value": ["待处置", "应急办 / —", "李四", "新单位", "整改中"],
        "note": ["通过敲门问候发现", None, "responsible_person changed by import; x", "responsible_unit changed by import",
                 None],
    })  # fmt: skip
    out = mask_history(df)
    assert out["actor"].tolist()[:3] == ["雷*龙", "l****r", "i****t"] and out["actor"].isna().tolist()[3]
    assert out["old_value"].tolist()[1:4] == ["消防站 / 张*三", "张*三", "旧单位"]
    assert out["new_value"].tolist()[1:] == ["应急办 / —", "李*", "新单位", "整改中"]
    assert df["actor"].iloc[0] == "雷成龙"  # the input is left alone
    assert mask_history(df.iloc[:0]).empty

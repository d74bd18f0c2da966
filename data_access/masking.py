"""Masking of personal data (DOMAIN.md): the one place it is done.

name 张*三 (first and last character kept), ID 3307**********123X (first 4, last 4),
phone 138****5678 (first 3, last 4).
"""

from __future__ import annotations

import re

import pandas as pd

PERSONAL_COLUMNS = {"name": "name", "id_number": "id", "phone": "phone", "landlord": "name",
                    "landlord_phone": "phone", "reporter": "name", "responsible_person": "name",
                    # the ledgers of issue 18: key projects, first petitions, mediated disputes
                    "leader": "name", "petitioner": "name", "contact_leader": "name", "village_cadre": "name",
                    "village_official": "name", "mediator": "name"}


def mask_name(value: str | None) -> str | None:
    if not value:
        return value
    if len(value) == 1:
        return "*"
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_id(value: str | None) -> str | None:
    if not value:
        return value
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    if not value:
        return value
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


_MASKERS = {"name": mask_name, "id": mask_id, "phone": mask_phone}

# An ID number (18 characters, the last may be X) or a mobile number standing alone in free text.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_PHONE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def mask_in_text(text: str | None) -> str | None:
    """`text` with every ID number and mobile number in it masked: for free text that leaves the
    system (an upstream title may hold a phone number)."""
    if not text:
        return text
    text = _ID_IN_TEXT.sub(lambda m: mask_id(m.group()), text)
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group()), text)


def mask_as(kind: str, value: str | None) -> str | None:
    """`value` masked as a `kind` of personal data: "name", "id" or "phone"."""
    return _MASKERS[kind](value)


def mask_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` with every personal column masked."""
    out = df.copy()
    for column, kind in PERSONAL_COLUMNS.items():
        if column in out.columns:
            out[column] = out[column].map(_MASKERS[kind], na_action="ignore")
    return out


def mask_record(record: dict) -> dict:
    """A copy of one record (a dict, e.g. a hazard's detail) with every personal field masked."""
    return {key: _MASKERS[PERSONAL_COLUMNS[key]](value) if key in PERSONAL_COLUMNS and isinstance(value, str)
            else value for key, value in record.items()}


# hazards.history's kinds whose old and new values may name the responsible person.
_REASSIGN_KINDS = ("reassign",)
_WHO_SEPARATOR = " / "  # review.reassign writes "unit / person"


def _mask_responsible(value: str | None, note: str | None) -> str | None:
    if not isinstance(value, str) or not value:
        return value
    if _WHO_SEPARATOR in value:
        unit, _, person = value.rpartition(_WHO_SEPARATOR)
        return f"{unit}{_WHO_SEPARATOR}{mask_name(person) if person != '—' else person}"
    # An import writes one column per row, its note saying which ("responsible_person changed by import").
    return mask_name(value) if (note or "").startswith("responsible_person") else value


def mask_history(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of hazards.history's frame with the people masked: every actor (grid workers,
    leaders) and the responsible person in reassignments."""
    out = df.copy()
    if out.empty:
        return out
    out["actor"] = out["actor"].map(mask_name, na_action="ignore")
    reassigned = out["kind"].isin(_REASSIGN_KINDS)
    for column in ("old_value", "new_value"):
        out.loc[reassigned, column] = [
            _mask_responsible(value, note)
            for value, note in zip(out.loc[reassigned, column], out.loc[reassigned, "note"])
        ]
    return out

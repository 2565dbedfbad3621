"""`-o json` text: the json module's indented text, made in C."""

from __future__ import annotations

import json
from enum import StrEnum

from hypothesis import given
from hypothesis import strategies as st

from aimsync.report.json_text import indented_json

REPORT_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.sampled_from([0.0, 0.5, 1.25, -3.75, 1e-3, 12345.678]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=25,
)


class Phase(StrEnum):
    READY = "Ready"


@given(REPORT_VALUES)
def test_the_text_is_what_the_json_module_writes_with_an_indent_of_two(value: object) -> None:
    assert indented_json(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_characters_are_written_as_they_are_not_as_escapes() -> None:
    assert indented_json({"message": "before → after, é"}) == (
        '{\n  "message": "before → after, é"\n}')


def test_enum_members_are_written_as_their_values() -> None:
    assert indented_json({"phase": Phase.READY, "items": ()}) == (
        '{\n  "phase": "Ready",\n  "items": []\n}')

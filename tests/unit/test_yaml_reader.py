"""The safe, positioned YAML reader."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from aimsync.load.yaml_reader import (
    Position,
    YamlLimits,
    read_pyyaml_output,
    read_yaml_documents,
    read_yaml_values,
)
from aimsync.report.fast_yaml import block_yaml


def test_positions_are_recorded_for_keys_and_list_items() -> None:
    documents, problem = read_yaml_documents("a: 1\nb:\n  - x\n  - c: 2\n")
    assert problem is None
    positions = documents[0].positions
    assert positions[("a",)] == Position(1, 1)
    assert positions[("b", 1)] == Position(4, 5)
    assert positions[("b", 1, "c")] == Position(4, 5)


def test_missing_path_falls_back_to_nearest_written_ancestor() -> None:
    documents, _ = read_yaml_documents("spec:\n  x: 1\n")
    position, found = documents[0].position_of(("spec", "image"))
    assert (position, found) == (Position(1, 1), ("spec",))


def test_yaml_1_2_core_schema_keeps_yes_and_no_as_strings() -> None:
    documents, _ = read_yaml_documents("a: yes\nb: no\nc: on\nd: true\ne: 0x1f\nf: 0o17\ng: ~\n")
    assert documents[0].value == {
        "a": "yes", "b": "no", "c": "on", "d": True, "e": 31, "f": 15, "g": None
    }


def test_quoted_numbers_stay_strings() -> None:
    documents, _ = read_yaml_documents('a: "1"\nb: \'2.5\'\nc: 1\n')
    assert documents[0].value == {"a": "1", "b": "2.5", "c": 1}


def test_explicit_standard_tags_are_honoured() -> None:
    documents, problem = read_yaml_documents("a: !!str 1\nb: !!int '7'\n")
    assert problem is None
    assert documents[0].value == {"a": "1", "b": 7}


def test_application_tags_are_refused() -> None:
    _, problem = read_yaml_documents("a: !!python/object/apply:os.system ['true']\n")
    assert problem is not None
    assert "unsupported YAML tag" in problem.message
    assert problem.position == Position(1, 4)


def test_duplicate_keys_are_refused_with_both_lines() -> None:
    _, problem = read_yaml_documents("a: 1\nb: 2\na: 3\n")
    assert problem is not None
    assert problem.message == "duplicate key 'a' (first at line 1)"
    assert problem.position.line == 3


def test_multi_document_files_drop_empty_documents() -> None:
    documents, problem = read_yaml_documents("---\na: 1\n---\n# only a comment\n---\nb: 2\n")
    assert problem is None
    assert [d.value for d in documents] == [{"a": 1}, {"b": 2}]
    assert [d.index for d in documents] == [0, 2]


def test_documents_before_a_syntax_error_are_kept() -> None:
    documents, problem = read_yaml_documents("a: 1\n---\nb: [1, 2\n")
    assert [d.value for d in documents] == [{"a": 1}]
    assert problem is not None and problem.message.startswith("YAML syntax error")
    assert problem.position.line == 4


def test_aliases_and_merge_keys_expand() -> None:
    text = "base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\ncopy: *b\n"
    documents, problem = read_yaml_documents(text)
    assert problem is None
    assert documents[0].value == {
        "base": {"x": 1, "y": 2}, "use": {"y": 3, "x": 1}, "copy": {"x": 1, "y": 2}
    }


def test_alias_bomb_is_refused_before_it_grows() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    _, problem = read_yaml_documents("\n".join(lines) + "\n")
    assert problem is not None
    assert "alias bomb" in problem.message


def test_recursive_alias_is_refused() -> None:
    _, problem = read_yaml_documents("a: &a [*a]\n")
    assert problem is not None and "recursive alias" in problem.message


def test_deep_nesting_is_refused_without_recursion() -> None:
    _, problem = read_yaml_documents("[" * 100_000 + "]" * 100_000)
    # aimsync stops at 64 levels; newer libyaml builds (PyYAML 6.0.4) refuse even earlier.
    assert problem is not None and "nesting" in problem.message
    _, problem = read_yaml_documents("a:\n" + "".join(" " * i + "- \n" for i in range(1, 80)))
    assert problem is not None and "nesting is deeper than 64" in problem.message


def test_too_many_documents_are_refused() -> None:
    _, problem = read_yaml_documents("a: 1\n---\n" * 5, YamlLimits(max_documents_per_file=3))
    assert problem is not None and "more than 3 documents" in problem.message


def test_infinity_is_refused_because_json_cannot_hold_it() -> None:
    _, problem = read_yaml_documents("a: .inf\n")
    assert problem is not None and "cannot be represented in JSON" in problem.message


def test_complex_keys_are_refused() -> None:
    _, problem = read_yaml_documents("? [a, b]\n: 1\n")
    assert problem is not None and "mapping key must be a plain string" in problem.message


def test_alias_expansion_is_bounded_in_bytes() -> None:
    """A 200 KB string aliased 4,000 times is a small file but 800 MB of values."""
    text = "a: &s " + "x" * 200_000 + "\nb: [" + ",".join(["*s"] * 4000) + "]\n"
    _, problem = read_yaml_documents(text)
    assert problem is not None and "bytes of values after expanding aliases" in problem.message


def test_without_positions_they_are_found_when_asked_and_a_released_value_is_read_again(
) -> None:
    text = "a: 1\nb:\n  - x\n  - c: 2\n---\nd: [3]\n"
    full, _ = read_yaml_documents(text)
    fast, problem = read_yaml_values(text)
    assert problem is None
    assert [d.value for d in fast] == [d.value for d in full]
    for document in fast:
        document.release()
    assert [d.value for d in fast] == [d.value for d in full]
    assert [d.positions for d in fast] == [d.positions for d in full]
    assert fast[1].position_of(("d", 0)) == (Position(6, 5), ("d", 0))


# -- files PyYAML wrote (status/) ----------------------------------------------------------

_TRICKY = "0123456789oxbeE.+-_:~ =yesnoTrueFALSNul"
_STATUS_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
    st.text(alphabet=_TRICKY, max_size=8), st.text(max_size=12),
)
_STATUS_VALUES = st.recursive(
    _STATUS_SCALARS,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(alphabet=_TRICKY, min_size=1, max_size=6), inner, max_size=3),
    max_leaves=12,
)


@given(st.lists(st.dictionaries(st.text(min_size=1, max_size=8), _STATUS_VALUES, min_size=1,
                                max_size=4), min_size=1, max_size=3))
def test_a_file_pyyaml_wrote_reads_as_pyyamls_loader_reads_it_or_is_left_to_it(
    documents: list[Any],
) -> None:
    text = "".join(f"---\n{block_yaml(document)}" for document in documents)
    loaded = [d for d in yaml.load_all(text, Loader=yaml.CSafeLoader) if d is not None]
    read = read_pyyaml_output(text)
    assert read is None or read == loaded  # None: the caller reads it with PyYAML's loader


def test_strings_pyyaml_leaves_plain_stay_strings_though_yaml_1_2_reads_numbers() -> None:
    strings = {"octal": "0o17", "exponent": "1e3", "signed-fraction": "-.5"}
    text = block_yaml(strings)
    assert "0o17" in text and "'0o17'" not in text  # written plain
    assert read_pyyaml_output(text) == [strings]


def test_what_only_pyyamls_loader_reads_the_same_is_left_to_it() -> None:
    assert read_pyyaml_output("a: &x 1\nb: *x\n") is None
    assert read_pyyaml_output("a: !!str 1\n") is None
    assert read_pyyaml_output("a: 1\na: 2\n") is None

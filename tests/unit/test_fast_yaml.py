"""The YAML of object diffs is PyYAML's, byte for byte, however it is made (report/fast_yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimsync.findings import Severity
from aimsync.pipeline import render_repository
from aimsync.render.gating import CacheState
from aimsync.report import fast_yaml
from aimsync.report.embedded import as_data
from aimsync.report.fast_yaml import block_yaml, sorted_yaml
from aimsync.report.manifests import manifests_yaml, manifests_yaml_pieces, to_yaml

ROOT = Path(__file__).resolve().parents[2]

# Multi-line strings (the profile YAML of ConfigMaps): literal blocks, or double-quoted when
# no block can hold them, at any depth.
lines = st.lists(
    st.one_of(st.text(max_size=8),
              st.sampled_from(["", " ", "  a", "a ", "#", "- x", "\t", "é", "😀", "k: v", "...",
                               "---", "\r", "\u2028"])),
    min_size=2, max_size=5,
).map("\n".join)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
    st.text(max_size=30), lines, st.sampled_from(list(Severity)),
    st.sampled_from(["8000", "true", "no", "~", "", "-x", "a: b", "#c", "1e3", "0o7", "x\ny",
                     "'q'", '"q"', " lead", "trail ", "é", "* star", "&a", "!t", "%p", "@a",
                     "`b", "a" * 200, "- item", "? k", "null", "2026-12-01", "a:", "a:b",
                     "a #b", "a#b", "...x", "1:20", "0x1F", "Yes", "=", "<<", ".5", "8Gi",
                     "a\n", "\n", "a\n\n", "\na", " a\nb", "a \nb", "a\n b\n", "x" * 300 + "\ny"]),
)
keys = st.one_of(st.text(max_size=12),
                 st.sampled_from(["a", "x" * 130, "é" * 70, "é" * 60, "a:b", "1", "true", "? x"]))
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(keys, inner, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, documents, max_size=5))
def test_any_document_is_written_as_pyyaml_writes_it(document: dict[str, object]) -> None:
    assert sorted_yaml(document) == to_yaml(document, sort_keys=True)


def test_every_rendered_object_is_written_as_pyyaml_writes_it() -> None:
    rendered = render_repository(ROOT / "repo-layout")
    manifests = [as_data(o.manifest) for o in rendered.desired.objects]
    assert manifests
    for manifest in manifests:
        assert sorted_yaml(manifest) == to_yaml(manifest, sort_keys=True)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, documents, max_size=5))
def test_any_document_in_its_own_key_order_is_written_as_pyyaml_writes_it(
    document: dict[str, object],
) -> None:
    assert block_yaml(document) == to_yaml(document)


def test_every_rendered_manifest_in_apply_order_is_written_as_pyyaml_writes_it() -> None:
    rendered = render_repository(ROOT / "repo-layout")
    for obj in rendered.gated(CacheState(assume_ready=True)).objects:
        assert block_yaml(obj.manifest) == to_yaml(obj.manifest)  # StrEnum values included


def test_the_manifests_stream_is_every_manifest_as_pyyaml_writes_it() -> None:
    rendered = render_repository(ROOT / "repo-layout")
    objects = list(rendered.gated(CacheState(assume_ready=True)).objects)
    expected = "".join(f"---\n{to_yaml(o.manifest)}" for o in objects)
    assert manifests_yaml(objects) == expected
    assert "".join(manifests_yaml_pieces(objects)) == expected


def test_a_profile_configmap_is_written_without_falling_back_to_pyyaml(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The profile YAML (a multi-line string) is a literal block written here: PyYAML is
    asked for that string once, not for the whole document."""
    rendered = render_repository(ROOT / "repo-layout")
    configmaps = [o.manifest for o in rendered.desired.objects if o.key.kind == "ConfigMap"]
    assert configmaps
    expected = [to_yaml(m) for m in configmaps]
    whole: list[object] = []
    real = fast_yaml.to_yaml

    def counted(document: object, *, sort_keys: bool = False) -> str:
        if isinstance(document, dict) and "apiVersion" in document:
            whole.append(document)
        return real(document, sort_keys=sort_keys)

    monkeypatch.setattr(fast_yaml, "to_yaml", counted)
    assert [block_yaml(m) for m in configmaps] == expected
    assert whole == []


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(
    [chr(c) for c in range(32, 127)] + list("-?:,#&*!|>'\"%@` .~=+<0123456789yYnNtTfFoO")
), min_size=1, max_size=10))
def test_a_string_taken_as_plain_is_what_pyyaml_writes(text: str) -> None:
    """The one shortcut past PyYAML: a string judged plain is written as it is."""
    if fast_yaml._plain(text):
        assert fast_yaml._dumped(text) == text


def test_a_part_two_manifests_share_is_written_out_in_each_without_an_alias() -> None:
    shared = {"name": "dshm", "mountPath": "/dev/shm"}
    listing = {"items": [{"mounts": [shared]}, {"mounts": [shared]}]}
    written = fast_yaml.to_yaml(listing)
    assert "&" not in written and "*" not in written
    assert written.count("mountPath: /dev/shm") == 2

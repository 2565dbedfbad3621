"""The YAML of object diffs is PyYAML's, byte for byte, however it is made (report/fast_yaml)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from aimsync.pipeline import render_repository
from aimsync.render.gating import CacheState
from aimsync.report.embedded import as_data
from aimsync.report.fast_yaml import block_yaml, sorted_yaml
from aimsync.report.manifests import to_yaml

ROOT = Path(__file__).resolve().parents[2]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["8000", "true", "no", "~", "", "-x", "a: b", "#c", "1e3", "0o7", "x\ny",
                     "'q'", '"q"', " lead", "trail ", "é", "* star", "&a", "!t", "%p", "@a",
                     "`b", "a" * 200, "- item", "? k", "null", "2026-12-01"]),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=12), documents, max_size=5))
def test_any_document_is_written_as_pyyaml_writes_it(document: dict[str, object]) -> None:
    assert sorted_yaml(document) == to_yaml(document, sort_keys=True)


def test_every_rendered_object_is_written_as_pyyaml_writes_it() -> None:
    rendered = render_repository(ROOT / "repo-layout")
    manifests = [as_data(o.manifest) for o in rendered.desired.objects]
    assert manifests
    for manifest in manifests:
        assert sorted_yaml(manifest) == to_yaml(manifest, sort_keys=True)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=12), documents, max_size=5))
def test_any_document_in_its_own_key_order_is_written_as_pyyaml_writes_it(
    document: dict[str, object],
) -> None:
    assert block_yaml(document) == to_yaml(document)


def test_every_rendered_manifest_in_apply_order_is_written_as_pyyaml_writes_it() -> None:
    rendered = render_repository(ROOT / "repo-layout")
    for obj in rendered.gated(CacheState(assume_ready=True)).objects:
        assert block_yaml(obj.manifest) == to_yaml(obj.manifest)  # StrEnum values included

"""The diff reports: masking, the Markdown budget, JSON patches."""

from __future__ import annotations

from aimsync.core.objects import DesiredObject, ObjectKey
from aimsync.plan.changes import Action
from aimsync.plan.compare import compare_sets
from aimsync.report.diff import format_markdown
from aimsync.report.masking import mask, mask_pair


def obj(name: str, value: str, env: str = "HF_TOKEN") -> DesiredObject:
    manifest: dict[str, object] = {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {"containers": [{"env": [{"name": env, "value": value}]}]},
    }
    return DesiredObject(ObjectKey("v1", "ConfigMap", "ns", name), manifest, origin="test")


def env_value(manifest: dict[str, object] | None) -> object:
    assert manifest is not None
    return manifest["spec"]["containers"][0]["env"][0]["value"]  # type: ignore[index]


def test_unchanged_secret_is_masked_the_same_on_both_sides() -> None:
    before, after = mask_pair(obj("a", "s3cret").manifest, obj("a", "s3cret").manifest)
    assert env_value(before) == env_value(after) == "***"


def test_changed_secret_shows_before_and_after_markers() -> None:
    before, after = mask_pair(obj("a", "old").manifest, obj("a", "new").manifest)
    assert (env_value(before), env_value(after)) == ("*** (before)", "*** (after)")


def test_ordinary_values_are_not_masked() -> None:
    assert env_value(mask(obj("a", "info", env="LOG_LEVEL").manifest)) == "info"


def test_masking_does_not_touch_the_input() -> None:
    original = obj("a", "s3cret")
    mask(original.manifest)
    assert env_value(original.manifest) == "s3cret"


def test_compare_sets_orders_deletes_last_and_patches_updates() -> None:
    changes = compare_sets([obj("gone", "x"), obj("same", "x"), obj("edit", "1")],
                           [obj("same", "x"), obj("edit", "2"), obj("new", "x")])
    assert [(c.key.name, c.action) for c in changes.changes] == [
        ("edit", Action.UPDATE), ("new", Action.CREATE), ("same", Action.UNCHANGED),
        ("gone", Action.DELETE),
    ]
    assert changes.changes[0].patch == (
        {"op": "replace", "path": "/spec/containers/0/env/0/value", "value": "2"},
    )


def test_markdown_stays_within_budget_and_says_what_was_left_out() -> None:
    before = [obj(f"o{i:03}", "a" * 500, env="X") for i in range(100)]
    after = [obj(f"o{i:03}", "b" * 500, env="X") for i in range(100)]
    text = format_markdown(compare_sets(before, after), None, "t", budget=20_000)
    assert len(text.encode()) <= 20_000
    assert "changed objects are not shown here** (this comment stays under 20,000 bytes)" in text
    assert text.count("<details>") == text.count("</details>")
    assert text.count("```diff") == text.count("```\n\n</details>")


def test_markdown_without_changes_says_so() -> None:
    text = format_markdown(compare_sets([obj("a", "x")], [obj("a", "x")]), None, "t")
    assert "No changes to the derived Kubernetes objects." in text


def profile_configmap(token: str) -> dict[str, object]:
    """A profile ConfigMap as render writes it: the profile file as YAML text."""
    from aimsync.render.profile_configmap import profile_document
    from tests.factories import make_specs

    specs = make_specs(cluster={"p": {"aimId": "a/b", "image": "i:1", "engineEnv": {
        "HF_TOKEN": token, "VLLM_LOGGING_LEVEL": "INFO"}}})
    document = profile_document(specs.cluster_profiles["p"].obj.spec)
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "p", "namespace": "ns"}, "data": {"p.yaml": document}}


def test_a_credential_in_the_profile_file_is_masked_as_data() -> None:
    before, after = mask_pair(profile_configmap("hf_old"), profile_configmap("hf_new"))
    assert before is not None and after is not None
    old, new = before["data"]["p.yaml"], after["data"]["p.yaml"]  # type: ignore[index]
    assert "hf_old" not in old and "hf_new" not in new
    assert "HF_TOKEN: '*** (before)'" in old and "HF_TOKEN: '*** (after)'" in new
    assert "VLLM_LOGGING_LEVEL: INFO" in new  # ordinary values stay readable


def test_names_that_look_like_credentials_are_masked() -> None:
    for name in ("OPENAI_KEY", "DB_PASS", "awsSecretAccessKey", "X_API_KEY", "HFTOKEN"):
        assert env_value(mask(obj("a", "s3cret", env=name).manifest)) == "***", name


def test_userinfo_of_a_url_is_masked_in_every_string() -> None:
    manifest: dict[str, object] = {"kind": "Job", "spec": {"args": ["s3://key:secret@bucket/m"]}}
    masked = mask(manifest)
    assert masked["spec"] == {"args": ["s3://***@bucket/m"]}

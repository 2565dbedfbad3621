"""Every quantity validate lets through can be used by render: what Kubernetes cannot parse
or hold is a located validation error (exit 2), never an internal error later."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from aimsync.cli import cli
from aimsync.core.quantity import QuantityError, parse_quantity
from tests.support import CLUSTER_PROFILE, validate_files, write_repo

CLP = "cluster/profiles/qwen.yaml"
# What the CRDs' pattern accepts but Kubernetes cannot parse (a fractional exponent) or hold.
UNUSABLE = ["1e1.5", "1E.5", "1e99", "8Ei", "9223372036854775808", "1e19"]


@pytest.mark.parametrize("text", [*UNUSABLE, "2e0.1Gi", "35 GiB", "1x"])
def test_unusable_quantities_are_refused_by_the_parser(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)


@pytest.mark.parametrize(("text", "value"), [
    ("1e3", "1000"), ("5E-2", "0.05"), ("1e+3", "1000"), ("35Gi", str(35 * 2**30)),
    ("+64Gi", str(64 * 2**30)), ("500m", "0.5"), ("1.", "1"), (".5Gi", str(2**29)),
    ("9223372036854775807", str(2**63 - 1)),
])
def test_kubernetes_quantities_are_parsed_exactly(text: str, value: str) -> None:
    assert parse_quantity(text) == Decimal(value)


@pytest.mark.parametrize("text", UNUSABLE)
def test_an_unusable_model_source_size_is_a_located_error(tmp_path: Path, text: str) -> None:
    result = validate_files(tmp_path, {CLP: CLUSTER_PROFILE.replace("35Gi", text)})
    (error,) = result.findings.errors
    assert (error.location.path, error.location.line) == (CLP, 17)
    assert error.field == "spec.modelSources[0].size"
    assert error.rule == "schema.quantity_value"


def test_an_unusable_resource_quantity_is_a_located_error(tmp_path: Path) -> None:
    profile = CLUSTER_PROFILE.replace(
        "  acceleratorCount: 1\n", "  acceleratorCount: 1\n  resources:\n"
        "    requests: {cpu: 1e1.5}\n"
    )
    (error,) = validate_files(tmp_path, {CLP: profile}).findings.errors
    assert error.field == "spec.resources.requests.cpu"
    assert "an exponent must be a whole number" in error.message


def test_render_exits_2_with_the_location_instead_of_an_internal_error(tmp_path: Path) -> None:
    write_repo(tmp_path, {CLP: CLUSTER_PROFILE.replace("35Gi", "1e1.5")})
    result = CliRunner().invoke(cli, ["render", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{CLP}:17:7: error: spec.modelSources[0].size: '1e1.5': an exponent" in (
        result.stderr
    )
    assert "internal error" not in result.stderr

"""Typed finding details: fields for the reporters, the same mapping for everyone else."""

from __future__ import annotations

import json

import pytest

from fkaudit.findings import Finding, ImpliedKeyDetails, OrphanDetails, Severity
from fkaudit.reporters.json_format import finding_to_dict

ORPHANS = OrphanDetails(
    orphan_count=3,
    samples=[{"p_id": "7"}],
    query="SELECT 1",
    estimated=False,
    sample_percent=None,
)


def _finding(code: str, details: object) -> Finding:
    return Finding(
        code=code,
        name="n",
        severity=Severity.ERROR,
        schema="public",
        table="c",
        constraint="c_p",
        columns=("p_id",),
        message="m",
        details=details,  # type: ignore[arg-type]
    )


def test_typed_details_read_as_the_mapping_they_replace() -> None:
    assert list(ORPHANS) == ["orphan_count", "samples", "query", "estimated", "sample_percent"]
    assert ORPHANS["orphan_count"] == 3 and ORPHANS.get("missing") is None
    assert dict(ORPHANS) == {
        "orphan_count": 3,
        "samples": [{"p_id": "7"}],
        "query": "SELECT 1",
        "estimated": False,
        "sample_percent": None,
    }
    with pytest.raises(KeyError):
        ORPHANS["__class__"]  # attributes that are not fields are not keys


def test_json_promotes_the_scan_results_of_the_data_rules_only() -> None:
    orphaned = finding_to_dict(_finding("FK501", ORPHANS))
    keys = list(orphaned)
    assert keys[keys.index("details") + 1 :] == ["orphan_count", "samples", "query", "estimated"]
    assert orphaned["details"]["sample_percent"] is None
    implied = finding_to_dict(
        _finding("FK502", ImpliedKeyDetails("public.p", "id", orphan_count=None))
    )
    assert implied["orphan_count"] is None
    assert list(implied["details"]) == ["referenced_table", "referenced_column", "orphan_count"]
    other = finding_to_dict(_finding("FK101", {"orphan_count": 1}))
    assert "orphan_count" not in other  # an untyped key of another rule stays in details
    assert json.loads(json.dumps(orphaned))["samples"] == [{"p_id": "7"}]

"""The suite can share a machine: each run writes into a temporary directory no other run touches."""

import tempfile
from pathlib import Path

import pytest


def test_each_run_has_a_temporary_directory_of_its_own(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    run_dir = next((p for p in [tmp_path, *tmp_path.parents] if p.name.startswith("cshub-tests-")), None)
    if run_dir is None:
        pytest.skip("--basetemp was given: the caller chose the directory")
    # Made by mkdtemp directly in the system's temporary directory, not one of pytest's numbered
    # directories that a later run prunes (pytest-of-<user>/pytest-<n>).
    assert run_dir.parent == Path(tempfile.gettempdir())
    assert "pytest-of-" not in str(tmp_path)

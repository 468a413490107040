"""Reviews written by several processes at once into one catalogue are all kept."""

from __future__ import annotations

import shutil
from pathlib import Path

from stress.reviews import run_load


def test_reviews_written_by_four_processes_at_once_are_all_kept_exactly_once(
    sample_home: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(sample_home, home)
    result = run_load(home, procs=4, changes=25)
    assert result["errors"] == [] and result["exit_codes"] == [0, 0, 0, 0]
    assert (result["present"], result["lost"], result["duplicated"]) == (100, 0, 0)
    assert result["audit_entries"] == 100

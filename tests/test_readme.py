"""The README's "Use it on your own catalogue" section runs as written (on the embedded data)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def blocks(root: Path, language: str) -> list[str]:
    readme = (root / "README.md").read_text()
    section = readme.split("## Use it on your own catalogue", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


def test_own_catalogue_section_runs(root, tmp_path):
    commands = [line.split("#", 1)[0].strip() for line in blocks(root, "bash")[0].splitlines()]
    runnable = [c for c in commands if c and "my_shop" not in c]  # the user's own file is the one we lack
    assert len(runnable) == 2
    cli = Path(sys.executable).parent / "recsys-tutorial"
    env = {**os.environ, "PATH": f"{cli.parent}{os.pathsep}{os.environ['PATH']}"}
    for command in runnable:
        done = subprocess.run(command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=600, check=False)
        assert done.returncode == 0, (command, done.stderr[-2000:])
    assert "mf-bias:" in done.stdout and "recall@10" in done.stdout
    code = blocks(root, "python")[0]
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "rank" in done.stdout and (tmp_path / "vectors.txt").stat().st_size > 0


def test_profile_tables_are_the_measured_record(root):
    """README and the book's introduction show exactly what benchmarks/bench_book.py recorded: measured, not typed."""
    import json

    sys.path.insert(0, str(root / "benchmarks"))
    import bench_book

    record = json.loads((root / "benchmarks" / "book_profiles.json").read_text())
    assert {"ci", "default", "electronics"} <= record.keys()
    for path in bench_book.DOCS:
        assert bench_book.docs_block(path.read_text()) == bench_book.table(record), path.name

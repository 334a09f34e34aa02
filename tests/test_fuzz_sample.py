"""A small sample of `make fuzz` (pipeline/fuzz.py): hostile files of every class, mutated real files and
hypothesis-drawn tables through the gate-1 validator in a worker process. No crash, no abort, every row
accounted for. The volume (1 000+ files, whole pipeline rounds) is `make fuzz`'s."""

from __future__ import annotations

import random

from pipeline.fuzz import class_files, hypothesis_files, mutated_files, validate_all


def test_a_sample_of_hostile_files_gives_findings_never_crashes(tmp_path, monkeypatch):
    monkeypatch.setenv("KKM2_MAKS_UKOMPRIMERET_MB", "64")  # the sample's smaller zip bomb is still one
    files = class_files(tmp_path / "k", seed=1, bomb_mb=100)
    files = random.Random(1).sample(files, 20) + mutated_files(tmp_path / "m", 10, seed=1)
    files += hypothesis_files(tmp_path / "h", 10, seed=1)
    stats = validate_all(files)
    assert stats["filer"] == len(files) >= 40
    assert stats["nedbrud"] == []
    assert stats["optaelling"] == []
    assert stats["tomme_beskeder"] == 0

"""The light validator: installed without the platform extras (no Dagster, dbt or GX) in a fresh virtual
environment, `kkm2-validate` checks a submission with the same code as gate 1."""

from __future__ import annotations

import json
import subprocess
import sys
import venv

from pipeline.generate.published import DOCS_DIR
from pipeline.settings import REPO_ROOT


def test_kkm2_validate_runs_in_a_fresh_environment_with_only_its_own_dependencies(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "-c", str(REPO_ROOT / "requirements.lock"), str(REPO_ROOT)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    heavy = subprocess.run([str(py), "-c", "import dagster"], capture_output=True, text=True)
    assert heavy.returncode != 0  # the platform is not there
    validate = env_dir / "bin" / "kkm2-validate"
    ok = subprocess.run(
        [str(validate), str(DOCS_DIR / "eksempler"), "--json"], capture_output=True, text=True, cwd=tmp_path
    )
    assert ok.returncode == 0, ok.stdout[-2000:] + ok.stderr[-2000:]
    counts = json.loads(ok.stdout)["counts"]
    assert all(c["raekker_accepteret"] == 1 for c in counts.values())
    bad = tmp_path / "bygninger.csv"
    bad.write_text(
        "bygning_id;navn;anvendelseskode;bruttodriftsareal_m2;ejerforhold\nB1;x;421;-1;ejet\n",
        encoding="utf-8",
    )
    err = subprocess.run([str(validate), str(bad)], capture_output=True, text=True, cwd=tmp_path)
    assert err.returncode == 1
    assert "bygninger.csv, række 2, kolonne bruttodriftsareal_m2" in err.stdout
    assert sys.executable != str(py)

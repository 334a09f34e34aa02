"""The service's API specification for vendors (docs/api/openapi.json), from the FastAPI app itself."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.settings import REPO_ROOT, Home

OPENAPI = REPO_ROOT / "docs" / "api" / "openapi.json"


def render_openapi() -> str:
    from pipeline.service.app import create_app

    spec = create_app(Home(Path("/kkm2_home"))).openapi()  # building the app touches no home
    return json.dumps(spec, ensure_ascii=False, indent=1) + "\n"


def generated_files() -> dict[Path, str]:
    return {OPENAPI: render_openapi()}

"""GX Data Docs that work offline. GX's page templates load jQuery, Bootstrap, bootstrap-table, Popper, the
datepicker, Font Awesome and Vega from CDNs, and its logo from S3: opened from the release without a network,
the index lists nothing and the pages are unstyled. Each of those files is taken from its npm package at the
version GX asks for (pinned here with the registry's integrity hash; `make install` fetches them once,
`python -m pipeline.quality.docs_assets`), shipped in the release under `quality/static/vendor/`, and every
page's reference is rewritten to the shipped file.

The Vega URLs name only a major version (vega@5); the pin is the newest release of that major on the day it was
made, which is what those URLs served then."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the npm registry's dist.integrity of the tarball

    @property
    def folder(self) -> str:
        return f"{self.name.replace('/', '__')}@{self.version}"


JQUERY = Package(
    "jquery",
    "3.7.1",
    "sha512-m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg==",
)
BOOTSTRAP = Package(
    "bootstrap",
    "4.3.1",
    "sha512-rXqOmH1VilAt2DyPzluTi2blhk17bO7ef+zLLPlWvG494pDxcM234pJ8wTc/6R40UWizAIIMgxjvxZg5kmsbag==",
)
POPPER = Package(
    "popper.js",
    "1.12.9",
    "sha512-s0EEi9xiSCdqz9lV4IiVH5yIZnDX/U1t0tCjB+0jXx9jW8lrR7kOpVupiUg175ogqVoudpDXHF1p6dKATCHMeg==",
)
TABLE_1191 = Package(
    "bootstrap-table",
    "1.19.1",
    "sha512-WvV+l1AI/C+zThaKmfHmi/IuayVNB0qdFyEhFx1jyZhO0oLtNJNANkCR3rvJf6Dkh72dsLElxpE/bzK9seEQLA==",
)
TABLE_1190 = Package(
    "bootstrap-table",
    "1.19.0",
    "sha512-L+USHm3X9FKocx/6yngGu12yF6r6s1Ntuc+hoIK2a2QQJjHw5kcySLiE2HY/9sEaSGAOfPbfQOtBH3uKkcpqEA==",
)
DATEPICKER = Package(
    "bootstrap-datepicker",
    "1.9.0",
    "sha512-9rYYbaVOheGYxjOr/+bJCmRPihfy+LkLSg4fIFMT9Od8WwWB/MB50w0JO1eBgKUMbb7PFHQD5uAfI3ArAxZRXA==",
)
FONTAWESOME = Package(
    "@fortawesome/fontawesome-free",
    "6.6.0",
    "sha512-60G28ke/sXdtS9KZCpZSHHkCbdsOGEhIUGlwq6yhY74UpTiToIh8np7A8yphhM4BWsvNFtIvLpi4co+h9Mr9Ow==",
)
VEGA = Package(
    "vega",
    "5.33.1",
    "sha512-1fArfVDUqVbb5z8n+/nVQb+VNBzx8svY6CrsyTK4Ujm4yrd9I1auoKxBAPXLCavY1LcrbHUskQbGUP8gXOzyQw==",
)
VEGA_LITE = Package(
    "vega-lite",
    "5.23.0",
    "sha512-l4J6+AWE3DIjvovEoHl2LdtCUkfm4zs8Xxx7INwZEAv+XVb6kR6vIN1gt3t2gN2gs/y4DYTs/RPoTeYAuEg6mA==",
)
VEGA_EMBED = Package(
    "vega-embed",
    "6.29.0",
    "sha512-PmlshTLtLFLgWtF/b23T1OwX53AugJ9RZ3qPE2c01VFAbgt3/GSNI/etzA/GzdrkceXFma+FDHNXUppKuM0U6Q==",
)
BOOTSTRAP_DARK = Package(
    "@forevolve/bootstrap-dark",
    "1.1.0",
    "sha512-A3ucpEpxPoTVO490lZZCfjPXxv832l7mm1IxX3bXyxvgwnPGXDLyh7dWrphXKO8YBAu3EswbBEu3VSW8NRMW3A==",
)

# Each URL GX 1.24's Data Docs load -> the package and the file in it that is shipped instead
ASSETS: dict[str, tuple[Package, str]] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": (JQUERY, "dist/jquery.min.js"),
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        BOOTSTRAP,
        "dist/css/bootstrap.min.css",
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        BOOTSTRAP,
        "dist/js/bootstrap.min.js",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        POPPER,
        "dist/umd/popper.min.js",
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        TABLE_1191,
        "dist/bootstrap-table.min.js",
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        TABLE_1191,
        "dist/bootstrap-table.min.css",
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        TABLE_1191,
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        TABLE_1190,
        "dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        TABLE_1190,
        "dist/extensions/filter-control/bootstrap-table-filter-control.css",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        DATEPICKER,
        "dist/css/bootstrap-datepicker.min.css",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        DATEPICKER,
        "dist/js/bootstrap-datepicker.min.js",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        FONTAWESOME,
        "css/all.min.css",
    ),
    "https://cdn.jsdelivr.net/npm/vega@5": (VEGA, "build/vega.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-lite@5": (VEGA_LITE, "build/vega-lite.min.js"),
    "https://cdn.jsdelivr.net/npm/vega-embed@6": (VEGA_EMBED, "build/vega-embed.min.js"),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        BOOTSTRAP_DARK,
        "dist/css/bootstrap-prefers-dark.css",
    ),
}
# Files the shipped ones load in turn: Font Awesome's CSS reads ../webfonts/
EXTRA_FILES: dict[Package, str] = {FONTAWESOME: "webfonts/"}
# GX's logo comes from S3 (with a cache-busting query); GX ships the same picture in its static files
LOGO = re.compile(
    r"https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/logo-long\.png[^\"']*"
)
LOGO_LOCAL = "static/images/logo-long.png"

VENDOR = "vendor"  # under quality/static/
# A tag that loads a shipped file keeps no `integrity`/`crossorigin`: a page opened from disk has no origin, so
# the browser would refuse the file as a cross-origin fetch (the files were checked at install instead).
TAG = re.compile(r"<(?:script|link)\b[^>]*>")
CORS_ATTRIBUTES = re.compile(r'\s+(?:integrity|crossorigin)="[^"]*"')


def store() -> Path:
    """Where `make install` keeps the files: beside the environment's other shared data."""
    return Path(sys.prefix) / "share" / "kkm2" / "gx-assets"


def packages() -> list[Package]:
    return sorted({p for p, _ in ASSETS.values()}, key=lambda p: p.folder)


def _wanted(package: Package) -> list[str]:
    return [path for p, path in ASSETS.values() if p == package] + (
        [EXTRA_FILES[package]] if package in EXTRA_FILES else []
    )


def install(target: Path | None = None) -> Path:
    """Fetch each package's tarball from the npm registry (`npm pack`), check it against its pinned integrity,
    and keep the files the Data Docs need. Packages already there are not fetched again."""
    target = target or store()
    for package in packages():
        done = target / package.folder / ".ok"
        if done.exists() and done.read_text() == package.integrity:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                ["npm", "pack", f"{package.name}@{package.version}", "--silent", "--pack-destination", tmp],
                check=True,
                capture_output=True,
                timeout=300,
            )
            [tarball] = Path(tmp).glob("*.tgz")
            data = tarball.read_bytes()
        algorithm, digest = package.integrity.split("-", 1)
        if base64.b64encode(hashlib.new(algorithm, data).digest()).decode() != digest:
            raise RuntimeError(
                f"{package.name}@{package.version}: the tarball does not have its pinned integrity"
            )
        folder = target / package.folder
        shutil.rmtree(folder, ignore_errors=True)
        wanted = _wanted(package)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member in tar.getmembers():
                rel = member.name.removeprefix("package/")
                if member.isfile() and any(
                    rel == w or (w.endswith("/") and rel.startswith(w)) for w in wanted
                ):
                    out = folder / rel
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(tar.extractfile(member).read())
        missing = [w for w in wanted if not (folder / w).exists()]
        if missing:
            raise RuntimeError(f"{package.name}@{package.version} has no {missing}")
        done.write_text(package.integrity)
    return target


def available() -> bool:
    return all((store() / p.folder / ".ok").exists() for p in packages())


def make_offline(quality: Path) -> None:
    """Ship the assets under `quality/static/vendor/` and point every Data Docs page below `quality/` at them
    (and at GX's own copy of its logo). Pages that already point there are left as they are."""
    if not available():
        raise RuntimeError(
            "GX Data Docs' assets are not installed (`make install`, or python -m pipeline.quality.docs_assets)"
        )
    vendor = quality / "static" / VENDOR
    if not vendor.exists():
        for package in packages():
            shutil.copytree(
                store() / package.folder, vendor / package.folder, ignore=shutil.ignore_patterns(".ok")
            )
    for page in quality.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = text
        for url, (package, path) in ASSETS.items():
            if url in new:
                local = os.path.relpath(vendor / package.folder / path, page.parent)
                new = new.replace(f'"{url}"', f'"{local}"')
        new = LOGO.sub(os.path.relpath(quality / LOGO_LOCAL, page.parent), new)
        new = TAG.sub(
            lambda m: CORS_ATTRIBUTES.sub("", m.group(0)) if f"/{VENDOR}/" in m.group(0) else m.group(0), new
        )
        if new != text:
            page.write_text(new, encoding="utf-8")


def main() -> int:
    print(f"GX Data Docs' assets: {install()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

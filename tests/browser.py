"""A headless browser for the tests that must see a page rendered (the KPI report): Debian's
chromium-headless-shell (scripts/install-browser.sh; `make test` installs it). Missing: the test FAILS."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser")


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("no headless chromium on PATH: run `bash scripts/install-browser.sh`", pytrace=False)


def screenshot(page: Path, png: Path, width: int = 1000, height: int = 2800) -> Path:
    """Render a local HTML file in headless chromium and save what it shows as a PNG."""
    out = subprocess.run(
        [
            browser(),
            "--no-sandbox",  # as root in CI; the page is our own file
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size={width},{height}",
            f"--screenshot={png}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0 and png.is_file(), out.stderr[-2000:]
    return png


def pixels_of(png: Path, hex_colour: str, tolerance: int = 40) -> int:
    """How many pixels of the screenshot are (close to) a colour: a chart's line drawn in it shows up."""
    from PIL import Image

    target = tuple(int(hex_colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    image = Image.open(png).convert("RGB")
    return sum(
        count
        for count, rgb in image.getcolors(maxcolors=1 << 24)
        if all(abs(a - b) <= tolerance for a, b in zip(rgb, target, strict=True))
    )

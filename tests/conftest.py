"""Shared fixtures: the rule bundle in use, and throw-away rule roots for validation tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
# Byte-identical copies of ../shared/exempel (checked when ../shared is present), so a clone anywhere tests them.
SHARED_EXAMPLES = ROOT / "tests" / "golden" / "delade"


@pytest.fixture(scope="session")
def bundle() -> engine.RuleBundle:
    return engine.load_bundle(ROOT)


@pytest.fixture
def rule_root(tmp_path: Path) -> Callable[[], Path]:
    """A copy of regelverk/ and normer/ that a test may edit."""

    def make() -> Path:
        dst = tmp_path / "rot"
        if not dst.exists():
            shutil.copytree(ROOT / "regelverk", dst / "regelverk")
            shutil.copytree(ROOT / "normer", dst / "normer")
        return dst

    return make


def single(period: str = "2026-03", **extra: object) -> dict[str, object]:
    """A minimal valid application for one adult."""
    app: dict[str, object] = {"period": period, "hushall": [{"id": "s", "roll": "sokande", "fodd": "1990-01-01"}]}
    app.update(extra)
    return app

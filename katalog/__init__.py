"""The rule catalogue, readable by anyone: every rule and amount with validity, source and statute text.

A room over the same engine and rule files, with three faces over one model (:func:`build`):

- :func:`render_day` – the server's ``/regelverk?datum=``: the law in force on a day, linked;
- :func:`render_changes` over :func:`between` – ``/regelverk/jamfor``: what differs between two days;
- :func:`write_rst` – the Sphinx pages in ``docs/regelkatalog/`` with every version.

The statute text comes from ``lagtext/`` (:func:`load_lagtexter`), wording by wording with the days
each wording is in force, so a rule applied in 2026 is shown beside the 2026 text.
"""

from __future__ import annotations

import threading
from pathlib import Path

import engine
from katalog._between import Change, between
from katalog._html import render_changes, render_day, render_error
from katalog._lagtext import Lagtexter, LagtextError, Wording, load_lagtexter
from katalog._model import Catalogue, build
from katalog._sphinx import pages, write_rst

__all__ = [
    "Catalogue",
    "Change",
    "LagtextError",
    "Lagtexter",
    "Wording",
    "between",
    "build",
    "catalogue_for",
    "lagtext_dir",
    "load_lagtexter",
    "pages",
    "render_changes",
    "render_day",
    "render_error",
    "write_rst",
    "write_sphinx",
]

_PROJECT = Path(__file__).resolve().parent.parent
_cache: dict[tuple[str, str], Catalogue] = {}
_lock = threading.Lock()


def lagtext_dir(root: Path | None = None) -> Path:
    """``<root>/lagtext`` when the rule root carries its own statute text, else the project's."""
    if root is not None and (Path(root) / "lagtext").is_dir():
        return Path(root) / "lagtext"
    return _PROJECT / "lagtext"


def catalogue_for(bundle: engine.RuleBundle, root: Path | None = None) -> Catalogue:
    """The catalogue of ``bundle`` (built once per bundle and statute directory, then shared)."""
    directory = lagtext_dir(root)
    key = (bundle.hash, str(directory))
    found = _cache.get(key)
    if found is None:
        found = build(bundle, load_lagtexter(directory))
        with _lock:
            if len(_cache) > 8:
                _cache.clear()
            _cache[key] = found
    return found


def write_sphinx(root: Path, directory: Path) -> list[Path]:
    """Generate the Sphinx pages for the rule files under ``root`` into ``directory``."""
    bundle = engine.load_bundle(root)
    return write_rst(build(bundle, load_lagtexter(lagtext_dir(root))), directory)

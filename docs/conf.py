"""Sphinx configuration for the ekbist documentation.

The rule catalogue (``docs/regelkatalog/``) is generated from the rule files when a build starts,
so the pages describe exactly the checkout being built; it is never edited by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

project = "ekbist"
author = "ekbist"
language = "sv"
extensions: list[str] = []
exclude_patterns = ["_build"]
html_theme = "alabaster"

_DOCS = Path(__file__).resolve().parent


def _regelkatalog(app: Any) -> None:
    import katalog

    katalog.write_sphinx(_DOCS.parent, _DOCS / "regelkatalog")


def setup(app: Any) -> None:
    app.connect("builder-inited", _regelkatalog)

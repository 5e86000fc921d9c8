"""Where the rule files in use live."""

from __future__ import annotations

import os
from pathlib import Path


def default_root() -> Path:
    """``$EKBIST_REGELROT`` if set, else the project directory holding regelverk/ and normer/."""
    env = os.environ.get("EKBIST_REGELROT")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent

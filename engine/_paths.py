"""Where the rule files in use live."""

from __future__ import annotations

import gc
import os
from pathlib import Path


def default_root() -> Path:
    """``$EKBIST_REGELROT`` if set, else the project directory holding regelverk/ and normer/."""
    env = os.environ.get("EKBIST_REGELROT")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent


def settle_memory() -> None:
    """Move everything loaded so far (rules, plans, modules) out of the garbage collector's way.

    A calculation allocates many short-lived dicts; without this, each full collection walks
    the whole loaded rule bundle again. Long-running faces call it once after loading.
    """
    gc.collect()
    gc.freeze()

"""The application object uvicorn imports (one per worker process)."""

import contextlib

from api import Settings, create_app
from engine import RuleFileError, settle_memory

app = create_app(Settings.from_env())

# Load the rules before the first request, then take them (and every module) out of the garbage
# collector's walks: measured, a full collection over them stalled requests by ~50 ms every few seconds.
with contextlib.suppress(RuleFileError):  # /readyz reports broken rule files
    app.state.rules.current()
settle_memory()

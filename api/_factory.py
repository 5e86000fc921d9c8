"""The application object uvicorn imports (one per worker process); ``ekbist serve`` sets the environment."""

import contextlib
import os
import sys

from api import Settings, create_app
from engine import RuleFileError, settle_memory

app = create_app(Settings.from_env(demo=os.environ.get("EKBIST_DEMO") == "1"))

# Load the rules before the first request, then take them (and every module) out of the garbage
# collector's walks: measured, a full collection over them stalled requests by ~50 ms every few seconds.
with contextlib.suppress(RuleFileError):  # /readyz reports broken rule files
    app.state.rules.current()
settle_memory()

# A thread returning from the database (holding the log's write lock) needs the GIL back at every
# statement; with the default 5 ms switch interval it waits behind the computing thread each time,
# and the lock is held that much longer. Measured with bench/bench_api.py (docs/prestanda.rst).
sys.setswitchinterval(0.0005)

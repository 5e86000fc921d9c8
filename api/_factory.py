"""The application object uvicorn imports (one per worker process); ``ekbist serve`` sets the environment.

A process refuses to start on a database whose schema is not exactly the code's (``ekbist serve``
says so before it starts any; this covers ``uvicorn api._factory:app`` run by hand or by a platform).
"""

import contextlib
import os
import sys

from api import Settings, create_app
from engine import RuleFileError, settle_memory

app = create_app(Settings.from_env(demo=os.environ.get("EKBIST_DEMO") == "1"))
_problem = app.state.log.schema_problem()
if _problem:
    raise SystemExit(f"ekbist startar inte: {_problem}")

# Load the rules before the first request, then take them (and every module) out of the garbage
# collector's walks: measured, a full collection over them stalled requests by ~50 ms every few seconds.
with contextlib.suppress(RuleFileError):  # /readyz reports broken rule files
    app.state.rules.current()
settle_memory()

# A thread returning from the database (holding the log's write lock) needs the GIL back at every
# statement; with the default 5 ms switch interval it waits behind the computing thread each time,
# and the lock is held that much longer. Measured with bench/bench_api.py (docs/prestanda.rst).
sys.setswitchinterval(0.0005)

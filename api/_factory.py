"""The application object uvicorn imports (one per worker process)."""

import contextlib
import gc

from api import Settings, create_app
from engine import RuleFileError

app = create_app(Settings.from_env())

# Load the rules now, then move everything alive into the permanent generation: the rule bundle,
# its plans and the imported modules are tens of thousands of long-lived objects, and a full
# collection walking them stalls every request in the process (measured: ~50 ms every few seconds).
with contextlib.suppress(RuleFileError):  # /readyz reports broken rule files
    app.state.rules.current()
gc.collect()
gc.freeze()

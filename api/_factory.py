"""The application object uvicorn imports (one per worker process)."""

from api import Settings, create_app

app = create_app(Settings.from_env())

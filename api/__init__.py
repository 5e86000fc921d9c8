"""The HTTP API (FastAPI): computations, rules and amounts, the decision log and replay.

A thin face: it authenticates, parses, calls the engine, stores in the decision log and renders
explanations; the law is in the rule files and the engine. Start it with ``ekbist serve``.
"""

from api._settings import Settings
from api.app import create_app

__all__ = ["Settings", "create_app"]

"""One router per resource (FastAPI's "bigger applications"): operations, computing, rules, decisions."""

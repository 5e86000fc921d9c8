"""Sphinx configuration for the ekbist documentation."""

project = "ekbist"
author = "ekbist"
language = "sv"
extensions: list[str] = []
exclude_patterns = ["_build"]
html_theme = "alabaster"

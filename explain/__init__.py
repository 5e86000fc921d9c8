"""Explanations of computed applications for people: plain text and HTML.

``explain`` reads only the result document (the engine's trace and amounts); it never runs rules.
"""

from explain.html import render_applicant_html, render_html
from explain.text import render_text

__all__ = ["render_applicant_html", "render_html", "render_text"]

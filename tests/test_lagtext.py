"""The statute text ships with the repository, identical to the facts it was copied from."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, SHARED

LAGTEXT = ROOT / "lagtext"


def test_every_cited_statute_has_its_text() -> None:
    names = {p.name for p in LAGTEXT.glob("*.txt")}
    assert {"sol-2025-400-kap12.txt", "sol-2025-400-kap33.txt", "bidragsbrottslag-2007-612.txt"} <= names
    readme = (LAGTEXT / "README.md").read_text(encoding="utf-8")
    assert all(name in readme for name in names), "every file has its source line in lagtext/README.md"


def test_aterkrav_rules_quote_the_statute() -> None:
    """Each återkrav ground's sentence is the statute's own (whitespace aside)."""
    import aterkrav
    import engine

    rules = aterkrav.load_rules(engine.load_bundle(ROOT).files)
    law = " ".join((LAGTEXT / "sol-2025-400-kap33.txt").read_text(encoding="utf-8").split())
    crime = " ".join((LAGTEXT / "bidragsbrottslag-2007-612.txt").read_text(encoding="utf-8").split())
    for g in rules.grunder:
        assert " ".join(g.lagtext.split()) in law, g.id
    assert " ".join(rules.talan.lagtext.split()) in law
    assert " ".join(rules.brottsmisstanke.lagtext.split()) in crime


@pytest.mark.skipif(not (SHARED / "fakta" / "lagtext").is_dir(), reason="../shared is not beside this clone")
def test_copies_match_the_facts() -> None:
    for source in (SHARED / "fakta" / "lagtext").glob("*.txt"):
        assert (LAGTEXT / source.name).read_bytes() == source.read_bytes(), source.name

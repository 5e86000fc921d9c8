"""The rule catalogue: statute text by wording and date, the model, changes between days, Sphinx pages, pages.

Expected texts and amounts are read off the statute files and ../shared/fakta by hand: SoL 12 kap. 7 d §
(second-hand lets) enters into force 2027-01-01 (lag 2026:897); 7 § lists "dagstidning och telefon" until
2026 and "internet och telefoni" from 2027; prisbasbelopp 59 200 kr (2026) and 59 600 kr (2027);
Högsby's 2023 caps 4 474 kr for one adult and 9 255 kr with five children or more, 4 202 kr from 2021-05-01.
"""

from __future__ import annotations

import re
import shutil
import time
from datetime import date
from pathlib import Path

import pytest

import engine
import katalog
from katalog._lagtext import parse
from tests.api_helpers import make_client, rule_copy  # noqa: F401
from tests.conftest import ROOT

LAGTEXT = ROOT / "lagtext"


@pytest.fixture(scope="module")
def texts() -> katalog.Lagtexter:
    return katalog.load_lagtexter(LAGTEXT)


@pytest.fixture(scope="module")
def cat() -> katalog.Catalogue:
    return katalog.catalogue_for(engine.load_bundle(ROOT), ROOT)


def _text(ws: list[katalog.Wording]) -> str:
    return " ".join(b.text for w in ws for b in w.stycken)


# -- statute text ---------------------------------------------------------------------------------


def test_a_paragraph_enters_into_force_on_its_day(texts: katalog.Lagtexter) -> None:
    assert texts.in_force("2025:400", 12, "7 d", date(2026, 12, 31)) == []
    (w,) = texts.in_force("2025:400", 12, "7 d", date(2027, 1, 1))
    assert "upplåts till den enskilde i andra hand" in _text([w])
    assert w.rubrik == "Kostnad för boende när en bostad hyrs i andra hand"
    assert w.label == "12 kap. 7 d §" and w.giltig_fran == date(2027, 1, 1) and w.giltig_till is None


def test_each_day_gets_its_own_wording(texts: katalog.Lagtexter) -> None:
    old = _text(texts.in_force("2025:400", 12, "7", date(2026, 12, 31)))
    new = _text(texts.in_force("2025:400", 12, "7", date(2027, 1, 1)))
    assert "dagstidning och telefon" in old and "internet och telefoni" not in old
    assert "internet och telefoni" in new and "dagstidning" not in new
    # a wording in force for a single day (I:2027-01-01, U:2027-01-02)
    one_day = [w for w in texts.wordings("2025:400", 12, "2 a") if w.giltig_till == date(2027, 1, 1)]
    assert len(one_day) == 1 and one_day[0].giltig_fran == date(2027, 1, 1)
    assert len(texts.in_force("2025:400", 12, "2 a", date(2027, 1, 2))) == 1


def test_a_new_designation_ends_the_old_wording(texts: katalog.Lagtexter) -> None:
    (old,) = texts.in_force("2025:400", 12, "7 a", date(2026, 12, 31))
    assert "fritidskort" in _text([old]) and old.giltig_till == date(2026, 12, 31)
    assert old.anmarkning == "Får ny beteckning 12 kap. 7 c § den 2027-01-01."
    assert "Ny beteckning" not in _text([old])
    (new,) = texts.in_force("2025:400", 12, "7 c", date(2027, 1, 1))
    assert "fritidskort" in _text([new])


def test_headings_belong_to_the_paragraph_they_head(texts: katalog.Lagtexter) -> None:
    (c,) = texts.in_force("2025:400", 12, "7 c", date(2027, 6, 1))
    assert "Kostnad för boende" not in _text([c])  # 7 d §'s heading stands after 7 c § in the file
    (eight,) = texts.in_force("2025:400", 12, "8", date(2027, 6, 1))
    assert eight.rubrik == "Särskild beräkningsregel för den som börjat arbeta"
    (nine,) = texts.in_force("2025:400", 12, "9", date(2027, 6, 1))
    assert "13 kap." not in _text([nine])  # the next chapter's heading ends the text


def test_ranges_lists_and_statutes_without_chapters(texts: katalog.Lagtexter) -> None:
    assert texts.paragraphs("2025:400", 12, "4 a–4 c") == ["4a", "4b", "4c"]
    assert texts.paragraphs("2025:400", 12, "1, 8 och 9") == ["1", "8", "9"]
    (w,) = texts.in_force("2007:612", None, "2", date(2026, 1, 1))
    assert w.label == "2 §" and "oriktiga uppgifter" in _text([w])
    assert not texts.has("2010:110", 2)  # the socialförsäkringsbalk is not shipped


def test_tables_keep_their_columns(texts: katalog.Lagtexter) -> None:
    (w,) = texts.in_force("2025:468", 12, "2", date(2026, 6, 1))
    tables = [b.text for b in w.stycken if b.tabell]
    assert any("3 940" in t and "7 100" in t for t in tables)  # ensamstående and sambo, 2026


def test_every_paragraph_of_every_file_is_read(texts: katalog.Lagtexter) -> None:
    """Each block that opens with "N §" in a file (before the next chapter) is one wording."""
    for path in sorted(LAGTEXT.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        chapters = [m.start() for m in re.finditer(r"(?:^|\n\n)\d+ kap\. ", text)]
        body = text[: chapters[1]] if len(chapters) > 1 else text
        expected = len(re.findall(r"(?:^|\n\n)\d+(?: [a-z])? §(?!§)", body))
        assert expected and len(parse(text, path.name, "2025:400", 1, "")) == expected, path.name


def test_a_broken_lagtext_directory_is_a_clear_error(tmp_path: Path) -> None:
    assert not katalog.load_lagtexter(tmp_path).has("2025:400", 12)  # no register: nothing, no error
    assert not katalog.load_lagtexter(None).has("2025:400", 12)
    (tmp_path / "register.yaml").write_text("texter:\n  - fil: saknas.txt\n    sfs: '2025:400'\n    kalla: x\n")
    with pytest.raises(katalog.LagtextError, match=r"lagtext/saknas.txt kan inte läsas"):
        katalog.load_lagtexter(tmp_path)
    (tmp_path / "register.yaml").write_text("texter: [{fil: ../../etc/passwd, sfs: x}]\n")
    with pytest.raises(katalog.LagtextError, match=r"lagtext/register.yaml kan inte läsas"):
        katalog.load_lagtexter(tmp_path)
    (tmp_path / "register.yaml").write_text("texter: [\n")
    with pytest.raises(katalog.LagtextError, match=r"register.yaml kan inte läsas: ogiltig YAML"):
        katalog.load_lagtexter(tmp_path)
    (tmp_path / "register.yaml").write_text("texter:\n  - fil: stor.txt\n    sfs: '2025:400'\n    kalla: x\n")
    (tmp_path / "stor.txt").write_bytes(b"1 \xc2\xa7 a\n" * 400_000)
    with pytest.raises(katalog.LagtextError, match=r"stor.txt är större än"):
        katalog.load_lagtexter(tmp_path)


def test_every_shipped_file_is_registered() -> None:
    register = (LAGTEXT / "register.yaml").read_text(encoding="utf-8")
    for path in LAGTEXT.glob("*.txt"):
        assert f"fil: {path.name}" in register, path.name


# -- the model -----------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2025, 3, 1), date(2025, 7, 1), date(2026, 12, 31), date(2027, 1, 1)])
def test_the_day_view_holds_exactly_the_rules_in_force(cat: katalog.Catalogue, day: date) -> None:
    bundle = engine.load_bundle(ROOT)
    in_force = {rid for rid, rd in bundle.rules.items() if rd.version_on(day) is not None}
    view = cat.on(day)
    assert sorted(r.id for r in view.rules) == sorted(in_force)
    for r in view.rules:
        (v,) = r.versions
        assert v.giltig_fran <= day and (v.giltig_till is None or day <= v.giltig_till)
        for basis in r.lagrum:
            for c in basis.citations:
                assert all(w.covers(day) for w in c.wordings), (r.id, c.text)


def test_every_citation_of_a_shipped_statute_finds_its_text(cat: katalog.Catalogue) -> None:
    missing = set()
    for r in cat.rules:
        for basis in r.lagrum:
            for c in basis.citations:
                if c.saknas and "finns inte i den text" in c.saknas:
                    missing.add(c.text)
    # the one paragraph the facts do not carry: SoL (2001:453) 4 kap. 3 § (the 2001:453 file holds 1–2 c §§)
    assert all(t.startswith("4 kap. 3 §") and "(2001:453)" in t for t in missing), missing


def test_amounts_on_a_day(cat: katalog.Catalogue) -> None:
    def value(day: date, norm_id: str) -> str | None:
        n = cat.on(day).norm(norm_id)
        assert n is not None
        return n.values[0].varde

    assert value(date(2026, 6, 1), "prisbasbelopp") == "59 200"
    assert value(date(2027, 3, 1), "prisbasbelopp") == "59 600"
    assert value(date(2026, 6, 1), "riksnorm.vuxna.ensamstaende") == "3 940"
    hogsby = cat.on(date(2026, 6, 1)).norm("kommun.0821.tak.boende")
    assert hogsby is not None
    (v,) = hogsby.values
    assert v.rader[0] == ("1 vuxen, inga barn", "4 474") and v.rader[-1] == ("1–2 vuxna, 5 barn eller fler", "9 255")
    older = cat.on(date(2021, 6, 1)).norm("kommun.0821.tak.boende")
    assert older is not None and older.values[0].rader[0][1] == "4 202"
    assert cat.on(date(2019, 1, 1)).norm("kommun.0821.tak.boende") is None  # no guideline in force yet
    assert cat.kommuner["0821"] == "Högsby kommun"


def test_a_derived_amount_shows_what_it_comes_to(tmp_path: Path) -> None:
    """With a jämförelsetal entered, 2027's riksnorm is avrunda(4 269 × 1,0512 × 1,02, 10) = 4 580 kr."""
    files = engine.read_rule_files(ROOT)
    name = "normer/riksnorm-2027.yaml"
    files[name] = files[name].replace(
        "    varden: []",
        "    varden:\n      - giltig_fran: 2027-01-01\n        giltig_till: 2027-12-31\n        varde: 1.0512\n"
        "        kalla: {url: 'https://ekbist.invalid/exempel', titel: EXEMPEL}",
        1,
    )
    c = katalog.build(engine.load_bundle_from_files(files), katalog.load_lagtexter(LAGTEXT))
    n = c.on(date(2027, 5, 1)).norm("riksnorm.vuxna.ensamstaende")
    assert n is not None and n.values[0].varde == "4 580" and n.values[0].harledning
    assert "jamforelsetal" in n.harleds_fran
    # without it, the page says why the amount is missing instead of showing one
    bare = katalog.build(engine.load_bundle(ROOT), katalog.load_lagtexter(LAGTEXT))
    m = bare.on(date(2027, 5, 1)).norm("riksnorm.vuxna.ensamstaende")
    assert m is not None and m.values[0].varde is None and "jamforelsetal" in (m.values[0].saknas or "")
    # the derived value is cut where its inputs change: 2027 and 2028 are separate spans
    spans = [(v.giltig_fran, v.giltig_till) for v in c.norm("riksnorm.vuxna.ensamstaende").values]  # type: ignore[union-attr]
    assert (date(2027, 1, 1), date(2027, 12, 31)) in spans


def test_formulas_link_what_they_read(cat: katalog.Catalogue) -> None:
    behov = cat.on(date(2026, 6, 1)).rule("behov")
    assert behov is not None
    links = {href for _, href in behov.versions[0].formel.parts if href}
    assert {"regel-riksnorm", "regel-skaliga_kostnader"} <= links
    skaliga = cat.rule("skaliga_kostnader")
    assert skaliga is not None and "behov" in skaliga.anvands_av
    assert skaliga.fil == "regelverk/berakning/20-kostnader.yaml" and skaliga.rad is not None
    line = (ROOT / skaliga.fil).read_text(encoding="utf-8").splitlines()[skaliga.rad - 1]
    assert "id: skaliga_kostnader" in line


# -- changes between two days ---------------------------------------------------------------------


def test_what_changed_on_new_year_2027(cat: katalog.Catalogue) -> None:
    changes = katalog.between(cat, date(2026, 12, 1), date(2027, 1, 1))
    by = {(c.typ, c.id, c.vad): c for c in changes}
    pbb = by[("belopp", "prisbasbelopp", "värde")]
    assert (pbb.fore, pbb.efter) == ("59 200 kr/år", "59 600 kr/år")
    assert ("regel", "skaliga_kostnader", "formel") in by
    assert by[("kontroll", "andrahand_utan_samtycke", "börjar gälla")].fore is None
    seven_d = [c for c in changes if c.typ == "lagtext" and c.namn.startswith("12 kap. 7 d §")]
    assert len(seven_d) == 1 and seven_d[0].vad == "träder i kraft" and "andra hand" in (seven_d[0].efter or "")
    seven = [c for c in changes if c.typ == "lagtext" and c.namn.startswith("12 kap. 7 § (2025:400)")]
    assert seven and seven[0].vad == "ny lydelse"
    assert katalog.between(cat, date(2026, 3, 1), date(2026, 3, 31)) == []  # nothing changes within March
    back = katalog.between(cat, date(2027, 1, 1), date(2026, 12, 1))
    assert {(c.typ, c.id) for c in back} == {(c.typ, c.id) for c in changes}


# -- Sphinx ---------------------------------------------------------------------------------------


def test_sphinx_pages_have_every_rule_and_amount_once(cat: katalog.Catalogue, tmp_path: Path) -> None:
    pages = katalog.pages(cat)
    labels = re.findall(r"^\.\. _([^:]+):$", "\n".join(pages.values()), flags=re.M)
    assert len(labels) == len(set(labels))
    bundle = engine.load_bundle(ROOT)
    assert {f"regel-{r}" for r in bundle.rules} <= set(labels)
    assert {f"norm-{n}" for n in bundle.norms} <= set(labels)
    assert cat.version in pages["index.rst"] and cat.hash in pages["regler.rst"]
    assert "59 600" in pages["belopp.rst"] and "59 200" in pages["belopp.rst"]  # every version, not one day
    written = katalog.write_rst(cat, tmp_path)
    assert len(written) == 6 and katalog.write_rst(cat, tmp_path) == []  # unchanged pages are not rewritten


def test_rst_escaping() -> None:
    from katalog._sphinx import esc

    assert esc("a*b `c` |d| e_ [f] <g>") == r"a\*b \`c\` \|d\| e\_ \[f\] \<g\>"
    assert esc("1. livsmedel") == r"1\. livsmedel" and esc("- ett") == r"\- ett"


# -- the server's pages ---------------------------------------------------------------------------


def test_pages_need_no_token_and_answer_bad_dates_in_swedish(tmp_path: Path) -> None:
    client, _ = make_client(f"sqlite:///{tmp_path / 'k.sqlite3'}")
    with client:
        r = client.get("/regelverk?datum=2027-03-01")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert (
            "script-src" not in r.headers["content-security-policy"]
            and "default-src 'none'" in r.headers["content-security-policy"]
        )
        assert 'id="regel-skaliga_kostnader"' in r.text and 'id="lag-2025-400-12-7d-2027-01-01"' in r.text
        assert engine.load_bundle(ROOT).hash in r.text
        assert client.get("/regelverk").status_code == 200  # today
        for url, message in [
            ("/regelverk?datum=2027-02-30", "datum: &#39;2027-02-30&#39; är inget giltigt datum"),
            ("/regelverk?datum=" + "9" * 5000, "datum: &#39;99999999999999999999…&#39; är inget datum"),
            ("/regelverk/jamfor?fran=2026-12-01", "till: ange ett datum"),
            ("/regelverk/jamfor?fran=1.1.2027&till=2027-01-01", "fran: &#39;1.1.2027&#39; är inget datum"),
        ]:
            bad = client.get(url)
            assert bad.status_code == 422 and message in bad.text, url
            assert bad.headers["content-type"].startswith("text/html")
        j = client.get("/regelverk/jamfor?fran=2026-12-01&till=2027-01-01")
        assert j.status_code == 200 and "59 600 kr/år" in j.text and "Inga skillnader" not in j.text
        same = client.get("/regelverk/jamfor?fran=2026-03-01&till=2026-03-02")
        assert "Inga skillnader." in same.text


def test_pages_show_the_last_good_rules_and_warn_of_a_broken_edit(
    tmp_path: Path,
    rule_copy: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import api._rules

    monkeypatch.setattr(api._rules, "CHECK_EVERY_S", 0.0)
    good = engine.load_bundle(rule_copy).hash
    client, _ = make_client(f"sqlite:///{tmp_path / 'k.sqlite3'}", rule_copy)
    with client:
        assert good in client.get("/regelverk?datum=2026-06-01").text
        riksnorm = rule_copy / "normer" / "riksnorm.yaml"
        riksnorm.write_text(riksnorm.read_text(encoding="utf-8").replace("varden:", "vardn:", 1), encoding="utf-8")
        time.sleep(0.05)
        page = client.get("/regelverk?datum=2026-06-01")
        assert page.status_code == 200 and good in page.text
        assert 'class="varning"' in page.text and "normer/riksnorm.yaml" in page.text


def test_a_rule_root_with_its_own_broken_lagtext_gets_a_clear_page(tmp_path: Path, rule_copy: Path) -> None:  # noqa: F811
    shutil.copytree(LAGTEXT, rule_copy / "lagtext")
    (rule_copy / "lagtext" / "register.yaml").write_text("texter: {", encoding="utf-8")
    client, _ = make_client(f"sqlite:///{tmp_path / 'k.sqlite3'}", rule_copy)
    with client:
        r = client.get("/regelverk?datum=2026-06-01")
        assert r.status_code == 503 and "Lagtexten kan inte läsas" in r.text
    assert katalog.lagtext_dir(rule_copy) == rule_copy / "lagtext"
    assert katalog.lagtext_dir(tmp_path) == ROOT / "lagtext"  # a root without its own text uses the project's


# -- the command line ---------------------------------------------------------------------------


def test_cli_shows_a_day_and_the_changes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from ekbist.cli import main

    assert main(["katalog", "--datum", "2027-03-01"]) == 0
    out = capsys.readouterr().out
    assert "prisbasbelopp: 59 600 kr/år" in out and "regel skaliga_kostnader" in out
    assert "jamforelsetal: inget värde inmatat" in out  # 2027's riksnorm is derived from it
    assert main(["katalog", "--datum", "2026-05-01"]) == 0
    out = capsys.readouterr().out
    assert "jamforelsetal" not in out and "aktivitetskrav.max_timmar" not in out  # neither applies yet
    assert main(["katalog", "--fran", "2026-12-01", "--till", "2027-01-01"]) == 0
    assert "belopp prisbasbelopp (värde): 59 200 kr/år → 59 600 kr/år" in capsys.readouterr().out
    page = tmp_path / "k.html"
    assert main(["katalog", "--datum", "2027-03-01", "--html", str(page)]) == 0
    assert 'id="lag-2025-400-12-7d-2027-01-01"' in page.read_text(encoding="utf-8")
    assert main(["katalog", "--fran", "2026-12-01", "--till", "2027-01-01", "--html", str(page)]) == 0
    assert "59 600 kr/år" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--datum", "2026-13-01"], "--datum: '2026-13-01' är inget datum"),
        (["--datum", "1/1"], "--datum: '1/1' är inget datum"),
        (["--fran", "2026-01-01"], "--fran och --till anges tillsammans"),
        (["--datum", "2026-01-01", "--fran", "2026-01-01", "--till", "2026-02-01"], "antingen --datum"),
        (["--html", "/finns/inte/k.html"], "--html: /finns/inte/k.html kan inte skrivas (katalogen finns inte)"),
    ],
)
def test_cli_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    from ekbist.cli import main

    assert main(["katalog", *args]) == 2
    assert message in capsys.readouterr().err


def test_cli_with_a_rule_root_and_its_broken_lagtext(
    capsys: pytest.CaptureFixture[str],
    rule_copy: Path,  # noqa: F811
) -> None:
    from ekbist.cli import main

    assert main(["katalog", "--regelrot", str(rule_copy), "--datum", "2026-06-01"]) == 0
    assert "12 kap. 2 § socialtjänstförordningen" in capsys.readouterr().out  # the project's text is used
    (rule_copy / "lagtext").mkdir()
    (rule_copy / "lagtext" / "register.yaml").write_text("texter: [{fil: x.txt, sfs: '2025:400', kalla: k}]\n")
    assert main(["katalog", "--regelrot", str(rule_copy)]) == 2
    assert "lagtext/x.txt kan inte läsas" in capsys.readouterr().err

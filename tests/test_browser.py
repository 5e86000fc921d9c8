"""The explanation page in headless Chromium (Debian's package), opened from a link as a caseworker would.

Expected figures are the statute's: sambor in March 2026 get 7 100 + 1 410 = 8 510 kr riksnorm
(SoF 2025:468 12 kap. 2 §), costs 9 800 + 450 = 10 250, behov 18 760, incomes 9 200 + 8 100 = 17 300,
försörjningsstöd 18 760 − 17 300 = 1 460 kr.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.api_helpers import auth
from tests.conftest import ROOT
from tests.server_helpers import Server, running_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
APPLICATION = {
    "period": "2026-03",
    "hushall": [
        {"id": "anna", "roll": "sokande", "fodd": "1985-02-01", "personnummer": "198502011235"},
        {"id": "bo", "roll": "medsokande", "fodd": "1990-01-01", "personnummer": "199001012344"},
    ],
    "inkomster": [
        {"person": "anna", "typ": "sjukpenning", "belopp": 9200},
        {"person": "bo", "typ": "a_kassa", "belopp": 8100},
    ],
    "kostnader": [{"typ": "boende", "belopp": 9800}, {"typ": "hushallsel", "belopp": 450}],
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("browser")
    with running_server(f"sqlite:///{work / 'beslut.sqlite3'}", work) as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium saknas: kör scripts/ensure-services (installerar Debians paket chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


def _decision(server: Server) -> tuple[str, dict[str, Any]]:
    answers = {
        p: (ROOT / "exempel" / "ssbtek" / f"svar-{p}-2026-03.xml").read_text(encoding="utf-8") for p in ("anna", "bo")
    }
    body = {
        "ansokan": APPLICATION,
        "ssbtek": answers,
        "beslut": {"utfall": "beviljat", "belopp": 1460, "motivering": "Behovet täcks inte av inkomsterna."},
    }
    r = httpx.post(server.url + "/v1/beslut", json=body, headers=auth("handlaggare"), timeout=30)
    assert r.status_code == 201, r.text
    created = r.json()
    link = httpx.post(f"{server.url}/v1/beslut/{created['id']}/lank", headers=auth("handlaggare")).json()
    assert link["adress"] == server.url + link["url"]  # ready to paste into a browser
    return link["adress"], created


def _text(page: Any, selector: str) -> str:
    return str(page.inner_text(selector)).replace("\u00a0", " ").strip()


def test_explanation_page_shows_the_key_figures(server: Server, browser: Any, tmp_path: Path) -> None:
    url, created = _decision(server)
    page = browser.new_page(viewport={"width": 1024, "height": 800})
    response = page.goto(url)
    assert response is not None and response.status == 200
    assert page.title().startswith("Beräkningsunderlag")

    figures = {
        "#riksnorm": "8 510 kr",
        "#skaliga_kostnader": "10 250 kr",
        "#behov": "18 760 kr",
        "#inkomster": "17 300 kr",
        "#forsorjningsstod": "1 460 kr",
        "#beslutat-belopp": "1 460 kr",
    }
    for selector, expected in figures.items():
        assert page.is_visible(selector), selector
        assert _text(page, selector) == expected, selector
    assert _text(page, "#utfall") == "Beviljat"

    headings = [h.split(" (")[0] for h in page.locator("h2").all_inner_texts()]
    assert headings.index("Riksnorm") < headings.index("Inkomster") < headings.index("Beräkning")  # as read in order

    body = str(page.inner_text("body")).replace("\u00a0", " ")
    assert "12 kap. 2 § socialtjänstförordningen (2025:468)" in body  # the riksnorm's paragraph, 2026
    assert "Bostadsbidrag" in body and "CSN" in body  # deviations from the agency answers
    assert created["regelverk"]["hash"] in body  # the rule version that computed it
    assert "198502011235" not in body and "199001012344" not in body  # personnummer masked
    # Fits the window: no sideways scrolling on a normal screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The screenshot really shows the main figure: its box holds dark text on a light background.
    shot = Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("L")
    (tmp_path / "forklaring.png").write_bytes(page.screenshot(full_page=True))
    box = page.locator("#forsorjningsstod").bounding_box()
    assert box is not None and box["width"] > 20 and box["height"] > 10
    region = shot.crop((int(box["x"]), int(box["y"]), int(box["x"] + box["width"]), int(box["y"] + box["height"])))
    dark = sum(1 for v in region.tobytes() if v < 100)
    assert dark > 30, "the figure's box is blank in the screenshot"
    assert len(set(shot.tobytes())) > 8 and shot.height > 800  # a whole page, not a blank or error pane
    page.close()


def test_explanation_page_prints(server: Server, browser: Any) -> None:
    url, _ = _decision(server)
    page = browser.new_page()
    page.goto(url)
    page.emulate_media(media="print")
    assert _text(page, "#forsorjningsstod") == "1 460 kr"
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") <= 4
    page.close()


def test_link_expires_with_its_decision(server: Server, browser: Any) -> None:
    url, _ = _decision(server)
    other, _ = _decision(server)
    token = url.split("lank=")[1]
    page = browser.new_page()
    response = page.goto(other.split("?")[0] + "?lank=" + token)  # a link opens only its own decision
    assert response is not None and response.status == 403
    assert "riksnorm" not in str(page.inner_text("body")).lower()
    page.close()


def _attr(element_id: str) -> str:
    return f"[id='{element_id}']"


def test_rule_catalogue_is_read_and_followed_in_the_browser(server: Server, browser: Any) -> None:
    """Anyone opens the law in force on a day, follows a rule to its statute text, and picks another day.

    Expected amounts from ../shared/fakta/regler-och-belopp.md: prisbasbelopp 59 600 kr (2027) and
    59 200 kr (2026); Högsby's cap for one adult 4 474 kr (2023 table, in force until replaced).
    """
    import yaml

    manifest = yaml.safe_load((ROOT / "regelverk" / "regelverk.yaml").read_text(encoding="utf-8"))
    page = browser.new_page(viewport={"width": 1024, "height": 800})
    response = page.goto(server.url + "/regelverk?datum=2027-03-01")  # no token: the law is public
    assert response is not None and response.status == 200
    assert "2027-03-01" in page.title()
    assert _text(page, "#version") == manifest["version"]
    assert _text(page, "#hash").startswith("sha256:")
    assert _text(page, _attr("norm-prisbasbelopp") + " .varde").startswith("59 600")

    # From the rule to the statute sentence it implements (SoL 12 kap. 7 d §, from 2027).
    rule = page.locator(_attr("regel-skaliga_kostnader"))
    rule.locator("a.lagtextlank").nth(1).click()
    assert page.url.endswith("#lag-2025-400-12-7d-2027-01-01")
    statute = page.locator(_attr("lag-2025-400-12-7d-2027-01-01"))
    assert statute.is_visible() and "upplåts till den enskilde i andra hand" in statute.inner_text()
    box = statute.bounding_box()
    assert box is not None and 0 <= box["y"] < 800  # scrolled to it
    # ... and from a formula to the rule it reads.
    page.locator(_attr("regel-behov") + " pre.formel a[href='#regel-skaliga_kostnader']").click()
    assert page.url.endswith("#regel-skaliga_kostnader")

    cap = page.locator(_attr("norm-kommun.0821.tak.boende") + " tr").all_inner_texts()
    assert any(row.split("\t") == ["1 vuxen, inga barn", "4 474"] for row in cap), cap
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Another day through the form: 2026 has the old prisbasbelopp and no 7 d §.
    page.fill("#datum", "2026-06-01")
    page.locator("form[action$='/regelverk'] button").click()
    page.wait_for_url("**/regelverk?datum=2026-06-01")
    assert _text(page, _attr("norm-prisbasbelopp") + " .varde").startswith("59 200")
    assert page.locator(_attr("lag-2025-400-12-7d-2027-01-01")).count() == 0
    page.close()


def test_changes_between_two_days_in_the_browser(server: Server, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1024, "height": 800})
    page.goto(server.url + "/regelverk?datum=2026-12-01")
    page.fill("#fran", "2026-12-01")
    page.fill("#till", "2027-01-01")
    page.locator("form[action$='/regelverk/jamfor'] button").click()
    page.wait_for_url("**/regelverk/jamfor?fran=2026-12-01&till=2027-01-01")
    row = page.locator(_attr("andring-belopp-prisbasbelopp-värde"))
    assert _text(page, _attr("andring-belopp-prisbasbelopp-värde") + " .fore") == "59 200 kr/år"
    assert _text(page, _attr("andring-belopp-prisbasbelopp-värde") + " .efter") == "59 600 kr/år"
    body = str(page.inner_text("body"))
    assert "12 kap. 7 d § (2025:400)" in body and "träder i kraft" in body
    row.locator("a").click()  # to the amount on the later day's page
    page.wait_for_url("**/regelverk?datum=2027-01-01#norm-prisbasbelopp")
    assert page.locator(_attr("norm-prisbasbelopp")).is_visible()

    response = page.goto(server.url + "/regelverk?datum=2027-02-30")
    assert response is not None and response.status == 422
    assert _text(page, "#fel") == "datum: '2027-02-30' är inget giltigt datum"
    page.close()


def test_the_api_documentation_works_without_internet(server: Server, browser: Any) -> None:
    """Swagger UI's files come from the package: the page draws the operations with no network beyond ekbist."""
    page = browser.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(server.url) and not r.url.startswith("data:") else None,
    )
    page.goto(f"{server.url}/docs")
    page.wait_for_selector(".opblock", timeout=15_000)
    assert page.locator(".opblock").count() > 10
    assert page.locator("button.authorize").count() == 1  # the security schemes: the Authorize button
    assert outside == []
    page.close()


AXE = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"


def _axe(page: Any) -> list[dict[str, Any]]:
    """Serious and critical accessibility violations on the page (axe-core)."""
    if not AXE.exists():
        pytest.fail("axe-core saknas: kör scripts/ensure-services (installerar den med npm)")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [v for v in found if v["impact"] in ("serious", "critical")]


def test_the_caseworkers_calculation_page(server: Server, browser: Any) -> None:
    """Log in, fill in the household with the keyboard and the form's labels, preview, record."""
    context = browser.new_context(bypass_csp=True)  # only so that the test can inject axe-core
    page = context.new_page()
    page.goto(f"{server.url}/sida/berakna")
    assert page.url.endswith("/sida/logga-in")
    assert _axe(page) == []
    page.get_by_label("Token (JWT) eller API-nyckel").fill(auth("handlaggare")["Authorization"].split(" ", 1)[1])
    page.keyboard.press("Enter")
    page.wait_for_url("**/sida/berakna")
    assert _axe(page) == []
    page.get_by_label("Månad som söks").fill("2026-03")
    page.get_by_label("Person 1, id").fill("anna")
    page.locator("select[name=p0_roll]").select_option(label="Sökande")
    page.locator("input[name=p0_fodd]").fill("1985-02-01")
    page.get_by_label("Person 2, id").fill("bo")
    page.locator("select[name=p1_roll]").select_option(label="Medsökande")
    page.locator("input[name=p1_fodd]").fill("1990-01-01")
    page.get_by_label("Inkomst 1, person (id)").fill("anna")
    page.locator("select[name=i0_typ]").select_option(label="Sjukpenning")
    page.locator("input[name=i0_belopp]").fill("9200")
    page.get_by_label("Inkomst 2, person (id)").fill("bo")
    page.locator("select[name=i1_typ]").select_option(label="Arbetslöshetsersättning (a-kassa)")
    page.locator("input[name=i1_belopp]").fill("8100")
    page.locator("select[name=c0_typ]").select_option(label="Boende")
    page.locator("input[name=c0_belopp]").fill("9800")
    page.locator("select[name=c1_typ]").select_option(label="Hushållsel")
    page.locator("input[name=c1_belopp]").fill("450")
    page.locator("input[name=c1_belopp]").press("Enter")  # the keyboard sends the form
    page.wait_for_selector("#forhand-rubrik")
    assert _text(page, "#forsorjningsstod") == "1 460 kr"  # 8 510 + 10 250 − 17 300, as the statute's tables give
    assert _text(page, "#riksnorm") == "8 510 kr"
    assert _axe(page) == []
    assert page.locator("input[name=belopp]").input_value() == "1460"
    assert page.locator("figure svg[role=img]").count() == 1  # the household's money against a wage
    page.get_by_label("Motivering").fill("Behovet täcks inte av inkomsterna.")
    page.get_by_role("button", name="Registrera beslutet").click()
    page.wait_for_load_state()
    recorded = page.inner_text("body").replace("\u00a0", " ")
    assert "1 460 kr" in recorded and "Beviljat" in recorded
    listed = httpx.get(f"{server.url}/v1/beslut", headers=auth("handlaggare")).json()["beslut"]
    assert any(b["forsorjningsstod"] == 1460 and b["anvandare"] == "anna" for b in listed)
    context.close()


def test_the_page_refuses_a_forged_form(server: Server) -> None:
    login = httpx.post(
        f"{server.url}/sida/logga-in",
        data={"nyckel": auth("handlaggare")["Authorization"].split(" ", 1)[1]},
        follow_redirects=False,
    )
    assert login.status_code == 303 and "httponly" in login.headers["set-cookie"].lower()
    cookie = login.headers["set-cookie"].split(";", 1)[0]
    forged = httpx.post(f"{server.url}/sida/berakna", data={"period": "2026-03"}, headers={"Cookie": cookie})
    assert forged.status_code == 403 and "Formuläret har gått ut" in forged.text
    wrong = httpx.post(f"{server.url}/sida/logga-in", data={"nyckel": "fel"})
    assert wrong.status_code == 401 and "okänd API-nyckel" in wrong.text


def test_a_family_of_four_then_the_renewed_application_next_month(server: Server, browser: Any) -> None:
    """The issue's walk-through: preview with verifications, what would change it and the chart; record;
    next month from the pre-filled renewed application, where the changed rent is flagged."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{server.url}/sida/logga-in")
    page.get_by_label("Token (JWT) eller API-nyckel").fill(auth("handlaggare")["Authorization"].split(" ", 1)[1])
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url("**/sida/berakna")
    rows = [
        ("anna", "Sökande", "1985-02-01", "198502011235"),
        ("bo", "Medsökande", "1990-01-01", "199001012344"),
        ("cia", "Barn", "2016-04-10", ""),
        ("dan", "Barn", "2020-08-20", ""),
    ]
    page.get_by_label("Månad som söks").fill("2026-03")
    for i, (pid, role, born, number) in enumerate(rows):
        page.get_by_label(f"Person {i + 1}, id").fill(pid)
        page.locator(f"select[name=p{i}_roll]").select_option(label=role)
        page.locator(f"input[name=p{i}_fodd]").fill(born)
        page.locator(f"input[name=p{i}_personnummer]").fill(number)
    for j, (pid, amount) in enumerate((("anna", "8000"), ("bo", "5000"))):
        page.get_by_label(f"Inkomst {j + 1}, person (id)").fill(pid)
        page.locator(f"select[name=i{j}_typ]").select_option(label="Lön")
        page.locator(f"input[name=i{j}_belopp]").fill(amount)
    page.locator("select[name=c0_typ]").select_option(label="Boende")
    page.locator("input[name=c0_belopp]").fill("9000")
    page.get_by_role("button", name="Beräkna (inget registreras)").click()
    page.wait_for_selector("#forhand-rubrik")
    listed = page.inner_text("ul.underlag")
    assert "Lönespecifikation" in listed and "Hyresavi" in listed and "Kontoutdrag" in listed
    assert page.locator("ul.andras li").count() >= 2  # what would change it
    assert page.locator("figure svg[role=img]").count() == 1
    assert _axe(page) == []
    page.get_by_label("Motivering").fill("Behovet täcks inte av lönerna.")
    page.get_by_role("button", name="Registrera beslutet").click()
    page.wait_for_load_state()
    # next month: the renewed application
    page.goto(f"{server.url}/sida/berakna")
    page.get_by_label("Sökandens personnummer").fill("19850201-1235")
    page.get_by_role("button", name="Fyll i från förra beslutet").click()
    page.wait_for_selector("[role=status]")
    assert page.get_by_label("Månad som söks").input_value() == "2026-04"
    assert page.locator("input[name=c0_belopp]").input_value() == "9000"
    assert page.get_by_label("Person 3, id").input_value() == "cia"
    page.locator("input[name=c0_belopp]").fill("9900")
    page.get_by_role("button", name="Beräkna (inget registreras)").click()
    page.wait_for_selector("#forhand-rubrik")
    assert "Boendekostnaden har ändrats sedan förra beslutet (BOENDEKOSTNAD_ANDRAD)" in page.inner_text("body")
    assert _axe(page) == []
    context.close()


def test_the_applicant_explanation_from_the_decision_page(server: Server, browser: Any) -> None:
    url, _ = _decision(server)
    page = browser.new_page(viewport={"width": 360, "height": 740})
    page.goto(url)
    page.get_by_role("link", name="Förklaringen för den sökande, på klarspråk").click()
    page.wait_for_load_state()
    assert page.title() == "Ditt försörjningsstöd för mars 2026"
    assert page.inner_text(".stort").replace("\u00a0", " ") == "1 460 kr"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.close()


@pytest.fixture(scope="module")
def idp() -> Iterator[Any]:
    from tests.idp import running_idp

    yield from running_idp()


@pytest.fixture(scope="module")
def oidc_server(tmp_path_factory: pytest.TempPathFactory, idp: Any) -> Iterator[Server]:
    from tests.idp import oidc_env

    work = tmp_path_factory.mktemp("browser-oidc")
    with running_server(f"sqlite:///{work / 'beslut.sqlite3'}", work, "--workers", "1", **oidc_env(idp)) as s:
        yield s


def test_a_caseworker_logs_in_through_the_kommuns_issuer(oidc_server: Server, idp: Any, browser: Any) -> None:
    """The issue's walk-through: log in at the kommun's issuer (code flow, PKCE), compute and record;
    the decision carries the user and kommun from the issuer's token."""
    idp.user = {"sub": "karin.karlsson", "roles": ["handlaggare"], "kommun": "1480"}
    context = browser.new_context(bypass_csp=True)  # only so that the test can inject axe-core
    page = context.new_page()
    page.goto(f"{oidc_server.url}/sida/berakna")
    assert page.url.endswith("/sida/logga-in")
    assert page.get_by_label("Token (JWT) eller API-nyckel").count() == 0
    assert _axe(page) == []
    page.get_by_role("link", name="Logga in med kommunens inloggning").click()
    page.wait_for_url(f"{idp.issuer}/authorize?**")
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url("**/sida/berakna")  # through "Du är inloggad" and its refresh
    assert "karin.karlsson (handlaggare, kommun 1480)" in page.inner_text("header")
    page.get_by_label("Månad som söks").fill("2026-03")
    page.get_by_label("Person 1, id").fill("s")
    page.locator("select[name=p0_roll]").select_option(label="Sökande")
    page.locator("input[name=p0_fodd]").fill("1990-01-01")
    page.locator("select[name=c0_typ]").select_option(label="Boende")
    page.locator("input[name=c0_belopp]").fill("6000")
    page.locator("input[name=c0_belopp]").press("Enter")
    page.wait_for_selector("#forhand-rubrik")
    # riksnorm for one person living alone in 2026, 5 220 kr (SoF 2025:468 12 kap. 2 §), plus the rent 6 000
    assert _text(page, "#forsorjningsstod") == "11 220 kr"
    page.get_by_label("Motivering").fill("Enligt riksnormen.")
    page.get_by_role("button", name="Registrera beslutet").click()
    page.wait_for_load_state()
    assert "11 220 kr" in page.inner_text("body").replace("\u00a0", " ")
    listed = httpx.get(
        f"{oidc_server.url}/v1/beslut", headers=auth("revisor", kommun="0180"), params={"kommun": "1480"}
    ).json()["beslut"]
    assert [(b["anvandare"], b["kommun"], b["forsorjningsstod"]) for b in listed] == [("karin.karlsson", "1480", 11220)]
    context.close()

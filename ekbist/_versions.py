"""The register of established rule versions: which content hash each version label was given.

``regelverk/versioner.txt`` lists ``VERSION HASH DAG``, one line per established version. It is not a
YAML file, so it is not part of the bundle or its hash. ``ekbist validera`` compares the bundle with
it: content that changed under a label already established asks for a new label (two different
bundles must never carry the same one); ``ekbist validera --faststall`` records a new label.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

VERSIONS_FILE = "regelverk/versioner.txt"
HEADER = (
    "# Fastställda versioner av regelverket: version, innehållshash (sha256 över regelverk/ och normer/), dag.\n"
    "# Skrivs av ekbist validera --faststall; ändra inte för hand.\n"
)


@dataclass(frozen=True)
class Status:
    kind: str  # fastställd, ny, ändrad
    message: str


def read(root: Path) -> dict[str, str]:
    path = root / VERSIONS_FILE
    out: dict[str, str] = {}
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and not line.lstrip().startswith("#"):
            out[parts[0]] = parts[1]
    return out


def _version_line(root: Path) -> int | None:
    try:
        lines = (root / "regelverk" / "regelverk.yaml").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    return next((i for i, line in enumerate(lines, 1) if line.startswith("version:")), None)


def status(root: Path, version: str, bundle_hash: str) -> Status:
    known = read(root)
    where = f"regelverk/regelverk.yaml:{_version_line(root) or 1}"
    if known.get(version) == bundle_hash:
        return Status("fastställd", f"Version {version} är fastställd med detta innehåll.")
    if version in known:
        return Status(
            "ändrad",
            f"{where}: innehållet har ändrats sedan version {version} fastställdes ({known[version]}); "
            "ange en ny version (t.ex. med dagens datum) och fastställ den med: ekbist validera --faststall",
        )
    return Status(
        "ny",
        f"Version {version} är inte fastställd än; när ändringen är klar: ekbist validera --faststall",
    )


def establish(root: Path, version: str, bundle_hash: str, today: date | None = None) -> Status:
    current = status(root, version, bundle_hash)
    if current.kind != "ny":
        return current
    path = root / VERSIONS_FILE
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text + f"{version} {bundle_hash} {(today or date.today()).isoformat()}\n", encoding="utf-8")
    return Status("fastställd", f"Version {version} fastställd med innehållet {bundle_hash}.")

"""The delivery's record layout, in one place.

Socialstyrelsen's technical description of the monthly file (field order, lengths, file format and
naming) is not in the facts ekbist builds on (``../shared/fakta/statistik-forsorjningshinder.md``
§9, "NOT FOUND"). Until it is known, ekbist writes the register's documented variables as CSV
(semicolon, UTF-8, a header row) and JSON, with this layout; when the description is known, this
module is the one to replace.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

LAYOUT = "ekbist-ekonomiskt-bistand-manad-1"
HOUSEHOLD_FIELDS = ("kommun", "manad", "beslut_id", "hushallstyp", "vuxna", "barn", "personer", "belopp")
PERSON_FIELDS = ("kommun", "manad", "beslut_id", "personnummer", "roll", "forsorjningshinder")


def to_csv(rows: Sequence[Mapping[str, Any]], fields: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow([row[f] for f in fields])
    return out.getvalue()

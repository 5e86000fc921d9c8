"""The decision log: every recorded decision, bound into a keyed hash chain, with the rules that computed it.

Each decision stores the canonical input (application, agency answers, preview values), the
output with its trace, the decision, who recorded it and when, and the hash of its rule bundle;
the bundle's files are stored by hash the first time they are used, so a decision can be replayed
with exactly its rules after ``regelverk/`` and ``normer/`` have changed. Every read is logged.

Every record (decision, stored bundle, access-log row) is bound by one link of ``kedja``, an
HMAC-SHA-256 chain whose key is never in the database (:mod:`beslutslogg._keys`); tables are
append-only; receipts and anchors kept elsewhere show a cut-off end (:mod:`beslutslogg._anchor`);
``verify`` names every altered, removed or added record (:mod:`beslutslogg._verify`). SQLite (WAL,
synchronous=FULL, owner-only file) by default, PostgreSQL by URL with the server as a role that may
only read and append; Alembic migrations.
"""

from beslutslogg._anchor import Anchor, AnchorError, read_anchor
from beslutslogg._canonical import GENESIS, canonical, record_hash
from beslutslogg._export import Export, ExportError, export
from beslutslogg._keys import MIN_KEY_BYTES, Keyring, LogKeyError, new_secret, secret_file
from beslutslogg._model import Head, Page, Receipt, Record, Summary, Verification
from beslutslogg._previous import previous_calculation
from beslutslogg._store import DecisionLog, applicant_key, grant, household_key
from beslutslogg._url import LogBusy, normalise_url, shown_url
from beslutslogg._verify import bundle_problem

__all__ = [
    "GENESIS",
    "MIN_KEY_BYTES",
    "Anchor",
    "AnchorError",
    "DecisionLog",
    "Export",
    "ExportError",
    "Head",
    "Keyring",
    "LogBusy",
    "LogKeyError",
    "Page",
    "Receipt",
    "Record",
    "Summary",
    "Verification",
    "applicant_key",
    "bundle_problem",
    "canonical",
    "export",
    "grant",
    "household_key",
    "new_secret",
    "normalise_url",
    "previous_calculation",
    "read_anchor",
    "record_hash",
    "secret_file",
    "shown_url",
]

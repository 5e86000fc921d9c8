"""The decision log: rule bundles, decisions in a hash chain, and the access log.

Decisions are append-only: triggers refuse UPDATE and DELETE on ``beslut`` in both SQLite and
PostgreSQL, so the only way to change a recorded decision is around the application, and the
hash chain (``ekbist revision verifiera``) shows it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "regelverk_paket",
        sa.Column("hash", sa.String(80), primary_key=True),
        sa.Column("regelverk_id", sa.String(120), nullable=False),
        sa.Column("version", sa.String(60), nullable=False),
        sa.Column("filer", sa.Text, nullable=False),
        sa.Column("forst_anvand", sa.String(40), nullable=False),
    )
    op.create_table(
        "beslut",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("tidpunkt", sa.String(40), nullable=False),
        sa.Column("kommun", sa.String(4), nullable=False, index=True),
        sa.Column("anvandare", sa.String(200), nullable=False),
        sa.Column("roll", sa.String(40), nullable=False),
        sa.Column("regelverk_hash", sa.String(80), sa.ForeignKey("regelverk_paket.hash"), nullable=False),
        sa.Column("indata", sa.Text, nullable=False),
        sa.Column("resultat", sa.Text, nullable=False),
        sa.Column("beslut", sa.Text, nullable=False),
        sa.Column("foregaende_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "kedja",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("senaste_seq", sa.Integer, nullable=False),
        sa.Column("senaste_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "atkomstlogg",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tidpunkt", sa.String(40), nullable=False),
        sa.Column("anvandare", sa.String(200), nullable=False),
        sa.Column("roll", sa.String(40), nullable=False),
        sa.Column("kommun", sa.String(4), nullable=False),
        sa.Column("beslut_id", sa.String(36), nullable=False, index=True),
        sa.Column("handling", sa.String(40), nullable=False),
    )
    op.execute(sa.text(f"INSERT INTO kedja (id, senaste_seq, senaste_hash) VALUES (1, 0, '{GENESIS}')"))
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                sa.text(
                    f"CREATE TRIGGER beslut_endast_tillagg_{action.lower()} BEFORE {action} ON beslut "
                    "BEGIN SELECT RAISE(ABORT, 'beslutsloggen kan bara utökas'); END"
                )
            )
    else:
        op.execute(
            sa.text(
                "CREATE FUNCTION beslut_endast_tillagg() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'beslutsloggen kan bara utökas'; END; $$ LANGUAGE plpgsql"
            )
        )
        op.execute(
            sa.text(
                "CREATE TRIGGER beslut_endast_tillagg BEFORE UPDATE OR DELETE ON beslut "
                "FOR EACH ROW EXECUTE FUNCTION beslut_endast_tillagg()"
            )
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute(sa.text("DROP TRIGGER IF EXISTS beslut_endast_tillagg ON beslut"))
        op.execute(sa.text("DROP FUNCTION IF EXISTS beslut_endast_tillagg()"))
    for t in ("atkomstlogg", "kedja", "beslut", "regelverk_paket"):
        op.drop_table(t)

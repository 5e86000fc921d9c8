"""The keyed chain: ``kedja`` becomes an append-only list of HMAC links over every record.

Before this revision ``kedja`` was a single row pointing at the newest decision, which anyone with
write access could move; now it holds one link per record (decision, rule bundle, access-log row)
and nothing in it can change. Every table refuses UPDATE and DELETE, and on PostgreSQL TRUNCATE
too. Decisions get a ``period`` column (the month the aid is for) so that a month can be listed;
the access log records the outcome (``ok``/``nekad``), the reader's address and the link used.

Records written before this revision are bound into the new chain the first time the log is
opened with its key (``DecisionLog.seal``), after a ``forsegling`` link that marks the moment.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

TABLES = ("beslut", "kedja", "atkomstlogg", "regelverk_paket")
MESSAGE = "beslutsloggen kan bara utökas"


def _sqlite_guards(table: str) -> None:
    for action in ("UPDATE", "DELETE"):
        op.execute(
            sa.text(
                f"CREATE TRIGGER {table}_endast_tillagg_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE} ({table})'); END"
            )
        )


def _pg_guards(table: str) -> None:
    op.execute(
        sa.text(
            f"CREATE TRIGGER {table}_endast_tillagg BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ekbist_endast_tillagg()"
        )
    )
    op.execute(
        sa.text(
            f"CREATE TRIGGER {table}_ingen_tomning BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ekbist_endast_tillagg()"
        )
    )


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute(sa.text("DROP TRIGGER IF EXISTS beslut_endast_tillagg_update"))
        op.execute(sa.text("DROP TRIGGER IF EXISTS beslut_endast_tillagg_delete"))
    else:
        op.execute(sa.text("DROP TRIGGER IF EXISTS beslut_endast_tillagg ON beslut"))
        op.execute(sa.text("DROP FUNCTION IF EXISTS beslut_endast_tillagg()"))
        op.execute(
            sa.text(
                "CREATE FUNCTION ekbist_endast_tillagg() RETURNS trigger AS $$ BEGIN "
                f"RAISE EXCEPTION '{MESSAGE} (%)', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql"
            )
        )

    op.drop_table("kedja")
    op.create_table(
        "kedja",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("tidpunkt", sa.String(40), nullable=False),
        sa.Column("typ", sa.String(20), nullable=False),
        sa.Column("ref", sa.String(80), nullable=False),
        sa.Column("innehall", sa.String(64), nullable=False),
        sa.Column("foregaende", sa.String(64), nullable=False),
        sa.Column("nyckel_id", sa.String(40), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False, unique=True),
    )
    op.create_index("ix_kedja_typ_ref", "kedja", ["typ", "ref"])

    op.add_column("beslut", sa.Column("period", sa.String(7), nullable=True))
    op.create_index("ix_beslut_period", "beslut", ["period"])
    if sqlite:
        op.execute(sa.text("UPDATE beslut SET period = json_extract(indata, '$.ansokan.period')"))
    else:
        op.execute(sa.text("UPDATE beslut SET period = (indata::json -> 'ansokan' ->> 'period')"))

    op.add_column("atkomstlogg", sa.Column("utfall", sa.String(10), nullable=False, server_default="ok"))
    op.add_column("atkomstlogg", sa.Column("adress", sa.String(64), nullable=True))
    op.add_column("atkomstlogg", sa.Column("lank_id", sa.String(64), nullable=True))
    op.add_column("atkomstlogg", sa.Column("detalj", sa.String(200), nullable=True))

    for table in TABLES:
        (_sqlite_guards if sqlite else _pg_guards)(table)


def downgrade() -> None:
    raise NotImplementedError("beslutsloggen nedgraderas inte: den nyckelbundna kedjan kan inte tas bort")

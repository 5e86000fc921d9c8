"""Supplements to a decision (``beslut_tillagg``): appended records, never changes.

A decision recorded without the adults' försörjningshinder codes is completed by a supplement that
names the decision; the newest supplement of a kind counts. Supplements are append-only like every
other table and bound into the keyed chain (link type ``tillagg``).
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"

MESSAGE = "beslutsloggen kan bara utökas"


def upgrade() -> None:
    op.create_table(
        "beslut_tillagg",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tidpunkt", sa.String(40), nullable=False),
        sa.Column("beslut_id", sa.String(36), nullable=False, index=True),
        sa.Column("kommun", sa.String(4), nullable=False),
        sa.Column("anvandare", sa.String(200), nullable=False),
        sa.Column("roll", sa.String(40), nullable=False),
        sa.Column("typ", sa.String(40), nullable=False),
        sa.Column("innehall", sa.Text, nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                sa.text(
                    f"CREATE TRIGGER beslut_tillagg_endast_tillagg_{action.lower()} BEFORE {action} ON beslut_tillagg "
                    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE} (beslut_tillagg)'); END"
                )
            )
    else:
        op.execute(
            sa.text(
                "CREATE TRIGGER beslut_tillagg_endast_tillagg BEFORE UPDATE OR DELETE ON beslut_tillagg "
                "FOR EACH ROW EXECUTE FUNCTION ekbist_endast_tillagg()"
            )
        )
        op.execute(
            sa.text(
                "CREATE TRIGGER beslut_tillagg_ingen_tomning BEFORE TRUNCATE ON beslut_tillagg "
                "FOR EACH STATEMENT EXECUTE FUNCTION ekbist_endast_tillagg()"
            )
        )


def downgrade() -> None:
    op.drop_table("beslut_tillagg")

"""Decisions get a ``hushall`` column: a digest of the applicant's personnummer, to find the previous one.

The controls compare an application with the household's previous decided calculation. The column
holds the SHA-256 of the applicant's personnummer (never the number itself; the decision's input
already holds it, the index does not need to), with an index on kommun, household and month.
Decisions recorded before this revision have no value and are not found.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.add_column("beslut", sa.Column("hushall", sa.String(64), nullable=True))
    op.create_index("ix_beslut_kommun_hushall_period", "beslut", ["kommun", "hushall", "period"])


def downgrade() -> None:
    op.drop_index("ix_beslut_kommun_hushall_period", "beslut")
    op.drop_column("beslut", "hushall")

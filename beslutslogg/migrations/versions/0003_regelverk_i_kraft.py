"""Which rule bundle is in force: a link of type ``i_kraft`` in the chain, found by an index.

Every worker of every server puts a validated rule bundle in force by adding such a link (its ref is
the bundle's hash) and follows the newest one, so that all workers switch to new rules together and
an auditor can see which rules were in force when. This revision adds only the index that finds the
newest link of a type without walking the chain.
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_index("ix_kedja_typ_seq", "kedja", ["typ", "seq"])


def downgrade() -> None:
    op.drop_index("ix_kedja_typ_seq", "kedja")

"""search outbox

The documents each change names for site search, written in the change's transaction, and
where each application node's index stands in them (sunshine.search.outbox).

Revision ID: 8d068c448695
Revises: c18343383bc7
Create Date: 2026-12-05 01:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import sunshine.database

# revision identifiers, used by Alembic.
revision = '8d068c448695'
down_revision = 'c18343383bc7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
              nullable=False),
    sa.Column('doc_id', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('created_at', sunshine.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_outbox')),
    sqlite_autoincrement=True
    )
    op.create_table('search_node',
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('floor', sa.BigInteger(), nullable=False),
    sa.Column('seen_at', sunshine.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_search_node'))
    )


def downgrade():
    op.drop_table('search_node')
    op.drop_table('search_outbox')

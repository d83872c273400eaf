"""search synonyms

The synonym groups editors keep for site search.

Revision ID: b7e2c4d9a1f3
Revises: b7e5c2a9d416
Create Date: 2026-12-05 01:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e2c4d9a1f3'
down_revision = 'b7e5c2a9d416'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_synonym',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('words', sa.String(length=300), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_synonym'))
    )


def downgrade():
    op.drop_table('search_synonym')

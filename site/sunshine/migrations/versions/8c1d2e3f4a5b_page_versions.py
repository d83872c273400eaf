"""page versions

The data versions of the kept public pages, per feature and region prefix (sunshine.pagecache).

Revision ID: 8c1d2e3f4a5b
Revises: 609345a2cbf3
Create Date: 2026-12-04 23:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8c1d2e3f4a5b'
down_revision = '609345a2cbf3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('page_version',
    sa.Column('feature', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=12), nullable=False),
    sa.Column('own', sa.Integer(), nullable=False),
    sa.Column('below', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('feature', 'region', name=op.f('pk_page_version'))
    )


def downgrade():
    op.drop_table('page_version')

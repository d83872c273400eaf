"""page version clock

The page cache reads the site's clock, the sum of the root's counters of every feature, on
each request for a kept page: an index on the region (with the counter) keeps those rows
together, a look-up instead of a scan of every region's counters.

Revision ID: 297a5f03a0c6
Revises: a3f9c1d2e7b4
Create Date: 2026-12-05 07:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '297a5f03a0c6'
down_revision = 'a3f9c1d2e7b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('page_version', schema=None) as batch_op:
        batch_op.create_index('ix_page_version_clock', ['region', 'below'], unique=False)


def downgrade():
    with op.batch_alter_table('page_version', schema=None) as batch_op:
        batch_op.drop_index('ix_page_version_clock')

"""project update photo index

/projects/photos/<name> looks up the update that shows a photo by its name: without an index
on the name, every published project's updates were read.

Revision ID: a3f9c1d2e7b4
Revises: 3f9a1c7d2e58
Create Date: 2026-12-05 04:10:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a3f9c1d2e7b4'
down_revision = '3f9a1c7d2e58'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('project_update', schema=None) as batch_op:
        batch_op.create_index('ix_project_update_photo', ['photo'], unique=False)


def downgrade():
    with op.batch_alter_table('project_update', schema=None) as batch_op:
        batch_op.drop_index('ix_project_update_photo')

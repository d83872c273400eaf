"""request file content type longer

An answer's file may be an XLSX workbook, whose content type
(application/vnd.openxmlformats-officedocument.spreadsheetml.sheet) is 65 characters long.

Revision ID: 5b8e0c2d7f41
Revises: 297a5f03a0c6
Create Date: 2026-12-05 07:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5b8e0c2d7f41"
down_revision = "297a5f03a0c6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("info_request_file", schema=None) as batch_op:
        batch_op.alter_column("content_type", existing_type=sa.String(length=60),
                              type_=sa.String(length=100), existing_nullable=False)


def downgrade():
    with op.batch_alter_table("info_request_file", schema=None) as batch_op:
        batch_op.alter_column("content_type", existing_type=sa.String(length=100),
                              type_=sa.String(length=60), existing_nullable=False)

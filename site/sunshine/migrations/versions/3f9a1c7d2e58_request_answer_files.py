"""request answer files

The documents an office sends with its answer to a request for disclosure, and whether staff
confirmed each holds no personal information (sunshine.requests.files).

Revision ID: 3f9a1c7d2e58
Revises: 8d068c448695
Create Date: 2026-12-05 04:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

import sunshine.database

# revision identifiers, used by Alembic.
revision = "3f9a1c7d2e58"
down_revision = "8d068c448695"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "info_request_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("stored", sa.String(length=80), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sunshine.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_info_request_file_actor_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["info_request.id"],
            name=op.f("fk_info_request_file_request_id_info_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_info_request_file")),
    )
    with op.batch_alter_table("info_request_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_info_request_file_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_info_request_file_stored"), ["stored"], unique=False)


def downgrade():
    with op.batch_alter_table("info_request_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_info_request_file_stored"))
        batch_op.drop_index(batch_op.f("ix_info_request_file_request_id"))
    op.drop_table("info_request_file")

"""a confidential reporter may ask to be told of a reply (issue 21 item 12)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 12:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('concerns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify_address', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('reporter_notify_pending', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('concerns', schema=None) as batch_op:
        batch_op.drop_column('reporter_notify_pending')
        batch_op.drop_column('notify_address')

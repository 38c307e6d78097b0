"""core: a user may turn kinds of notice off one by one

Revision ID: 260faca957a0
Revises: b3d5f7a9c126
Create Date: 2026-11-30 05:47:03.481557
"""
from alembic import op
import sqlalchemy as sa


revision = '260faca957a0'
down_revision = 'b3d5f7a9c126'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notices_off', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.drop_column('notices_off')

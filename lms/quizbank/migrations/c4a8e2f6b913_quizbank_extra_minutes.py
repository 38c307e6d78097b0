"""quizbank: extra minutes a trainer grants one participant

Revision ID: c4a8e2f6b913
Revises: 9b3e5c1a7d42
Create Date: 2026-11-29 13:25:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'c4a8e2f6b913'
down_revision = '9b3e5c1a7d42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quizbank_extra_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('minutes', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('quizbank_extra_attempts', schema=None) as batch_op:
        batch_op.drop_column('minutes')

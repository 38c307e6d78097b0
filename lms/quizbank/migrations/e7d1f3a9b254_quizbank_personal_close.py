"""quizbank: a later closing time a trainer grants one participant

Revision ID: e7d1f3a9b254
Revises: c4a8e2f6b913
Create Date: 2026-11-29 14:25:00

"""
from alembic import op
import sqlalchemy as sa

from lms.db import UTCDateTime

revision = 'e7d1f3a9b254'
down_revision = 'c4a8e2f6b913'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quizbank_extra_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closes_at', UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('quizbank_extra_attempts', schema=None) as batch_op:
        batch_op.drop_column('closes_at')

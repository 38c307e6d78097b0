"""quizbank: an earlier opening time a trainer grants one participant

Revision ID: b8d2f4a6c195
Revises: a5c7e9f1b368
Create Date: 2026-11-29 16:40:00

"""
from alembic import op
import sqlalchemy as sa

from lms.db import UTCDateTime

revision = 'b8d2f4a6c195'
down_revision = 'a5c7e9f1b368'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quizbank_extra_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opens_at', UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('quizbank_extra_attempts', schema=None) as batch_op:
        batch_op.drop_column('opens_at')

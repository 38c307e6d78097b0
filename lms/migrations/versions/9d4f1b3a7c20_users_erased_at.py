"""core: when an account's personal data was erased on the person's request

Revision ID: 9d4f1b3a7c20
Revises: 3e29c18c347f
Create Date: 2026-11-30 17:10:00

"""
from alembic import op
import sqlalchemy as sa

import lms.db

revision = '9d4f1b3a7c20'
down_revision = '3e29c18c347f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', lms.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.drop_column('erased_at')

"""quizbank: a participant flags a question to come back to

Revision ID: a5c7e9f1b368
Revises: f2b6c8d4e571
Create Date: 2026-11-29 14:50:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'a5c7e9f1b368'
down_revision = 'f2b6c8d4e571'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quizbank_attempt_slots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flagged', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('quizbank_attempt_slots', schema=None) as batch_op:
        batch_op.drop_column('flagged')

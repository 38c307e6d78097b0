"""quizbank: a trainer overrides the points of an automatically scored question

Revision ID: d3f5a7c9e182
Revises: b8d2f4a6c195
Create Date: 2026-11-29 17:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'd3f5a7c9e182'
down_revision = 'b8d2f4a6c195'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quizbank_attempt_slots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overridden', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('quizbank_attempt_slots', schema=None) as batch_op:
        batch_op.drop_column('overridden')

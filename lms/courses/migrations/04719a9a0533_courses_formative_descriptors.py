"""courses: a self-study task's descriptors and self-check reference; a hand-in's ticks

Revision ID: 04719a9a0533
Revises: 239c6926acf1
Create Date: 2026-11-30 08:44:32.271938
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '04719a9a0533'
down_revision = '239c6926acf1'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('courses_selfstudy_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('descriptors', JSON, server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column('self_check', sa.Text(), server_default=sa.text("''"), nullable=False))

    with op.batch_alter_table('courses_submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('descriptors', JSON, nullable=True))
        batch_op.add_column(sa.Column('self_met', JSON, nullable=True))
        batch_op.add_column(sa.Column('met', JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('courses_submissions', schema=None) as batch_op:
        batch_op.drop_column('met')
        batch_op.drop_column('self_met')
        batch_op.drop_column('descriptors')

    with op.batch_alter_table('courses_selfstudy_tasks', schema=None) as batch_op:
        batch_op.drop_column('self_check')
        batch_op.drop_column('descriptors')

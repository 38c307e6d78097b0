"""courses: marks on formative work (a task's maximum, a hand-in's points)

Revision ID: 5b8d2f4a6c13
Revises: 04719a9a0533
Create Date: 2026-11-30 13:50:00
"""
from alembic import op
import sqlalchemy as sa

revision = '5b8d2f4a6c13'
down_revision = '04719a9a0533'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('courses_selfstudy_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_points', sa.Double(), nullable=True))

    with op.batch_alter_table('courses_submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('points', sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('courses_submissions', schema=None) as batch_op:
        batch_op.drop_column('points')

    with op.batch_alter_table('courses_selfstudy_tasks', schema=None) as batch_op:
        batch_op.drop_column('max_points')

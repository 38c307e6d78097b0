"""community: a thread lives in a cohort or in a programme's network (programme_code), never both

Revision ID: 14cd1d58795c
Revises: a98b8c3962d6
Create Date: 2026-11-30 12:04:10.339597
"""
from alembic import op
import sqlalchemy as sa


revision = '14cd1d58795c'
down_revision = 'a98b8c3962d6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('community_threads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('programme_code', sa.String(length=32), nullable=True))
        batch_op.alter_column('cohort_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_community_threads_programme_code'), ['programme_code'], unique=False)
        batch_op.create_check_constraint(op.f('ck_community_threads_one_place'),
                                         '(cohort_id IS NULL) <> (programme_code IS NULL)')


def downgrade() -> None:
    with op.batch_alter_table('community_threads', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_community_threads_one_place'), type_='check')
        batch_op.drop_index(batch_op.f('ix_community_threads_programme_code'))
        batch_op.alter_column('cohort_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('programme_code')


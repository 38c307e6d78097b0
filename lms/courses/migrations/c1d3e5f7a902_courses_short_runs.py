"""courses: a shorter run of a format (a one-week full-time run halves the hours, seed 000)

Revision ID: c1d3e5f7a902
Revises: 48c8bd58420b
Create Date: 2026-11-30 03:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'c1d3e5f7a902'
down_revision = '48c8bd58420b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses_programme_formats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_run', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
    with op.batch_alter_table('courses_cohorts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hours_factor', sa.Double(), server_default=sa.text('1'), nullable=False))


def downgrade():
    with op.batch_alter_table('courses_cohorts', schema=None) as batch_op:
        batch_op.drop_column('hours_factor')
    with op.batch_alter_table('courses_programme_formats', schema=None) as batch_op:
        batch_op.drop_column('short_run')

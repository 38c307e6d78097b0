"""portfolio: the grading scheme each cohort is assessed by, kept when it is created

Revision ID: 7a1c3e5b9d20
Revises: 02fcff4426d2
Create Date: 2026-11-30 03:30:00

"""
from alembic import op
import sqlalchemy as sa

import lms.db

revision = '7a1c3e5b9d20'
down_revision = '02fcff4426d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'portfolio_cohort_schemes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cohort_id', sa.Integer(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=True),
        sa.Column('taken_at', lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['cohort_id'], ['courses_cohorts.id'],
                                name=op.f('fk_portfolio_cohort_schemes_cohort_id_courses_cohorts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio_cohort_schemes')),
        sa.UniqueConstraint('cohort_id', name=op.f('uq_portfolio_cohort_schemes_cohort_id')),
    )


def downgrade():
    op.drop_table('portfolio_cohort_schemes')

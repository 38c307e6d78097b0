"""courses: announcements a cohort's staff post to its participants

Revision ID: d4e6f8a0b213
Revises: c1d3e5f7a902
Create Date: 2026-11-30 03:35:00

"""
from alembic import op
import sqlalchemy as sa

import lms.db

revision = 'd4e6f8a0b213'
down_revision = 'c1d3e5f7a902'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'courses_announcements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cohort_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('posted_at', lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('emailed_at', lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['author_id'], ['core_users.id'],
                                name=op.f('fk_courses_announcements_author_id_core_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['cohort_id'], ['courses_cohorts.id'],
                                name=op.f('fk_courses_announcements_cohort_id_courses_cohorts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_announcements')),
    )
    with op.batch_alter_table('courses_announcements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_announcements_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_announcements_posted_at'), ['posted_at'], unique=False)


def downgrade():
    op.drop_table('courses_announcements')

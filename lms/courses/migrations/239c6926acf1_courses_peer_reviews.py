"""courses: peer review and self-assessment of self-study

Revision ID: 239c6926acf1
Revises: a7b9d1f3e564
Create Date: 2026-11-30 06:14:47.310695
"""
from alembic import op
import sqlalchemy as sa
import lms.db


revision = '239c6926acf1'
down_revision = 'a7b9d1f3e564'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('courses_peer_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('written_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['reviewer_id'], ['courses_enrolments.id'], name=op.f('fk_courses_peer_reviews_reviewer_id_courses_enrolments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['courses_submissions.id'], name=op.f('fk_courses_peer_reviews_submission_id_courses_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_peer_reviews')),
    sa.UniqueConstraint('submission_id', 'reviewer_id', name=op.f('uq_courses_peer_reviews_submission_id'))
    )
    with op.batch_alter_table('courses_peer_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_peer_reviews_reviewer_id'), ['reviewer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_peer_reviews_submission_id'), ['submission_id'], unique=False)

    with op.batch_alter_table('courses_selfstudy_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('peer_reviews', sa.Integer(), server_default=sa.text('0'), nullable=False))

    with op.batch_alter_table('courses_submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('self_assessment', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('courses_submissions', schema=None) as batch_op:
        batch_op.drop_column('self_assessment')

    with op.batch_alter_table('courses_selfstudy_tasks', schema=None) as batch_op:
        batch_op.drop_column('peer_reviews')

    with op.batch_alter_table('courses_peer_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_peer_reviews_submission_id'))
        batch_op.drop_index(batch_op.f('ix_courses_peer_reviews_reviewer_id'))

    op.drop_table('courses_peer_reviews')
"""community: a cohort's discussions (threads, posts, who follows them, what each reader has seen)

Revision ID: 1946b16213cf
Revises: 
Create Date: 2026-11-30 05:24:57.950616
"""
from alembic import op
import sqlalchemy as sa
import lms.db


revision = '1946b16213cf'
down_revision = None
branch_labels = ('community',)
depends_on = ('b3d5f7a9c126', 'a7b9d1f3e564')  # core's users, courses' cohorts


def upgrade() -> None:
    op.create_table('community_threads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_post_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('post_count', sa.Integer(), nullable=False),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['core_users.id'], name=op.f('fk_community_threads_author_id_core_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cohort_id'], ['courses_cohorts.id'], name=op.f('fk_community_threads_cohort_id_courses_cohorts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_threads'))
    )
    with op.batch_alter_table('community_threads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_threads_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_threads_last_post_at'), ['last_post_at'], unique=False)

    op.create_table('community_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('created_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('edited_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('hidden_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['core_users.id'], name=op.f('fk_community_posts_author_id_core_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['core_users.id'], name=op.f('fk_community_posts_hidden_by_id_core_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['thread_id'], ['community_threads.id'], name=op.f('fk_community_posts_thread_id_community_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_posts'))
    )
    with op.batch_alter_table('community_posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_posts_thread_id'), ['thread_id'], unique=False)

    op.create_table('community_reads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('seen_post_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['thread_id'], ['community_threads.id'], name=op.f('fk_community_reads_thread_id_community_threads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_community_reads_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_reads')),
    sa.UniqueConstraint('thread_id', 'user_id', name=op.f('uq_community_reads_thread_id'))
    )
    with op.batch_alter_table('community_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_reads_thread_id'), ['thread_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_reads_user_id'), ['user_id'], unique=False)

    op.create_table('community_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('following', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['thread_id'], ['community_threads.id'], name=op.f('fk_community_subscriptions_thread_id_community_threads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_community_subscriptions_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_subscriptions')),
    sa.UniqueConstraint('thread_id', 'user_id', name=op.f('uq_community_subscriptions_thread_id'))
    )
    with op.batch_alter_table('community_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_subscriptions_thread_id'), ['thread_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_subscriptions_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('community_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_subscriptions_user_id'))
        batch_op.drop_index(batch_op.f('ix_community_subscriptions_thread_id'))

    op.drop_table('community_subscriptions')
    with op.batch_alter_table('community_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_reads_user_id'))
        batch_op.drop_index(batch_op.f('ix_community_reads_thread_id'))

    op.drop_table('community_reads')
    with op.batch_alter_table('community_posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_posts_thread_id'))

    op.drop_table('community_posts')
    with op.batch_alter_table('community_threads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_threads_last_post_at'))
        batch_op.drop_index(batch_op.f('ix_community_threads_cohort_id'))

    op.drop_table('community_threads')

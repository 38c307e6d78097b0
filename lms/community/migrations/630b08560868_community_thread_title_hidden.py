"""community: a thread's title hidden with its opening post

Revision ID: 630b08560868
Revises: 3508c0af270a
Create Date: 2026-11-30 08:38:04.051502
"""
from alembic import op
import sqlalchemy as sa


revision = '630b08560868'
down_revision = '3508c0af270a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('community_threads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_hidden', sa.Boolean(), server_default=sa.false(), nullable=False))
    # threads whose opening post a moderator hid before this column
    op.execute("UPDATE community_threads SET title_hidden = true WHERE EXISTS (SELECT 1 FROM community_posts p"
               " WHERE p.thread_id = community_threads.id AND p.hidden_at IS NOT NULL AND p.id = (SELECT min(q.id)"
               " FROM community_posts q WHERE q.thread_id = community_threads.id))")


def downgrade() -> None:
    with op.batch_alter_table('community_threads', schema=None) as batch_op:
        batch_op.drop_column('title_hidden')

"""community: a file shared with a post

Revision ID: 3508c0af270a
Revises: 1946b16213cf
Create Date: 2026-11-30 05:54:04.705134
"""
from alembic import op
import sqlalchemy as sa


revision = '3508c0af270a'
down_revision = '1946b16213cf'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('community_posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_community_posts_file_id_core_files'), 'core_files', ['file_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('community_posts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_community_posts_file_id_core_files'), type_='foreignkey')
        batch_op.drop_column('file_id')

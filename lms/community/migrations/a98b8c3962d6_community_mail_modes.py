"""community: a reader's choice of a daily digest of answers

Revision ID: a98b8c3962d6
Revises: 630b08560868
Create Date: 2026-11-30 08:57:04.288765
"""
from alembic import op
import sqlalchemy as sa
import lms.db


revision = 'a98b8c3962d6'
down_revision = '630b08560868'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('community_mail_modes',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('daily', sa.Boolean(), nullable=False),
    sa.Column('since', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_community_mail_modes_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_community_mail_modes'))
    )


def downgrade() -> None:
    op.drop_table('community_mail_modes')

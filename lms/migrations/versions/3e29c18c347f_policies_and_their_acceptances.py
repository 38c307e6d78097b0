"""core: the site's policies (a personal data notice, a confidentiality obligation for staff),
who accepted which version, and users.policies_agreed (nothing waits: pages need not ask)

Revision ID: 3e29c18c347f
Revises: 7e2a4c6b8d10
Create Date: 2026-11-30 11:34:52.994929
"""
from alembic import op
import sqlalchemy as sa
import lms.db


revision = '3e29c18c347f'
down_revision = '7e2a4c6b8d10'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('core_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title_kk', sa.String(length=200), nullable=False),
    sa.Column('title_ru', sa.String(length=200), nullable=False),
    sa.Column('text_kk', sa.Text(), nullable=False),
    sa.Column('text_ru', sa.Text(), nullable=False),
    sa.Column('published_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('privacy', 'confidentiality')", name=op.f('ck_core_policies_kind')),
    sa.ForeignKeyConstraint(['published_by_id'], ['core_users.id'], name=op.f('fk_core_policies_published_by_id_core_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_policies')),
    sa.UniqueConstraint('kind', 'version', name=op.f('uq_core_policies_kind'))
    )
    op.create_table('core_policy_acceptances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('accepted_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['core_policies.id'], name=op.f('fk_core_policy_acceptances_policy_id_core_policies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_policy_acceptances_user_id_core_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_policy_acceptances')),
    sa.UniqueConstraint('policy_id', 'user_id', name=op.f('uq_core_policy_acceptances_policy_id'))
    )
    with op.batch_alter_table('core_policy_acceptances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_policy_acceptances_policy_id'), ['policy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_policy_acceptances_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('policies_agreed', sa.Boolean(), server_default=sa.true(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.drop_column('policies_agreed')

    with op.batch_alter_table('core_policy_acceptances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_policy_acceptances_user_id'))
        batch_op.drop_index(batch_op.f('ix_core_policy_acceptances_policy_id'))

    op.drop_table('core_policy_acceptances')
    op.drop_table('core_policies')

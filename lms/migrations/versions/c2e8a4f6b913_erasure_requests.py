"""core: a person's requests that their personal data be erased, waiting for an administrator

Revision ID: c2e8a4f6b913
Revises: 9d4f1b3a7c20
Create Date: 2026-11-30 17:05:00

"""
from alembic import op
import sqlalchemy as sa
import lms.db

revision = 'c2e8a4f6b913'
down_revision = '9d4f1b3a7c20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('core_erasure_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('asked_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'done', 'refused', 'withdrawn')",
                       name=op.f('ck_core_erasure_requests_status')),
    sa.ForeignKeyConstraint(['user_id'], ['core_users.id'], name=op.f('fk_core_erasure_requests_user_id_core_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['core_users.id'],
                            name=op.f('fk_core_erasure_requests_decided_by_id_core_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_erasure_requests'))
    )
    with op.batch_alter_table('core_erasure_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_erasure_requests_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_erasure_requests_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('core_erasure_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_erasure_requests_status'))
        batch_op.drop_index(batch_op.f('ix_core_erasure_requests_user_id'))
    op.drop_table('core_erasure_requests')

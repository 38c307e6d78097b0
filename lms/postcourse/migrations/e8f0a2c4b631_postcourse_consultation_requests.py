"""postcourse: a graduate asks for a consultation

Revision ID: e8f0a2c4b631
Revises: 83c27809793c
Create Date: 2026-11-30 03:45:00

"""
from alembic import op
import sqlalchemy as sa

import lms.db

revision = 'e8f0a2c4b631'
down_revision = '83c27809793c'
branch_labels = None
depends_on = None

CHANNELS = "('email', 'phone', 'whatsapp', 'telegram', 'zoom', 'teams', 'meet', 'in_person')"


def upgrade():
    op.create_table(
        'postcourse_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('topic', sa.String(length=300), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('asked_at', lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=True),
        sa.Column('answered_at', lms.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"channel IS NULL OR channel IN {CHANNELS}", name=op.f('ck_postcourse_requests_channel')),
        sa.ForeignKeyConstraint(['contact_id'], ['postcourse_contacts.id'],
                                name=op.f('fk_postcourse_requests_contact_id_postcourse_contacts'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['plan_id'], ['postcourse_plans.id'],
                                name=op.f('fk_postcourse_requests_plan_id_postcourse_plans'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_postcourse_requests')),
    )
    with op.batch_alter_table('postcourse_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postcourse_requests_plan_id'), ['plan_id'], unique=False)


def downgrade():
    op.drop_table('postcourse_requests')

"""core: a user may turn course news by e-mail off

Revision ID: b3d5f7a9c126
Revises: 5c1e0a7d9b2f
Create Date: 2026-11-30 04:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'b3d5f7a9c126'
down_revision = '5c1e0a7d9b2f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_notices', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.drop_column('email_notices')

"""users: sort_key, the name in the Kazakh alphabet's order

Revision ID: 5c1e0a7d9b2f
Revises: 14208ca53c2f
Create Date: 2026-11-29 10:40:00
"""
from alembic import op
import sqlalchemy as sa

from lms.core.collation import SORT_KEY_LENGTH, name_sort_key

revision = '5c1e0a7d9b2f'
down_revision = '14208ca53c2f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_key', sa.String(length=SORT_KEY_LENGTH), nullable=True))
    users = sa.table('core_users', sa.column('id', sa.Integer), sa.column('full_name', sa.String),
                     sa.column('sort_key', sa.String))
    bind = op.get_bind()
    rows = bind.execute(sa.select(users.c.id, users.c.full_name)).all()
    if rows:
        bind.execute(users.update().where(users.c.id == sa.bindparam('uid')).values(sort_key=sa.bindparam('key')),
                     [{'uid': i, 'key': name_sort_key(name)} for i, name in rows])
    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.alter_column('sort_key', existing_type=sa.String(length=SORT_KEY_LENGTH), nullable=False)
        batch_op.create_index(batch_op.f('ix_core_users_sort_key'), ['sort_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('core_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_users_sort_key'))
        batch_op.drop_column('sort_key')

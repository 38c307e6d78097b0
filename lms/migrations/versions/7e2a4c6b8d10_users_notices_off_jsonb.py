"""core: users.notices_off as JSONB on PostgreSQL (plain json has no equality, and a SELECT
DISTINCT over users compares every column); nothing changes on SQLite

Revision ID: 7e2a4c6b8d10
Revises: 260faca957a0
Create Date: 2026-11-30 06:35:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '7e2a4c6b8d10'
down_revision = '260faca957a0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column('core_users', 'notices_off', type_=postgresql.JSONB(), existing_type=sa.JSON(),
                        postgresql_using='notices_off::jsonb')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column('core_users', 'notices_off', type_=sa.JSON(), existing_type=postgresql.JSONB(),
                        postgresql_using='notices_off::json')

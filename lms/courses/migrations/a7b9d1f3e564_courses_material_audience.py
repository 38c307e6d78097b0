"""courses: a material read by everyone, or by the programme's trainers only

Revision ID: a7b9d1f3e564
Revises: f5a7c9e1d342
Create Date: 2026-11-30 04:35:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'a7b9d1f3e564'
down_revision = 'f5a7c9e1d342'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses_materials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audience', sa.String(length=8), server_default='all', nullable=False))
        batch_op.create_check_constraint(op.f('ck_courses_materials_audience'), "audience IN ('all', 'staff')")


def downgrade():
    with op.batch_alter_table('courses_materials', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_courses_materials_audience'), type_='check')
        batch_op.drop_column('audience')

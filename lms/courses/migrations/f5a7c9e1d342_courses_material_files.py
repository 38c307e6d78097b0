"""courses: a file attached to a topic's material (a presentation, a lesson plan)

Revision ID: f5a7c9e1d342
Revises: d4e6f8a0b213
Create Date: 2026-11-30 04:05:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'f5a7c9e1d342'
down_revision = 'd4e6f8a0b213'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses_materials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_courses_materials_file_id_core_files'), 'core_files', ['file_id'],
                                    ['id'])


def downgrade():
    with op.batch_alter_table('courses_materials', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_courses_materials_file_id_core_files'), type_='foreignkey')
        batch_op.drop_column('file_id')

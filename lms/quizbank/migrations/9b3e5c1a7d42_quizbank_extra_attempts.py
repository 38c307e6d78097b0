"""quizbank: extra attempts a trainer grants one participant

Revision ID: 9b3e5c1a7d42
Revises: 4d50c99256fe
Create Date: 2026-11-29 13:20:00

"""
from alembic import op
import sqlalchemy as sa

import lms.db

revision = '9b3e5c1a7d42'
down_revision = '4d50c99256fe'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'quizbank_extra_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('test_id', sa.Integer(), nullable=False),
        sa.Column('enrolment_id', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('updated_at', lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['enrolment_id'], ['courses_enrolments.id'],
                                name=op.f('fk_quizbank_extra_attempts_enrolment_id_courses_enrolments'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['test_id'], ['quizbank_tests.id'],
                                name=op.f('fk_quizbank_extra_attempts_test_id_quizbank_tests'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_quizbank_extra_attempts')),
        sa.UniqueConstraint('test_id', 'enrolment_id', name=op.f('uq_quizbank_extra_attempts_test_id')),
    )
    with op.batch_alter_table('quizbank_extra_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quizbank_extra_attempts_enrolment_id'), ['enrolment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quizbank_extra_attempts_test_id'), ['test_id'], unique=False)


def downgrade():
    with op.batch_alter_table('quizbank_extra_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quizbank_extra_attempts_test_id'))
        batch_op.drop_index(batch_op.f('ix_quizbank_extra_attempts_enrolment_id'))
    op.drop_table('quizbank_extra_attempts')

"""quizbank: the needs survey before the course (entry_survey) beside the exit survey

Revision ID: a9c1e3f5b724
Revises: d3f5a7c9e182
Create Date: 2026-11-30 04:00:00

"""
from alembic import op

revision = 'a9c1e3f5b724'
down_revision = 'd3f5a7c9e182'
branch_labels = None
depends_on = None


def _kinds(kinds: str) -> None:
    with op.batch_alter_table('quizbank_tests', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_quizbank_tests_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_quizbank_tests_kind'), f"kind IN ({kinds})")


def upgrade():
    _kinds("'diagnostic', 'module', 'final', 'entry_survey', 'exit_survey'")


def downgrade():
    _kinds("'diagnostic', 'module', 'final', 'exit_survey'")

"""quizbank: an answer's UPDATE stays on its page (fillfactor 80 on PostgreSQL), and the index on
attempt_slots.attempt_id goes (the unique (attempt_id, slot) index serves those lookups)

Revision ID: b2d4f6a8c013
Revises: a9c1e3f5b724
Create Date: 2026-11-30 06:56:00
"""
from alembic import op

revision = 'b2d4f6a8c013'
down_revision = 'a9c1e3f5b724'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_quizbank_attempt_slots_attempt_id', table_name='quizbank_attempt_slots')
    if op.get_bind().dialect.name == "postgresql":
        # pages written from now on keep a fifth free; a full rewrite (VACUUM FULL) applies it to old ones
        op.execute("ALTER TABLE quizbank_attempt_slots SET (fillfactor = 80)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE quizbank_attempt_slots RESET (fillfactor)")
    op.create_index('ix_quizbank_attempt_slots_attempt_id', 'quizbank_attempt_slots', ['attempt_id'], unique=False)

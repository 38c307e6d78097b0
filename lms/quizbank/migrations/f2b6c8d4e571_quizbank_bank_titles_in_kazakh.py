"""quizbank: banks still carrying the English default title get the Kazakh one

Revision ID: f2b6c8d4e571
Revises: e7d1f3a9b254
Create Date: 2026-11-29 14:45:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'f2b6c8d4e571'
down_revision = 'e7d1f3a9b254'
branch_labels = None
depends_on = None

banks = sa.table('quizbank_banks', sa.column('title', sa.String), sa.column('programme_code', sa.String))


def upgrade():
    # only the untouched default: a title a trainer gave stays as it is
    op.execute(banks.update().where(banks.c.title == banks.c.programme_code + ' test bank')
               .values(title=banks.c.programme_code + ' тапсырмалар банкі'))


def downgrade():
    op.execute(banks.update().where(banks.c.title == banks.c.programme_code + ' тапсырмалар банкі')
               .values(title=banks.c.programme_code + ' test bank'))

"""page sessions: server-side sessions of the web pages, and each account's language

Revision ID: 0010_page_sessions
Revises: 0013_login_throttle
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010_page_sessions'
down_revision: str | None = '0009_transfer_reason'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column('user_account', sa.Column('language', sa.String(length=2), nullable=True))
    op.create_table(
        'page_session',
        sa.Column('id', sa.String(64), nullable=False),
        sa.Column('user_id', sa.String(32), nullable=False),
        sa.Column('token_version', sa.Integer(), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('last_seen_at', TS, nullable=False),
        sa.Column('expires_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name='fk_page_session_user_id_user_account'),
        sa.PrimaryKeyConstraint('id', name='pk_page_session'),
    )
    op.create_index('ix_page_session_user_id', 'page_session', ['user_id'])
    op.create_index('ix_page_session_expires_at', 'page_session', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_page_session_expires_at', table_name='page_session')
    op.drop_index('ix_page_session_user_id', table_name='page_session')
    op.drop_table('page_session')
    op.drop_column('user_account', 'language')

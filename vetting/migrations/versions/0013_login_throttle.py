"""login throttle: failures of usernames without an account, and when an account last failed

Revision ID: 0013_login_throttle
Revises: 0009_transfer_reason
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013_login_throttle'
down_revision: str | None = '0012_webhooks'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_failed_at', TS, nullable=True))
    op.create_table(
        'login_throttle',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('failed_logins', sa.Integer(), nullable=False),
        sa.Column('throttled_until', TS, nullable=True),
        sa.Column('locked_until', TS, nullable=True),
        sa.Column('last_failed_at', TS, nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle')),
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttle_last_failed_at'), ['last_failed_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttle_last_failed_at'))
    op.drop_table('login_throttle')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('last_failed_at')

"""transfer reason: why a request changed police unit, kept in its history

Revision ID: 0009_transfer_reason
Revises: 0008_worker_search
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009_transfer_reason'
down_revision: str | None = '0008_worker_search'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('vetting_event', sa.Column('reason', sa.String(length=1000), nullable=True))


def downgrade() -> None:
    op.drop_column('vetting_event', 'reason')

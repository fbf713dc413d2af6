"""worker list: the unit-and-name index also holds the worker's id, so a name search within
a unit (`full_name_folded LIKE '%…%'`, which no b-tree can seek) is answered from the index
alone instead of reading every worker row of the unit.

Measured on PostgreSQL with 100,000 workers (10,050 in the unit): the page of a name search
went from 20.5 ms (a bitmap heap scan over 6,135 blocks) to 2.8 ms (an index-only scan).

Revision ID: 0016_worker_list_covering
Revises: 0015_change_signal
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0016_worker_list_covering'
down_revision: str | None = '0015_change_signal'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_worker_unit_name', table_name='worker')
    op.create_index('ix_worker_unit_name', 'worker',
                    ['post_unit_code', 'full_name_folded', 'employee_no', 'id'])


def downgrade() -> None:
    op.drop_index('ix_worker_unit_name', table_name='worker')
    op.create_index('ix_worker_unit_name', 'worker',
                    ['post_unit_code', 'full_name_folded', 'employee_no'])

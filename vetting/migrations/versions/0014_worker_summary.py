"""worker summary: each worker's latest clearance and request, for the worker list; the
list's name index also covers the employee number, and a unit's workers by registration time

Revision ID: 0014_worker_summary
Revises: 0009_transfer_reason
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014_worker_summary'
down_revision: str | None = '0013_login_throttle'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FILL = """
INSERT INTO worker_summary (worker_id, post_unit_code, clearance_state, clearance_valid_until,
                            request_state)
SELECT w.id, w.post_unit_code,
       (SELECT c.state FROM clearance c WHERE c.worker_id = w.id
        ORDER BY c.valid_from DESC, c.id DESC LIMIT 1),
       (SELECT c.valid_until FROM clearance c WHERE c.worker_id = w.id
        ORDER BY c.valid_from DESC, c.id DESC LIMIT 1),
       (SELECT r.state FROM vetting_request r WHERE r.worker_id = w.id
        ORDER BY r.submitted_at DESC, r.id DESC LIMIT 1)
FROM worker w
"""


def upgrade() -> None:
    op.create_table(
        'worker_summary',
        sa.Column('worker_id', sa.String(length=32), nullable=False),
        sa.Column('post_unit_code', sa.String(length=40), nullable=False),
        sa.Column('clearance_state', sa.String(length=16), nullable=True),
        sa.Column('clearance_valid_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('request_state', sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(['worker_id'], ['worker.id'],
                                name=op.f('fk_worker_summary_worker_id_worker')),
        sa.PrimaryKeyConstraint('worker_id', name=op.f('pk_worker_summary')),
    )
    op.execute(_FILL)  # the workers registered before, in one statement
    op.create_index('ix_worker_summary_unit_state', 'worker_summary',
                    ['post_unit_code', 'clearance_state', 'clearance_valid_until',
                     'request_state'])
    # `q` matches the folded name or an employee-number prefix: both read from one index
    op.drop_index('ix_worker_unit_name', table_name='worker')
    op.create_index('ix_worker_unit_name', 'worker',
                    ['post_unit_code', 'full_name_folded', 'employee_no'])
    op.create_index('ix_worker_unit_created', 'worker', ['post_unit_code', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_worker_unit_created', table_name='worker')
    op.drop_index('ix_worker_unit_name', table_name='worker')
    op.create_index('ix_worker_unit_name', 'worker', ['post_unit_code', 'full_name_folded'])
    op.drop_index('ix_worker_summary_unit_state', table_name='worker_summary')
    op.drop_table('worker_summary')

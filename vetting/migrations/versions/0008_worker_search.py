"""worker search: the accent-folded name, filled for existing workers and indexed

Revision ID: 0008_worker_search
Revises: 0007_incidents
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from policies.folding import fold

revision: str = '0008_worker_search'
down_revision: str | None = '0007_incidents'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_worker = sa.table('worker', sa.column('id', sa.String), sa.column('full_name', sa.String),
                   sa.column('full_name_folded', sa.String))


def upgrade() -> None:
    op.add_column('worker', sa.Column('full_name_folded', sa.String(length=200),
                                      nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(_worker.c.id, _worker.c.full_name)).all()
    for worker_id, full_name in rows:  # folding is Python (Unicode), not SQL
        bind.execute(_worker.update().where(_worker.c.id == worker_id)
                     .values(full_name_folded=fold(full_name)))
    with op.batch_alter_table('worker') as batch:
        batch.alter_column('full_name_folded', existing_type=sa.String(length=200),
                           nullable=False)
    op.create_index('ix_worker_unit_name', 'worker', ['post_unit_code', 'full_name_folded'])
    op.create_index('ix_worker_full_name_folded', 'worker', ['full_name_folded'])


def downgrade() -> None:
    op.drop_index('ix_worker_full_name_folded', table_name='worker')
    op.drop_index('ix_worker_unit_name', table_name='worker')
    with op.batch_alter_table('worker') as batch:
        batch.drop_column('full_name_folded')

"""routes

Revision ID: 0006_routes
Revises: 0005_attestations
Create Date: 2026-11-23 04:04:47.516524
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_routes'
down_revision: str | None = '0005_attestations'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
    op.create_table('route',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('stage', sa.String(length=12), nullable=False),
    sa.Column('service_classes', sa.String(length=40), nullable=False),
    sa.Column('max_secrecy', sa.String(length=1), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("max_secrecy IN ('A', 'B', 'C')", name=op.f('ck_route_max_secrecy')),
    sa.CheckConstraint("stage IN ('acceptance', 'processing', 'transport', 'delivery')", name=op.f('ck_route_stage')),
    sa.ForeignKeyConstraint(['province_code'], ['province.code'], name=op.f('fk_route_province_code_province')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route')),
    sa.UniqueConstraint('province_code', 'code', name=op.f('uq_route_province_code_code'))
    )
    op.create_table('assignment',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('worker_id', sa.String(length=32), nullable=False),
    sa.Column('route_id', sa.String(length=32), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=200), nullable=True),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['route_id'], ['route.id'], name=op.f('fk_assignment_route_id_route')),
    sa.ForeignKeyConstraint(['worker_id'], ['worker.id'], name=op.f('fk_assignment_worker_id_worker')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment'))
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_route_id'), ['route_id'], unique=False)
        batch_op.create_index('ix_assignment_worker_route', ['worker_id', 'route_id'], unique=False)




def downgrade() -> None:
    
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_assignment_worker_route')
        batch_op.drop_index(batch_op.f('ix_assignment_route_id'))

    op.drop_table('assignment')
    op.drop_table('route')


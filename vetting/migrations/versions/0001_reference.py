"""Reference data tables: provinces, legacy province codes, units.

Revision ID: 0001_reference
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_reference"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "province",
        sa.Column("code", sa.String(2), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_province"),
    )
    op.create_table(
        "legacy_province",
        sa.Column("code", sa.String(3), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("province_code", sa.String(2), nullable=False),
        sa.ForeignKeyConstraint(["province_code"], ["province.code"],
                                name="fk_legacy_province_province_code_province"),
        sa.PrimaryKeyConstraint("code", name="pk_legacy_province"),
    )
    op.create_table(
        "unit",
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("province_code", sa.String(2), nullable=False),
        sa.CheckConstraint("kind IN ('post', 'police')", name="ck_unit_kind"),
        sa.ForeignKeyConstraint(["province_code"], ["province.code"],
                                name="fk_unit_province_code_province"),
        sa.PrimaryKeyConstraint("code", name="pk_unit"),
    )
    op.create_index("ix_unit_province_code", "unit", ["province_code"])


def downgrade() -> None:
    op.drop_index("ix_unit_province_code", table_name="unit")
    op.drop_table("unit")
    op.drop_table("legacy_province")
    op.drop_table("province")

"""SQLite's record of what each commit changed, for the read caches of every process.

Triggers (migration 0015) append one row per change key a statement touches; a process whose
`PRAGMA data_version` moved reads the rows after the last it saw (`vetting.changes`). The
log prunes itself to its last 10,000 rows; a reader that fell further behind drops all it
cached. PostgreSQL's triggers notify instead, and leave this table empty.
"""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from vetting.models.base import Base


class ChangeLog(Base):
    __tablename__ = "change_log"
    __table_args__ = ({"sqlite_autoincrement": True},)  # never reuse a number: readers go by it

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(48))

"""Where things live: project folders, instance folder, database URL and limits.

Read once from the environment; tests build their own `Settings`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_instance_path() -> Path:
    return Path(os.environ.get("ANCT_INSTANCE_PATH", PROJECT_ROOT / "instance"))


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    instance_path: Path = field(default_factory=_default_instance_path)
    processes_path: Path = field(
        default_factory=lambda: Path(
            os.environ.get("ANCT_PROCESSES_PATH", PROJECT_ROOT / "processes")
        )
    )
    forms_path: Path = field(
        default_factory=lambda: Path(os.environ.get("ANCT_FORMS_PATH", PROJECT_ROOT / "forms"))
    )
    reference_data_path: Path = field(
        default_factory=lambda: Path(
            os.environ.get(
                "ANCT_REFERENCE_DATA",
                PROJECT_ROOT / "node_modules" / "@etalab" / "decoupage-administratif" / "data",
            )
        )
    )
    #: Wall-clock seconds a single script or expression of a process may run.
    script_time_limit: float = 1.0

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.instance_path / 'anct.sqlite3'}"

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("DATABASE_URL", ""),
            script_time_limit=float(os.environ.get("ANCT_SCRIPT_TIME_LIMIT", "1.0")),
        )

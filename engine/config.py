"""Where things live: project folders, instance folder, database URL and limits.

Read once from the environment; tests build their own `Settings`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .attachments.blobs import BlobStore, LocalBlobStore, S3BlobStore
from .notifications.mailer import FolderMailer, Mailer, SmtpMailer

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
    #: Address of the web application, for the links in notifications and e-mails.
    base_url: str = "http://127.0.0.1:5000"
    #: SMTP server for e-mails; without one, e-mails are written to <instance>/courriels/.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    mail_from: str = "Plateforme ANCT <ne-pas-repondre@anct.gouv.fr>"
    #: Attached files: a folder (by default <instance>/pieces), or an S3-compatible bucket.
    attachments_path: Path | None = None
    s3_bucket: str = ""
    s3_endpoint: str = ""
    s3_region: str = ""
    s3_prefix: str = ""
    #: Largest attached file, in bytes (a form may ask for less, never more).
    attachment_max_bytes: int = 10 * 1024 * 1024

    def blob_store(self) -> BlobStore:
        """Where attached files' bytes go: the S3 bucket if one is named, else the folder."""
        if self.s3_bucket:
            return S3BlobStore.from_settings(
                self.s3_bucket, endpoint_url=self.s3_endpoint, region=self.s3_region,
                prefix=self.s3_prefix,
            )  # fmt: skip
        return LocalBlobStore(self.attachments_path or self.instance_path / "pieces")

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.instance_path / 'anct.sqlite3'}"

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ.get
        return cls(
            database_url=env("DATABASE_URL", ""),
            script_time_limit=float(env("ANCT_SCRIPT_TIME_LIMIT", "1.0")),
            base_url=env("ANCT_BASE_URL", cls.base_url),
            smtp_host=env("ANCT_SMTP_HOST", ""),
            smtp_port=int(env("ANCT_SMTP_PORT", "25")),
            smtp_user=env("ANCT_SMTP_USER", ""),
            smtp_password=env("ANCT_SMTP_PASSWORD", ""),
            smtp_starttls=_flag(env("ANCT_SMTP_STARTTLS", "")),
            smtp_ssl=_flag(env("ANCT_SMTP_SSL", "")),
            mail_from=env("ANCT_MAIL_FROM", cls.mail_from),
            attachments_path=Path(env("ANCT_PIECES_PATH")) if env("ANCT_PIECES_PATH") else None,
            s3_bucket=env("ANCT_S3_BUCKET", ""),
            s3_endpoint=env("ANCT_S3_ENDPOINT", ""),
            s3_region=env("ANCT_S3_REGION", ""),
            s3_prefix=env("ANCT_S3_PREFIX", ""),
            attachment_max_bytes=int(float(env("ANCT_PIECES_TAILLE_MAX_MO", "10")) * 1024 * 1024),
        )

    def mailer(self) -> Mailer:
        if self.smtp_host:
            return SmtpMailer(
                self.smtp_host, self.smtp_port, self.smtp_user or None,
                self.smtp_password or None, self.smtp_starttls, self.smtp_ssl,
            )  # fmt: skip
        return FolderMailer(self.instance_path / "courriels")


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "oui", "yes", "on")

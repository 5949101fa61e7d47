"""Attached files: what a file really is (from its content, not its name) and where its bytes
live (a content-addressed blob store, outside the database)."""

from .blobs import BlobStore, CorruptBlob, LocalBlobStore, S3BlobStore
from .sniff import KINDS, Kind, Refused, check_file, detect

__all__ = [
    "KINDS", "BlobStore", "CorruptBlob", "Kind", "LocalBlobStore", "Refused", "S3BlobStore",
    "check_file", "detect",
]  # fmt: skip

"""Where attached files' bytes live: outside the database, under their SHA-256.

Content addressing makes a write idempotent (the same file sent twice is stored once) and a
read verifiable (the bytes read back must hash to their name). A local folder is the default;
an S3-compatible object store (Scaleway, OVHcloud, MinIO, AWS) is chosen by configuration.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class CorruptBlob(Exception):
    """The stored bytes do not match their hash (or are gone): an operator's matter, logged."""


def _checked(sha256: str) -> str:
    if not _SHA256.match(sha256):
        raise ValueError("empreinte SHA-256 invalide")
    return sha256


def _verified(sha256: str, content: bytes) -> bytes:
    if hashlib.sha256(content).hexdigest() != sha256:
        raise CorruptBlob(f"contenu altéré pour {sha256}")
    return content


class BlobStore(Protocol):
    def put(self, sha256: str, content: bytes, media_type: str) -> None:
        """Store the bytes under their hash; storing the same bytes again does nothing."""

    def get(self, sha256: str) -> bytes:
        """The bytes stored under this hash, checked against it (CorruptBlob otherwise)."""


class LocalBlobStore:
    """Files in a folder, `ab/cd/abcd…` (two levels keep folders small)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        name = _checked(sha256)
        return self.root / name[:2] / name[2:4] / name

    def put(self, sha256: str, content: bytes, media_type: str) -> None:
        target = self.path(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written aside then renamed: a crash leaves a stray temporary file, never a blob
        # with half its bytes under the final name.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".envoi-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, sha256: str) -> bytes:
        try:
            content = self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise CorruptBlob(f"fichier absent pour {sha256}") from None
        return _verified(sha256, content)


class S3BlobStore:
    """Objects in a bucket of an S3-compatible store, keyed `<prefix><sha256>`.

    `client` is a boto3 S3 client (or anything with its `put_object` and `get_object`): the
    tests give a fake one, production builds it with `from_settings`.
    """

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def key(self, sha256: str) -> str:
        return self.prefix + _checked(sha256)

    def put(self, sha256: str, content: bytes, media_type: str) -> None:
        # put_object is atomic on S3: an object is visible whole or not at all. Writing the
        # same key again with the same bytes is harmless, so no existence check is needed.
        self.client.put_object(
            Bucket=self.bucket, Key=self.key(sha256), Body=content, ContentType=media_type
        )

    def get(self, sha256: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))
        except Exception as exc:  # botocore's NoSuchKey and ClientError, or a fake's error
            raise CorruptBlob(f"objet illisible pour {sha256} : {exc.__class__.__name__}") from exc
        return _verified(sha256, answer["Body"].read())

    @classmethod
    def from_settings(
        cls, bucket: str, *, endpoint_url: str | None = None, region: str | None = None,
        prefix: str = "",
    ) -> S3BlobStore:  # fmt: skip
        """A store on a real bucket; credentials come from the usual AWS_* variables.

        boto3 is an optional dependency (`pip install anct-bpm[s3]`), imported only here.
        """
        import boto3  # optional: only deployments that use S3 install it

        client = boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region or None)
        return cls(client, bucket, prefix)

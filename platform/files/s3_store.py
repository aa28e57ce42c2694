"""A file store on an S3-compatible object store (``boto3``, the ``s3`` extra).

Objects live under ``<prefix><tenant>/<key>`` in one bucket. Uploads use boto3's
managed transfer, which sends large files in parts without reading them whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from trellis.platform.files.store import CHUNK_BYTES


class S3FileStore:
    """Files as objects of one bucket, one key prefix per tenant."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def connect(
        cls, bucket: str, *, endpoint_url: str | None, region: str | None, prefix: str = ""
    ) -> S3FileStore:
        """A store over a new boto3 client; credentials come from boto3's usual sources.

        Raises:
            RuntimeError: boto3 is not installed (``pip install trellis-platform[s3]``).
        """
        try:
            import boto3  # optional dependency, imported only for this store
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise RuntimeError(
                "TRELLIS_FILE_STORE=s3 needs boto3: pip install 'trellis-platform[s3]'."
            ) from exc
        client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
        return cls(client, bucket, prefix)

    def _key(self, tenant: str, key: str) -> str:
        return f"{self.prefix}{tenant}/{key}"

    def put(self, tenant: str, key: str, source: BinaryIO) -> None:
        """Upload ``source`` in parts; the object appears when the upload completes."""
        self.client.upload_fileobj(source, self.bucket, self._key(tenant, key))

    def chunks(self, tenant: str, key: str) -> Iterator[bytes]:
        """Stream the object; raises ``FileNotFoundError`` when it is absent."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(tenant, key))
        except self.client.exceptions.NoSuchKey as exc:
            raise FileNotFoundError(key) from exc
        body = answer["Body"]

        def read() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(CHUNK_BYTES)
            finally:
                body.close()

        return read()

    def delete(self, tenant: str, key: str) -> None:
        """Delete the object (S3 answers the same when it is absent)."""
        self.client.delete_object(Bucket=self.bucket, Key=self._key(tenant, key))

    def exists(self, tenant: str, key: str) -> bool:
        """Whether the object exists."""
        found = self.client.list_objects_v2(
            Bucket=self.bucket, Prefix=self._key(tenant, key), MaxKeys=1
        )
        return any(o["Key"] == self._key(tenant, key) for o in found.get("Contents", ()))


__all__ = ["S3FileStore"]

"""The deployment's file store, chosen by ``TRELLIS_FILE_STORE`` (docs/configuration.md)."""

from __future__ import annotations

from trellis.platform.config import RuntimeConfig
from trellis.platform.files.local_store import LocalFileStore
from trellis.platform.files.s3_store import S3FileStore
from trellis.platform.files.store import FileStore


def file_store(config: RuntimeConfig) -> FileStore:
    """The local folder store under the data dir, or the S3 store of the ``TRELLIS_S3_*``.

    Raises:
        ValueError: ``s3`` without a bucket.
    """
    if config.file_store == "s3":
        if not config.s3_bucket:
            raise ValueError("TRELLIS_FILE_STORE=s3 needs TRELLIS_S3_BUCKET.")
        return S3FileStore.connect(
            config.s3_bucket,
            endpoint_url=config.s3_endpoint_url,
            region=config.s3_region,
            prefix=config.s3_prefix,
        )
    return LocalFileStore(config.data_dir / "files")


__all__ = ["file_store"]

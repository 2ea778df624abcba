"""Blob stores behind one small interface: a local directory or an S3-compatible bucket.

Pick one with `open_store(url)`; see storage.factory for the URL format.
"""

from storage.base import BlobInfo, BlobNotFoundError, BlobStore, BlobStoreError, StoreFullError
from storage.factory import open_store
from storage.local import LocalBlobStore
from storage.s3 import S3BlobStore

__all__ = [
    "BlobInfo",
    "BlobNotFoundError",
    "BlobStore",
    "BlobStoreError",
    "LocalBlobStore",
    "S3BlobStore",
    "StoreFullError",
    "open_store",
]

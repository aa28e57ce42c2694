"""Files of file fields: the file store (local folder or S3), upload checks, the service."""

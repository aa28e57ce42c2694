# Trellis: one image for `trellis serve` and, later, `trellis worker`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TRELLIS_DATA_DIR=/data

WORKDIR /app
# Text layout and fonts for PDF documents (WeasyPrint; docs/documents.md).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fontconfig fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY trellis ./trellis
COPY platform ./platform
COPY metadata ./metadata
COPY rules ./rules
COPY ui ./ui
COPY tenants ./tenants
COPY seed ./seed
# The s3 extra: several app containers share files through an S3-compatible store.
RUN pip install --no-cache-dir ".[s3]" \
    && useradd --create-home --uid 1000 trellis \
    && mkdir -p /data && chown trellis /data

USER trellis
VOLUME ["/data"]
EXPOSE 8000
CMD ["trellis", "serve", "--host", "0.0.0.0", "--port", "8000"]

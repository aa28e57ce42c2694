"""Record exports over HTTP: streamed answers and export jobs with signed download links.

``stream`` runs an export in a worker thread and hands its bytes over a bounded queue,
so an HTTP answer starts at once and memory stays flat in the row count. ``jobs``
writes large exports to a file under the data dir (temp + rename) as an outbox job;
``links`` signs and checks the expiring download links; ``store`` keeps each job's
state as a small JSON file beside its file.
"""

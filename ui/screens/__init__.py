"""Server-rendered HTMX screens generated from each tenant's metadata."""

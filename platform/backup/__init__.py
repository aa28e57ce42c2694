"""Tenant backup and restore: one portable zip archive per tenant (docs/backup.md)."""

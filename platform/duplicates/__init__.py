"""Duplicate rules at work: matching on save, scanning existing rows, merging records.

See docs/duplicates.md. The rules come from the entity files (``duplicates:``,
metadata/model/duplicates.py); this package compares records, finds candidates in
the tenant's database and merges duplicates through the save pipeline.
"""

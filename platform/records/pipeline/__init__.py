"""The save pipeline: named steps over a repository that owns the SQL."""

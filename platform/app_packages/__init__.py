"""App packages as files: canonical export, stable ids, template packs, installs, upgrades."""

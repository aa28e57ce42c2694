"""Privacy: find a person's records from field metadata, export them, erase them for good,
and keep the consent ledger marketing e-mails are checked against (docs/privacy.md)."""

"""The peer benchmark harness behind ``python -m bench run`` (bench/README.md)."""

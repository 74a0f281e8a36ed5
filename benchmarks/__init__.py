"""Benchmark scripts that print numbers; run them as modules from the repository root."""

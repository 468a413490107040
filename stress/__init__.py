"""Stress runs (``make stress``): fuzzing, big documents, crashes, concurrency, backups."""

"""The indexing pipeline: extract -> clean -> segment -> enrich -> catalogue.

Each stage is a small module with a ``VERSION`` string; the pipeline version
recorded with every document is made of them, so a stage change re-indexes.
"""

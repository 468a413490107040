"""Vector stores: one interface (:class:`kb.store.base.Store`), two Qdrant engines.

- :mod:`kb.store.edge`: Qdrant Edge, in process, under ``$CTKB_HOME`` (the default).
- :mod:`kb.store.server`: a Qdrant server or cluster through ``qdrant-client``
  (``CTKB_QDRANT_URL``); ``":memory:"`` gives qdrant-client's local mode, which speaks
  the server's API and stands in for a server in tests.
"""

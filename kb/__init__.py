"""ctkb core library: domain models, settings, errors, catalogue and (later) the store.

Importing ``kb`` has no side effects: no model is loaded and no file is opened.
"""

__version__ = "0.1.0"

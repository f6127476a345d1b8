"""wayhome: offline-first wilderness search and rescue planning.

Find the lost person fast, and bring every searcher home.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

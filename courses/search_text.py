"""Moved to ``courses/search/text.py``; public as ``courses.services.segment``.

Kept only for ``kfplatform/demo/seed.py``, which another branch of issue 18
moves out of kfplatform: point it at ``courses.services.segment``, then
delete this module.
"""

from .search.text import segment as segment

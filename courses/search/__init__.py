"""Search over the catalogue: the query (``query``), the segmented text rows are
matched by (``text``), keeping that text fresh (``index``) and the page (``views``).

Other apps reach it through ``courses.selectors.search`` and
``courses.services.segment``; nothing is imported here, so each module loads alone.
"""

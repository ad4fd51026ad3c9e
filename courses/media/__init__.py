"""Video media: probing uploads (``probe``), transcoding (``transcode``), the asset
writes (``services``, re-exported by ``courses.services``) and signed lesson media
URLs (``urls``). Nothing is imported here, so each module loads alone.
"""

"""The staff analytics dashboard and the creator analytics page, read from rollups."""

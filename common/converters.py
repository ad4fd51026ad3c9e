"""URL converters shared by every app."""


class OrderNumberConverter:
    """An order number in a URL (``Order.number`` is at most 24 characters)."""

    regex = "[A-Za-z0-9-]{1,24}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class IdConverter:
    """A database id in a URL: like ``int``, but at most 18 digits.

    Every id column is a 64-bit integer; a longer number cannot name a row,
    and passed on to a query it fails in the driver ("int too large") instead
    of finding nothing. With this converter such a URL is simply a 404.
    """

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)

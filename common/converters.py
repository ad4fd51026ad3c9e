"""URL converters and number parsing for untrusted text, shared by every app."""

ID_DIGITS = 18  # every id column is a 64-bit integer: 19 digits may already overflow
MAX_ID = 2**63 - 1  # the largest id a 64-bit column holds (SQLite raises past it)


def ascii_int(text: str | None, max_digits: int = ID_DIGITS) -> int | None:
    """``text`` as an int when it is 1 to ``max_digits`` ASCII digits, else None.

    ``str.isdigit`` accepts "²", which ``int`` refuses, and ``int`` reads
    digits of any script and thousands of them (a ``ValueError`` past 4,300);
    text from a request goes through this instead.
    """
    if not text or len(text) > max_digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


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

    regex = f"[0-9]{{1,{ID_DIGITS}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)

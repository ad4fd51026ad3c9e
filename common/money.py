"""Money is integer minor units plus an ISO 4217 code; this formats it for people."""

from decimal import Decimal

# Currencies whose minor unit is not 1/100.
_EXPONENT = {"JPY": 0, "KRW": 0}
_SYMBOL = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}


def minor_to_decimal(amount_minor: int, currency: str) -> Decimal:
    """1999 CNY fen → Decimal('19.99')."""
    exponent = _EXPONENT.get(currency, 2)
    return Decimal(amount_minor).scaleb(-exponent)


def decimal_to_minor(amount: Decimal, currency: str) -> int:
    """Decimal('19.99') CNY → 1999 fen (what people type → what is stored)."""
    return int(amount.scaleb(_EXPONENT.get(currency, 2)))


def format_money(amount_minor: int, currency: str, *, language: str = "en") -> str:
    """Format for display: ``¥19.99`` in English, ``19.99 元`` in Chinese; ``−¥5.00`` below zero."""
    value = minor_to_decimal(abs(amount_minor), currency)
    digits = _EXPONENT.get(currency, 2)
    number = f"{value:,.{digits}f}"
    sign = "−" if amount_minor < 0 else ""
    if language.lower().startswith("zh") and currency == "CNY":
        return f"{sign}{number} 元"
    symbol = _SYMBOL.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency}"

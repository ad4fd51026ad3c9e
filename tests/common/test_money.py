import pytest

from common.money import format_money, minor_to_decimal


@pytest.mark.parametrize(
    ("minor", "currency", "language", "expected"),
    [
        (1990, "CNY", "en", "¥19.90"),
        (1990, "CNY", "zh-hans", "19.90 元"),
        (123456, "USD", "en", "$1,234.56"),
        (500, "JPY", "en", "¥500"),
        (100, "CHF", "en", "1.00 CHF"),
    ],
)
def test_format_money(minor: int, currency: str, language: str, expected: str) -> None:
    assert format_money(minor, currency, language=language) == expected


def test_minor_units_are_exact() -> None:
    assert str(minor_to_decimal(1, "CNY")) == "0.01"

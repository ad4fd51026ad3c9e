from django import template
from django.utils.translation import get_language

from common.money import format_money

register = template.Library()


@register.simple_tag
def money(amount_minor: int, currency: str) -> str:
    """``{% money course.price_minor course.currency %}`` in the page's language."""
    return format_money(amount_minor, currency, language=get_language() or "en")

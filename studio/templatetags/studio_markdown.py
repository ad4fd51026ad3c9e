from django import template
from django.utils.safestring import SafeString, mark_safe

from studio.markdown import markdown_render

register = template.Library()


@register.filter
def markdown_safe(text: str) -> SafeString:
    """Render Markdown sanitised by nh3; the result is safe by construction."""
    return mark_safe(markdown_render(text))

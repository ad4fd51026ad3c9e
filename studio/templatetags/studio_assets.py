from typing import Any

from django import template

from studio.selectors import asset_picker_label

register = template.Library()


@register.filter
def picker_label(asset: Any) -> str:
    """A lesson video as the picker names it (studio.selectors.asset_picker_label)."""
    return asset_picker_label(asset)

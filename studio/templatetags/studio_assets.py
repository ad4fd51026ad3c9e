from django import template

from courses.models import MediaAsset
from studio.selectors import asset_picker_label

register = template.Library()


@register.filter
def picker_label(asset: MediaAsset) -> str:
    """A lesson video as the picker names it (studio.selectors.asset_picker_label)."""
    return asset_picker_label(asset)

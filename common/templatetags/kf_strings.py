"""Page-script strings for templates: ``{% upload_strings as s %}{{ s|json_script:"upload-strings" }}``."""

from django import template

from common.strings import upload_strings as _upload_strings

register = template.Library()


@register.simple_tag
def upload_strings() -> dict[str, str]:
    """The studio uploader's texts in the request's language."""
    return _upload_strings()

from django import template
from django.utils.translation import gettext as _

from commerce.selectors import refund_rule_for_course

register = template.Library()


@register.simple_tag
def refund_rule(course_id: int) -> str:
    """The refund rule a buyer can read before paying, e.g. on the course page."""
    days, percent = refund_rule_for_course(course_id=course_id)
    return _(
        "Refundable within %(days)s days if you have watched under %(percent)s%% of the course."
    ) % {"days": days, "percent": percent}

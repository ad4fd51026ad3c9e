from typing import Any

from django import template
from django.utils.translation import gettext as _

from commerce.selectors import order_paid_for_course, refund_eligibility, refund_rule_for_course

register = template.Library()


@register.simple_tag
def refund_rule(course_id: int) -> str:
    """The refund rule a buyer can read before paying, e.g. on the course page."""
    days, percent = refund_rule_for_course(course_id=course_id)
    return _(
        "Refundable within %(days)s days if you have watched under %(percent)s%% of the paid "
        "lessons since buying; free previews do not count."
    ) % {"days": days, "percent": percent}


@register.inclusion_tag("commerce/_refund_box.html")
def refund_meter(course_id: int, user_id: int | None) -> dict[str, Any]:
    """On the course page of a buyer still inside the refund rule: the rule and the meter."""
    order = order_paid_for_course(user_id=user_id, course_id=course_id)
    if order is None:
        return {"order": None}
    return {"order": order, "eligibility": refund_eligibility(order=order)}

"""Translated strings the page scripts show, handed to them as JSON."""

from django.utils.translation import gettext as _


def page_strings() -> dict[str, str]:
    """Every string static/js/*.js displays, in the request's language."""
    return {
        "loading": _("Loading…"),
        "error": _("Something went wrong. Try again."),
        "end": _("You are all caught up."),
        "empty": _("Nothing here yet."),
        "login_following": _("Log in to see videos from creators you follow."),
        "follow": _("Follow"),
        "following": _("Following"),
        "free": _("Free"),
        "copied": _("Link copied."),
        "hidden": _("We will show you less like this."),
        "reported": _("Thanks, a moderator will look at it."),
        "reply": _("Reply"),
        "edit": _("Edit"),
        "delete": _("Delete"),
        "report": _("Report"),
    }

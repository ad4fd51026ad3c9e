"""Translated strings the page scripts show, handed to them as JSON."""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def page_strings() -> dict[str, str]:
    """Every string static/js/*.js displays, in the request's language."""
    return {
        "loading": _("Loading…"),
        "error": _("Something went wrong. Try again."),
        "end": _("You are all caught up."),
        "empty": _("Nothing here yet."),
        "login_following": _("Log in to see videos from creators you follow."),
        "follow": _("Follow"),
        "following": pgettext("follow button state", "Following"),
        "free": _("Free"),
        "copied": _("Link copied."),
        "hidden": _("We will show you less like this."),
        "reported": _("Thanks, a moderator will look at it."),
        "reply": _("Reply"),
        "edit": _("Edit"),
        "delete": _("Delete"),
        "report": _("Report"),
        "subtitles": _("Subtitles"),
    }


def upload_strings() -> dict[str, str]:
    """Every string static/studio/upload.js displays; ``{name}`` is filled in by the script."""
    return {
        "start_failed": _("Could not start the upload."),
        "dropping": _("The connection keeps dropping; choose the file again to resume."),
        "resuming": _("Connection lost; resuming…"),
        "upload_failed": _("Upload failed ({status})."),
        "uploaded": _("Uploaded {percent}%"),
        "new_upload": _("new upload"),
        "ready": _("Ready: {seconds} s, {width}×{height}."),
        "failed": _("Failed: {reason}"),
        "processing": _("Processing…"),
        "retry": _("Retry"),
        "retry_failed": _("Retry failed."),
    }

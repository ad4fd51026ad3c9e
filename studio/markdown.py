"""Course descriptions: Markdown rendered, then sanitised with nh3 (an allowlist)."""

import markdown
import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def markdown_render(text: str) -> str:
    """Markdown → HTML safe to mark safe: no scripts, handlers, styles or images.

    Links keep only http(s)/mailto and get ``rel="nofollow noopener"``.
    """
    html = markdown.markdown(text or "", extensions=["tables", "fenced_code"])
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )

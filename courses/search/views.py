"""The search page: ``/search/?q=`` with videos, courses and creators."""

from decimal import Decimal
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from ..models import Category
from .query import SearchResults, SearchType, highlight, search
from .text import search_terms

PAGE_SIZE = 12
TYPE_CHOICES = [
    ("all", _("Everything")),
    ("videos", _("Videos")),
    ("courses", _("Courses")),
    ("creators", _("Creators")),
]
PRICING_CHOICES = [("", _("Any price")), ("free", _("Free")), ("paid", _("Paid"))]


class SearchForm(forms.Form):
    """The page's GET form. Prices are in yuan here (the API takes fen)."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    type = forms.ChoiceField(label=_("Show"), choices=TYPE_CHOICES, required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    pricing = forms.ChoiceField(label=_("Price"), choices=PRICING_CHOICES, required=False)
    price_min = forms.DecimalField(
        label=_("Min price (¥)"), min_value=0, max_digits=9, decimal_places=2, required=False
    )
    price_max = forms.DecimalField(
        label=_("Max price (¥)"), min_value=0, max_digits=9, decimal_places=2, required=False
    )
    page = forms.IntegerField(min_value=1, max_value=500, required=False)

    def __init__(self, *args: Any, categories: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [("", _("All categories")), *categories]

    def clean_q(self) -> str:
        q: str = self.cleaned_data["q"].strip()
        if q and not search_terms(q):
            raise forms.ValidationError(_("Enter at least one word or character to find."))
        return q

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("Must be at least the minimum price."))
        return data


FILTERS = ("q", "type", "category", "pricing", "price_min", "price_max")


def _given(value: Any) -> bool:
    return value is not None and value != ""  # a minimum price of 0 is a filter too


def _to_minor(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 100)


def search_page(request: HttpRequest) -> HttpResponse:
    """Show the three sections for a query; the form stays filled in."""
    categories = [(c.slug, c.name) for c in Category.objects.order_by("position", "slug")]
    form = SearchForm(request.GET or None, categories=categories)
    context: dict[str, Any] = {"form": form, "results": None}
    # Words search; filters alone (e.g. ?type=courses) browse the catalogue.
    if form.is_bound and form.is_valid() and any(_given(form.cleaned_data.get(f)) for f in FILTERS):
        data = form.cleaned_data
        page = data["page"] or 1
        kind: SearchType = data["type"] or "all"
        results = search(
            query=data["q"],
            type=kind,
            category_slug=data["category"] or None,
            pricing=data["pricing"] or None,
            price_min_minor=_to_minor(data["price_min"]),
            price_max_minor=_to_minor(data["price_max"]),
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
            browse=True,
        )
        context |= {"results": results, "type": kind, "page": page}
        context |= _highlighted(results)
        context["next_page"] = _next_page(results, kind, page)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "courses/search.html", context, status=status)


def _highlighted(results: SearchResults) -> dict[str, Any]:
    """Pair each row with its escaped, marked-up title (or creator name)."""
    terms = results.terms
    pairs: dict[str, Any] = {}
    for name in ("videos", "courses"):
        section = getattr(results, name)
        if section is not None:
            pairs[name] = [(row, highlight(row.title, terms)) for row in section.results]
    if results.creators is not None:
        pairs["creators"] = [
            (row, highlight(row.public_name, terms)) for row in results.creators.results
        ]
    return pairs


def _next_page(results: SearchResults, kind: str, page: int) -> int | None:
    """A single-section view pages; 'everything' links to each section instead."""
    if kind == "all":
        return None
    section = getattr(results, kind)
    return page + 1 if section is not None and section.count > page * PAGE_SIZE else None

"""Every model says whether it holds personal data, so export and delete can be generated."""

import pytest
from django.apps import apps

OURS = {"accounts", "analytics", "courses", "commerce", "recommendations", "common", "kfplatform"}


@pytest.mark.parametrize(
    "model", [m for m in apps.get_models() if m._meta.app_label in OURS], ids=lambda m: m.__name__
)
def test_model_docstring_marks_personal_data(model) -> None:
    doc = model.__doc__ or ""
    assert ".. pii:" in doc or ".. no_pii:" in doc

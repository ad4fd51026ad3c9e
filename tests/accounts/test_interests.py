"""A user's interests stay a list of tag slugs, whichever form writes them."""

import pytest
from django.forms import modelform_factory

from accounts.models import MAX_INTERESTS, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# The admin edits interests through a ModelForm of User, as this one does.
InterestsForm = modelform_factory(User, fields=["interests"])


def test_a_list_of_tag_slugs_is_saved() -> None:
    user: User = UserFactory.create(interests=["cooking"])
    form = InterestsForm({"interests": '["python", "摄影", "data-science"]'}, instance=user)
    assert form.is_valid(), form.errors
    form.save()
    user.refresh_from_db()
    assert user.interests == ["python", "摄影", "data-science"]


@pytest.mark.parametrize(
    "typed",
    [
        '["\\u0000"]',  # jsonb cannot hold a NUL character
        '["\\ud800"]',  # nor an unpaired surrogate
        '{"python": 1}',
        "5",
        '["two words"]',
        "[1, 2]",
        str([f"tag{i}" for i in range(MAX_INTERESTS + 1)]).replace("'", '"'),
    ],
)
def test_anything_else_is_a_form_error_and_keeps_the_stored_interests(typed: str) -> None:
    user: User = UserFactory.create(interests=["cooking"])
    form = InterestsForm({"interests": typed}, instance=User.objects.get(pk=user.pk))
    assert not form.is_valid()
    assert "list of at most 20 tag slugs" in str(form.errors["interests"])
    user.refresh_from_db()
    assert user.interests == ["cooking"]

"""The dashboard's funnel builder and the funnel API (issue 17, item 3)."""

import csv
import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache

from analytics.models import Event
from analytics.rollups import local_today
from analytics.services import rollups_backfill
from tests.analytics.helpers import at, ev
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db
T = Event.Type
STEPS = "f_step1=course.viewed&f_step2=order.created&f_step3=order.paid"


@pytest.fixture
def staff(client):
    user = UserFactory.create(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    client.force_login(user)
    return client


@pytest.fixture
def data():
    """Three viewers of one course yesterday: two start checkout, one pays."""
    day = local_today() - timedelta(days=1)
    course = CourseFactory.create(title="Piano basics")
    ids = {"course_id": course.pk, "creator_id": course.creator_id}
    paths = ([T.COURSE_VIEW], [T.COURSE_VIEW, T.CHECKOUT], [T.COURSE_VIEW, T.CHECKOUT, T.PURCHASE])
    for n, steps in enumerate(paths):
        for minute, type_ in enumerate(steps):
            ev(type_, at(day, 10, minute * 5), f"sub{n}", **ids)
    rollups_backfill(first=day, last=day)
    return SimpleNamespace(course=course, day=day, range=f"from={day}&to={day}")


def _table_rows(html: str, table_id: str) -> list[str]:
    start = html.index(f'id="table-{table_id}"')
    body = html[start : html.index("</table>", start)]
    return body.split("<tr>")[2:]


def test_builder_shows_steps_rates_chart_and_time_to_convert(staff, data):
    response = staff.get(f"/dashboard/?{data.range}&{STEPS}&f_window=1&f_unit=days")
    assert response.status_code == 200
    html = response.content.decode()
    rows = _table_rows(html, "funnel_custom")
    assert "<td>3</td>" in rows[0]
    assert "<td>2</td>" in rows[1]
    assert "<td>1</td>" in rows[2]
    assert "66.7%" in rows[1]
    assert "50.0%" in rows[2]
    assert 'id="chart-funnel-custom"' in html
    assert 'id="chart-funnel-convert"' in html
    # the payer's purchase came 10 minutes after entry: the 10–60 min bucket
    convert = _table_rows(html, "funnel_convert")
    assert convert[2].startswith('<th scope="row">10–60 min</th><td>0</td><td>1</td>')


def test_course_filter_names_the_course_and_unknown_ids_are_form_errors(staff, data):
    html = staff.get(
        f"/dashboard/?{data.range}&{STEPS}&f_window=2&f_unit=hours&f_course={data.course.pk}"
    ).content.decode()
    assert "Piano basics" in html
    other = CourseFactory.create()
    response = staff.get(
        f"/dashboard/?{data.range}&{STEPS}&f_window=2&f_unit=hours&f_course={other.pk}"
    )
    assert _table_rows(response.content.decode(), "funnel_custom")[0].count("<td>0</td>") == 1
    response = staff.get(
        f"/dashboard/?{data.range}&{STEPS}&f_window=2&f_unit=hours&f_course=999999"
    )
    assert response.status_code == 400
    assert "No course or creator has that id." in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "f_step1=course.viewed&f_window=1&f_unit=days",  # one step
        "f_step1=course.viewed&f_step2=video.exploded&f_window=1&f_unit=days",
        f"{STEPS}&f_window=0&f_unit=days",
        f"{STEPS}&f_window=31&f_unit=days",
        f"{STEPS}&f_window=1&f_unit=weeks",
        f"{STEPS}&f_window=lots&f_unit=days",
        f"{STEPS}&f_window=1&f_unit=days&f_course=1&f_creator=2",
        f"{STEPS}&f_window=1&f_unit=days&f_drop=4",
        f"{STEPS}&f_window=1&f_unit=days&f_course=-3",
    ],
)
def test_bad_funnel_input_gets_a_form_error_not_a_500(staff, query):
    response = staff.get(f"/dashboard/?{query}")
    assert response.status_code == 400
    assert 'id="funnel-errors"' in response.content.decode()
    assert staff.get(f"/dashboard/export/funnel_custom.csv?{query}").status_code == 400


def test_drop_off_list_shows_pseudonyms_linked_to_their_events(staff, data):
    html = staff.get(
        f"/dashboard/?{data.range}&{STEPS}&f_window=1&f_unit=days&f_drop=3"
    ).content.decode()
    listed = html[
        html.index('id="funnel-drop-offs"') : html.index(
            "</ul>", html.index('id="funnel-drop-offs"')
        )
    ]
    assert "sub1" in listed
    assert "sub0" not in listed
    assert "sub2" not in listed
    assert "/admin/analytics/event/?q=sub1" in listed


def test_the_page_without_a_funnel_asked_runs_no_funnel(staff, data):
    html = staff.get(f"/dashboard/?{data.range}").content.decode()
    assert 'id="h-funnel-custom"' in html
    assert 'id="table-funnel_custom"' not in html


def test_funnel_csv_equals_the_page(staff, data):
    response = staff.get(
        f"/dashboard/export/funnel_custom.csv?{data.range}&{STEPS}&f_window=1&f_unit=days"
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r[2] for r in rows[1:]] == ["3", "2", "1"]


def test_funnel_adds_the_same_queries_whatever_the_steps_and_rows(
    staff, data, django_assert_max_num_queries
):
    base = f"/dashboard/?{data.range}&f_window=1&f_unit=days"
    cache.clear()
    with django_assert_max_num_queries(100) as two:
        staff.get(f"{base}&f_step1=course.viewed&f_step2=order.paid")
    cache.clear()
    five = "&".join(
        f"f_step{j}={e}"
        for j, e in enumerate([T.PLAY, T.COURSE_VIEW, T.PREVIEW_PLAY, T.CHECKOUT, T.PURCHASE], 1)
    )
    for n in range(5):
        ev(T.COURSE_VIEW, at(data.day, 11), f"more{n}", course_id=data.course.pk)
    rollups_backfill(first=data.day, last=data.day)
    cache.clear()
    with django_assert_max_num_queries(len(two.captured_queries)):
        staff.get(f"{base}&{five}")


def test_staff_without_the_permission_and_non_staff_are_refused(client, data):
    client.force_login(UserFactory.create(is_staff=True))
    assert client.get(f"/dashboard/?{STEPS}&f_window=1&f_unit=days&f_drop=2").status_code == 403
    client.force_login(UserFactory.create())
    assert client.get(f"/dashboard/export/funnel_custom.csv?{STEPS}").status_code == 403


API = "/api/v1/analytics/funnel"


def test_api_answers_counts_buckets_and_drop_offs_for_staff(staff, data):
    response = staff.get(
        API,
        {
            "steps": "course.viewed,order.created,order.paid",
            "window_hours": 24,
            "first": data.day,
            "last": data.day,
            "drop_off_step": 2,
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert [s["subjects"] for s in body["steps"]] == [3, 2, 1]
    assert body["steps"][2]["to_convert"][2] == 1
    assert body["drop_offs"] == ["sub0"]
    assert body["in_progress"] is True  # yesterday's entries' windows are still open


@pytest.mark.parametrize(
    "params",
    [
        {"steps": "course.viewed", "window_hours": 1},
        {"steps": "course.viewed,nope", "window_hours": 1},
        {"steps": "course.viewed,order.paid", "window_hours": 0},
        {"steps": "course.viewed,order.paid", "window_hours": 721},
        {"steps": "course.viewed,order.paid"},
        {"steps": "course.viewed,order.paid", "window_hours": 1, "course_id": 1, "creator_id": 1},
        {"steps": "course.viewed,order.paid", "window_hours": 1, "drop_off_step": 3},
        {
            "steps": "course.viewed,order.paid",
            "window_hours": 1,
            "first": "2026-03-05",
            "last": "2026-03-01",
        },
    ],
)
def test_api_bad_input_is_a_400_with_the_error_shape(staff, params):
    response = staff.get(API, params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_api_drop_offs_need_staff_and_counts_need_the_permission(client, data):
    user = UserFactory.create()  # the permission without staff status
    user.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    client.force_login(user)
    params = {"steps": "course.viewed,order.paid", "window_hours": 24}
    assert client.get(API, params).status_code == 200
    assert client.get(API, {**params, "drop_off_step": 2}).status_code == 403
    client.force_login(UserFactory.create(is_staff=True))
    assert client.get(API, params).status_code == 403


def test_builder_and_its_results_read_in_chinese(staff, data):
    html = staff.get(
        f"/dashboard/?{data.range}&{STEPS}&f_window=1&f_unit=days",
        headers={"accept-language": "zh-hans"},
    ).content.decode()
    assert "自定义漏斗" in html
    assert "第 2 步" in html
    assert "1 天" in html  # the window in the caption
    assert "Time to convert" not in html

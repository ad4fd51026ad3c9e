"""English and Simplified Chinese: Accept-Language, the switcher, and a complete catalogue."""

import gettext
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from analytics.models import MetricRun
from commerce.models import Order
from tests.conftest import require
from tests.factories import (
    CategoryFactory,
    CourseFactory,
    CreatorProfileFactory,
    LessonFactory,
    ShortVideoFactory,
    UserFactory,
)

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_FILE = LOCALE_DIR / "django.po"
MO_FILE = LOCALE_DIR / "django.mo"
ZH = "zh-hans"


def _page(client: Client, url: str, accept_language: str = "") -> str:
    headers = {"accept-language": accept_language} if accept_language else {}
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.django_db
def test_accept_language_zh_gives_chinese_pages(client: Client) -> None:
    # given a catalogue with a video and a paid course with a free preview
    ShortVideoFactory.create()
    lesson = LessonFactory.create(is_preview=True, section__course__price_minor=1990)
    # when a Chinese browser opens the pages, then they are in Chinese
    home = _page(client, "/", ZH)
    assert '<html lang="zh-hans">' in home
    for text in ("短视频", "课程", "注册", "登录", "首页"):
        assert text in home
    assert "Short videos" not in home
    feed = _page(client, "/feed/", ZH)
    for text in ("推荐", "热门", "关注", "点赞", "评论"):
        assert text in feed
    assert "For you" not in feed
    course = _page(client, f"/c/{lesson.course.slug}/", ZH)
    for text in ("课程目录", "免费试看", "登录后购买"):
        assert text in course
    assert "19.90 元" in course  # the price, formatted for the locale
    assert "Free preview" not in course
    login = _page(client, "/accounts/login/", ZH)
    assert "第一次来？" in login
    assert "用户名" in login  # Django's own catalogue, for the form labels
    signup = _page(client, "/accounts/signup/", ZH)
    for text in ("创建账号", "已有账号？", "邮箱"):
        assert text in signup


@pytest.mark.django_db
def test_english_stays_the_default(client: Client) -> None:
    # given a catalogue
    lesson = LessonFactory.create(is_preview=True, section__course__price_minor=1990)
    # when a browser sends no Accept-Language, then the pages are in English
    home = _page(client, "/")
    assert '<html lang="en">' in home
    assert "Short videos" in home
    assert "短视频" not in home
    course = _page(client, f"/c/{lesson.course.slug}/")
    assert "Free preview" in course
    assert "¥19.90" in course
    assert "免费试看" not in course


@pytest.mark.django_db
def test_the_switcher_sets_the_language_over_accept_language(client: Client) -> None:
    # given an English browser
    assert "Short videos" in _page(client, "/", "en")
    # when the viewer picks 中文 in the switcher
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    # then the choice is remembered in the cookie and wins over the header
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert "短视频" in _page(client, "/", "en")
    # and switching back gives English again
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Short videos" in _page(client, "/", ZH)


@pytest.mark.django_db
def test_server_messages_and_choice_labels_are_translated(api_client) -> None:
    # given a logged-in Chinese viewer
    viewer = UserFactory.create()
    api_client.force_authenticate(viewer)
    # when they try to follow themselves
    response = api_client.post(
        f"/api/v1/creators/{viewer.pk}/follow", headers={"accept-language": ZH}
    )
    # then the error message is in Chinese, the code unchanged
    assert response.status_code == 400
    assert response.json()["code"] == "follow_self"
    assert response.json()["message"] == "不能关注自己。"
    # and the status labels pages show follow the language
    with translation.override("zh-hans"):
        assert str(Order.Status.PAID.label) == "已支付"
        assert str(Order.Status.REFUNDED.label) == "已退款"
    with translation.override("en"):
        assert str(Order.Status.PAID.label) == "Paid"


@pytest.mark.django_db
def test_buy_box_and_refund_rule_are_translated(client: Client) -> None:
    # given a logged-in viewer and a paid course
    lesson = LessonFactory.create(section__course__price_minor=4900)
    client.force_login(UserFactory.create())
    # when they open the course page in Chinese
    page = _page(client, f"/c/{lesson.course.slug}/", ZH)
    # then the buy button and the refund rule are in Chinese
    for text in ("立即购买", "优惠码", "49.00 元"):
        assert text in page
    assert re.search(
        r"购买后 \d+ 天内、且购买后观看的付费课时不足 \d+% 可退款；免费试看不计入。", page
    )
    assert "Refundable within" not in page


def _po_entries(path: Path = PO_FILE) -> list[dict[str, str]]:
    """A small .po reader: flags, msgctxt, msgid, msgid_plural, msgstr / msgstr[n]."""
    entries: list[dict[str, str]] = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry: dict[str, str] = {"flags": ""}
        key = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] += line[2:]
            elif line.startswith("#~"):
                entry["obsolete"] = "1"
            elif match := re.match(
                r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (\".*\")$", line
            ):
                key = match.group(1)
                entry[key] = _unquote(match.group(2))
            elif line.startswith('"') and key:
                entry[key] += _unquote(line)
        entries.append(entry)
    return entries


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), body)


def _placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\([a-z0-9_]+\)[-+ #0-9.]*[sdif]|\{[a-z0-9_]+\}", text))


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_msgid_has_a_chinese_msgstr_and_none_is_fuzzy(domain: str) -> None:
    # given the committed catalogue (page scripts get their texts through json_script, so a
    # djangojs catalogue is checked the same way only once one exists)
    path = LOCALE_DIR / f"{domain}.po"
    if domain == "djangojs" and not path.exists():
        assert not list(Path(settings.BASE_DIR).glob("*/locale/*/LC_MESSAGES/djangojs.po"))
        return
    entries = _po_entries(path)
    header, messages = entries[0], entries[1:]
    assert header["msgid"] == ""
    assert "fuzzy" not in header["flags"]
    assert len(messages) > 300
    for entry in messages:
        # then every entry is live, not fuzzy, translated, with the same placeholders
        assert "obsolete" not in entry, entry
        assert "fuzzy" not in entry["flags"], entry["msgid"]
        translations = [v for k, v in entry.items() if k.startswith("msgstr")]
        assert translations, entry["msgid"]
        for text in translations:
            assert text.strip(), entry["msgid"]
            assert _placeholders(text) == _placeholders(entry["msgid"]), entry["msgid"]


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    # given the committed .mo (CI has no gettext to compile it)
    catalog = gettext.GNUTranslations(MO_FILE.open("rb"))
    # then every .po translation is in it: nobody forgot to run compilemessages
    for entry in _po_entries()[1:]:
        if "msgid_plural" in entry:
            got = catalog.ngettext(entry["msgid"], entry["msgid_plural"], 1)
            assert got == entry["msgstr[0]"], entry["msgid"]
        elif "msgctxt" in entry:
            assert catalog.pgettext(entry["msgctxt"], entry["msgid"]) == entry["msgstr"]
        else:
            assert catalog.gettext(entry["msgid"]) == entry["msgstr"], entry["msgid"]


def _untranslated_text(template: str) -> list[str]:
    text = re.sub(r"<script.*?</script>|<style.*?</style>", "", template, flags=re.S)
    text = re.sub(r"{%\s*blocktrans.*?endblocktrans(?:late)?\s*%}", "", text, flags=re.S)
    text = re.sub(r"{%.*?%}|{{.*?}}|{#.*?#}", "", text, flags=re.S)
    found = re.findall(r'(?:aria-label|placeholder|title|alt)="([^"]*[A-Za-z]{2,}[^"]*)"', text)
    text = re.sub(r"<[^>]*>", " ", text)
    found += [line.strip() for line in text.splitlines() if re.search(r"[A-Za-z]{2,}", line)]
    # the brand name and CSV table names are not words to translate
    return [s for s in found if not re.fullmatch(r"(\s|·|kf\s*platform|kf|platform|\(\w+\))*", s)]


def test_no_template_has_text_outside_translation_tags() -> None:
    # given every page template
    templates = sorted((Path(settings.BASE_DIR) / "templates").rglob("*.html"))
    assert templates
    # then no visible word or label is left outside {% trans %} / {% blocktrans %}
    leftovers = {str(p): _untranslated_text(p.read_text()) for p in templates}
    assert {k: v for k, v in leftovers.items() if v} == {}


@pytest.mark.django_db
def test_studio_uploader_gets_its_texts_in_chinese(client: Client) -> None:
    # given a creator
    creator = CreatorProfileFactory.create().user
    client.force_login(creator)
    # when they open the uploads page in Chinese
    page = _page(client, reverse("studio:library"), ZH)
    # then the page and the uploader script's texts are in Chinese, placeholders intact
    assert "上传管理" in page
    assert '"uploaded": "\\u5df2\\u4e0a\\u4f20 {percent}%"' in page


def _visible_text(html: str) -> str:
    """The words a reader sees: no scripts, styles, tags or attribute values."""
    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", text))


@pytest.mark.django_db
def test_category_names_follow_the_language(client: Client) -> None:
    # given a course in a seeded category that has its Chinese name
    category = CategoryFactory.create(slug="education", name="Education", name_zh="教育")
    lesson = LessonFactory.create(is_preview=True, section__course__category=category)
    course = lesson.course
    # when the course page and the catalogue API are read in each language
    zh_page = _page(client, f"/c/{course.slug}/", ZH)
    en_page = _page(client, f"/c/{course.slug}/", "en")
    # then the category reads in the viewer's language
    assert '<p class="crumb">教育</p>' in zh_page
    assert '<p class="crumb">Education</p>' in en_page
    with translation.override("zh-hans"):
        assert category.display_name == "教育"
    with translation.override("en"):
        assert category.display_name == "Education"
    # and a category nobody translated falls back to its English name
    plain = CategoryFactory.create(slug="misc", name="Misc", name_zh="")
    with translation.override("zh-hans"):
        assert plain.display_name == "Misc"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lessons", "english", "chinese"), [(1, "1 lesson ·", "1 个课时"), (2, "2 lessons", "2 个课时")]
)
def test_lesson_count_is_a_real_plural(
    client: Client, lessons: int, english: str, chinese: str
) -> None:
    # given a course with one or two lessons
    first = LessonFactory.create(duration_seconds=30)
    for _ in range(lessons - 1):
        LessonFactory.create(section=first.section, duration_seconds=30)
    url = f"/c/{first.course.slug}/"
    # then the count agrees with the number, in both languages
    en_page = _page(client, url, "en")
    assert english in en_page
    assert "1 lessons" not in en_page
    zh_page = _page(client, url, ZH)
    assert chinese in zh_page
    assert f"{30 * lessons} 秒" in zh_page
    # and the cards the page script draws get the duration's wording from the page
    assert 'class="duration" data-format="{s} 秒"' in zh_page


# Abbreviations a Chinese dashboard keeps as they are (the industry writes them in Latin letters).
_KEPT_LATIN = {"kfplatform", "GMV", "ARPU", "ARPPU", "LTV", "CTR", "CSV", "A", "B", "Django", "SVG"}


def _english_words(html: str) -> set[str]:
    words = set(re.findall(r"[A-Za-z]{2,}", _visible_text(html)))
    return {w for w in words if w not in _KEPT_LATIN}


@pytest.mark.django_db
def test_dashboards_speak_chinese(client: Client) -> None:
    # given a creator with a course and a staff member
    creator = CreatorProfileFactory.create().user
    CourseFactory.create(creator=creator)
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    # when the creator opens their analytics in Chinese
    client.force_login(creator)
    page = _page(client, "/dashboard/creator/", ZH)
    # then the table captions, column titles and chart words are Chinese
    for text in ("你的每日数据", "播放", "新增关注", "每日播放", "漏斗：到达各步骤的人数"):
        assert text in page
    assert "Your figures per day" not in page
    # and the staff dashboard too, even after an English visit cached the same report
    evening = datetime(2026, 12, 6, 18, 12, tzinfo=UTC)  # English once read "6:12 p.m.."
    MetricRun.objects.create(local_date=evening.date(), finished_at=evening)
    client.force_login(staff)
    english = _page(client, "/dashboard/", "en")
    assert "Platform figures per period" in english
    assert re.search(r"As of \d{4}-\d\d-\d\d \d\d:\d\d\.<", english)  # not "6:12 p.m.."
    page = _page(client, "/dashboard/", ZH)
    for text in (
        "平台各周期数据",
        "关键指标，与等长的上一周期对比",
        "活跃用户",
        "成交额最高的课程",
    ):
        assert text in page
    assert "Platform figures per period" not in page


def _msg_keys(path: Path) -> set[tuple[str, str, str]]:
    return {
        (e.get("msgctxt", ""), e["msgid"], e.get("msgid_plural", ""))
        for e in _po_entries(path)[1:]
        if "obsolete" not in e
    }


def test_makemessages_finds_no_string_missing_from_the_catalogue(tmp_path: Path) -> None:
    # given a copy of the source tree (makemessages rewrites the catalogue in place)
    require(shutil.which("xgettext") is not None, "xgettext (apt: gettext) is not installed")
    base = Path(settings.BASE_DIR)
    unneeded = shutil.ignore_patterns(".*", "node_modules", "__pycache__", "*.mo", "*.pyc")

    def skip(folder: str, names: list[str]) -> set[str]:
        uploads = {"media"} if Path(folder) == base else set()  # uploaded files, not code
        return set(unneeded(folder, names)) | (uploads & set(names))

    copy = tmp_path / "src"
    shutil.copytree(base, copy, ignore=skip, symlinks=True)
    # when the translatable strings are extracted again, as a developer would
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    # then the committed catalogue already holds every one of them, and nothing stale:
    # a string added to code or a template without its translation fails here
    extracted = _msg_keys(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    committed = _msg_keys(PO_FILE)
    assert sorted(extracted - committed) == []
    assert sorted(committed - extracted) == []


def _own_app_configs() -> list:
    """The project's apps (not Django's or third parties')."""
    base = Path(settings.BASE_DIR).resolve()
    return [
        config
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(base)
        and ".venv" not in Path(config.path).resolve().relative_to(base).parts
    ]


def test_every_model_name_is_translated() -> None:
    # given: every model of the project's apps, as the admin lists them
    models = [model for config in _own_app_configs() for model in config.get_models()]
    assert len(models) > 60
    for model in models:
        with translation.override("en"):
            english = (str(model._meta.verbose_name), str(model._meta.verbose_name_plural))
        with translation.override(ZH):
            chinese = (str(model._meta.verbose_name), str(model._meta.verbose_name_plural))
        # then: both names read in Chinese
        for name in chinese:
            assert re.search(r"[\u4e00-\u9fff]", name), (model.__name__, english, chinese)
        assert english[1] != chinese[1], model.__name__


@pytest.mark.django_db
def test_the_admin_index_lists_models_in_chinese(client: Client) -> None:
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    page = _page(client, "/admin/", ZH)
    for name in ("短视频", "课程", "订单", "A/B 测试", "审核队列：视频", "收益记录"):
        assert name in page
    for name in ("Short videos", "Orders", "Review queue: videos", "Media assets"):
        assert name not in page

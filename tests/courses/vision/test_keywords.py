"""Tag and title keyword suggestions from on-screen text against catalogue frequencies."""

import pytest

from courses.vision import TextLine, document_frequencies, screen_text, suggest_keywords

pytestmark = pytest.mark.xdist_group("vision")

CATALOGUE = [
    "Python编程入门 课程 第一课",
    "Excel数据透视表 课程",
    "手机摄影构图 课程 第二课",
    "番茄炒蛋的秘诀 课程",
    "Python Decorators in 3 Minutes 课程",
    "跑步入门指南 课程",
]
DF = document_frequencies(CATALOGUE)


def test_document_frequency_counts_documents_not_occurrences() -> None:
    assert DF["课程"] == 6
    assert DF["python"] == 2
    assert document_frequencies(["梯度 梯度 梯度", "梯度"])["梯度"] == 2


def test_topic_words_rank_over_catalogue_wide_words() -> None:
    text = "梯度下降 Gradient Descent\n学习率 learning rate\n梯度下降 课程 Python"
    suggestions = suggest_keywords(text, document_frequencies=DF, n_documents=len(CATALOGUE))
    words = [s.keyword for s in suggestions]
    assert "梯度" in words[:3] or "梯度下降" in words[:3]
    assert "Gradient" in words
    assert "Descent" in words
    assert words.index("Python") > words.index("Gradient")  # Python is in the catalogue already
    if "课程" in words:
        assert words.index("课程") > words.index("Python")  # in every document: ranks last
    scores = [s.score for s in suggestions]
    assert scores == sorted(scores, reverse=True)


def test_numbers_stop_words_and_existing_tags_are_not_suggested() -> None:
    text = "the 2 / 4 页 3.14 我们 的 Python 函数 decorator"
    suggestions = suggest_keywords(
        text, document_frequencies=DF, n_documents=len(CATALOGUE), exclude=["python"], limit=20
    )
    words = {s.keyword.lower() for s in suggestions}
    assert words == {"函数", "decorator"}
    assert suggest_keywords("", document_frequencies=DF, n_documents=6) == ()


def test_repeated_words_count_sublinearly() -> None:
    once = suggest_keywords("复利", document_frequencies={}, n_documents=10)[0]
    thrice = suggest_keywords("复利 复利 复利", document_frequencies={}, n_documents=10)[0]
    assert thrice.count == 3
    assert once.score < thrice.score < 3 * once.score


def test_screen_text_keeps_each_confident_line_once() -> None:
    lines = [
        TextLine("复利 Compound Interest", 0.98, (0, 0, 1, 0.1), 1.0),
        TextLine("A = P(1+r)^n", 0.6, (0, 0.2, 1, 0.1), 1.0),  # misread-prone, low confidence
        TextLine("复利 Compound Interest", 0.97, (0, 0, 1, 0.1), 6.0),
        TextLine("72 法则", 0.95, (0, 0.3, 1, 0.1), 6.0),
    ]
    assert screen_text(lines) == "复利 Compound Interest\n72 法则"

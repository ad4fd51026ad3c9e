from courses.search.text import search_terms, segment


def test_segment_splits_chinese_so_a_word_inside_a_title_matches() -> None:
    terms = segment("Python编程入门").split()
    assert "编程" in terms
    assert "python" in terms


def test_segment_drops_punctuation_and_duplicates() -> None:
    assert segment("Hello, hello! 你好。") == "hello 你好"


def test_search_terms_longest_first() -> None:
    assert search_terms("编程 python") == ["python", "编程"]

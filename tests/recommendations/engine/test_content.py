"""Tokenisation of mixed Chinese/English text and content vectors."""

import numpy as np

from recommendations.engine.content import item_vectors, tokenize
from recommendations.engine.types import ItemContent


def test_tokenize_segments_chinese_and_keeps_english_words() -> None:
    # given a mixed title with punctuation and stop words
    text = "Python 3D建模入门：用Blender做短视频的特效, C++"
    # when
    tokens = tokenize(text)
    # then
    assert {"python", "3d", "建模", "入门", "blender", "特效", "c++"} <= set(tokens)
    assert "的" not in tokens
    assert "：" not in tokens
    assert " " not in tokens


def test_item_vectors_make_same_topic_items_closest() -> None:
    # given two cooking items, one fitness item and tags/categories
    content = ItemContent(
        titles=["家常菜 红烧肉 做法", "家常菜 糖醋排骨", "跑步 入门 训练"],
        descriptions=["简单 好吃", "好吃 下饭", "每天 跑步"],
        tags=[("烹饪",), ("烹饪",), ("健身",)],
        categories=np.array([0, 0, 1]),
    )
    # when
    vectors = item_vectors(content, min_df=1, max_df=1.0)
    similarity = (vectors @ vectors.T).toarray()
    # then
    np.testing.assert_allclose(np.diag(similarity), 1.0, rtol=1e-6)
    assert similarity[0, 1] > similarity[0, 2]


def test_item_vectors_survive_a_tiny_catalogue() -> None:
    # given two items sharing no word, too few for min_df=2
    content = ItemContent(titles=["红烧肉", "跑步"], descriptions=["", ""], tags=[(), ()])
    # when
    vectors = item_vectors(content)
    # then
    assert vectors.shape[0] == 2

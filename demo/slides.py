"""Knowledge-video clips with drawn on-screen text: slides, code and formulas.

A deck is a run of slides; each slide is one shot, so the slide changes are
known shot boundaries (``render_deck`` returns them). Within a slide a
pointer dot moves and a progress bar grows, as in a screen-recorded lesson,
so a shot detector must ignore small changes and find only the cuts.
Slides change rarely, so a low frame rate (4 fps by default) keeps
encoding fast. Lessons are 1280×720; short videos 360×640 portrait.

Chinese glyphs need a CJK font: Debian's ``fonts-noto-cjk``. Without it
rendering fails with :class:`MissingFontError` instead of drawing boxes.
"""

from __future__ import annotations

import colorsys
import io
import random
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Literal

import av
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from .clips import SAMPLE_RATE, ClipSpec, _tone_frames

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
# Face index inside Noto's collections: 2 = Sans CJK SC, 7 = Sans Mono CJK SC.
_SANS_SC, _MONO_SC = 2, 7
LESSON_SIZE = (1280, 720)
SHORT_SIZE = (360, 640)
SLIDES_FPS = 4

SlideStyle = Literal["bullets", "code", "formula"]


class MissingFontError(RuntimeError):
    """No CJK font on this machine: Chinese slide text cannot be drawn."""


@dataclass(frozen=True)
class Slide:
    """One slide: a title line and body lines drawn as bullets, code or formulas."""

    title: str
    body: tuple[str, ...] = ()
    style: SlideStyle = "bullets"


@dataclass(frozen=True)
class Deck:
    """Slides shown one after another, ``seconds_per_slide`` each. Size in pixels."""

    slides: tuple[Slide, ...]
    seconds_per_slide: float = 5.0
    width: int = LESSON_SIZE[0]
    height: int = LESSON_SIZE[1]
    fps: int = SLIDES_FPS
    hue: float = 0.6
    with_audio: bool = True
    tone_hz: float = 330.0
    # 22.05 kHz halves the AAC encoding time of 44.1 kHz: the demo seeds many decks.
    sample_rate: int = SAMPLE_RATE

    @property
    def seconds(self) -> float:
        return len(self.slides) * self.seconds_per_slide

    def slide_starts(self) -> tuple[float, ...]:
        """Second at which each slide appears: 0 and then every cut."""
        return tuple(i * self.seconds_per_slide for i in range(len(self.slides)))


def font_path(*, bold: bool = False) -> Path:
    """The Noto Sans CJK collection, or a clear error naming the package to install."""
    path = FONT_DIR / ("NotoSansCJK-Bold.ttc" if bold else "NotoSansCJK-Regular.ttc")
    if not path.exists():
        raise MissingFontError(
            f"{path} is missing: install Debian's CJK fonts (apt-get install -y fonts-noto-cjk)"
        )
    return path


@lru_cache(maxsize=64)
def _font(size: int, *, bold: bool = False, mono: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(bold=bold)), size, index=_MONO_SC if mono else _SANS_SC)


def _fitted_font(
    draw: ImageDraw.ImageDraw, text: str, *, size: int, max_width: int, bold: bool, mono: bool
) -> ImageFont.FreeTypeFont:
    """The largest font up to ``size`` at which ``text`` fits in ``max_width`` pixels."""
    while size > 10:
        font = _font(size, bold=bold, mono=mono)
        if draw.textlength(text, font=font) <= max_width:
            return font
        size -= 2
    return _font(size, bold=bold, mono=mono)


def _background(width: int, height: int, hue: float, *, dark: bool) -> Image.Image:
    """A soft vertical gradient: light for bullets and formulas, dark for code."""
    value_top, value_bottom = (0.22, 0.12) if dark else (0.99, 0.9)
    top = np.array(colorsys.hsv_to_rgb(hue, 0.08 if not dark else 0.3, value_top))
    bottom = np.array(colorsys.hsv_to_rgb(hue, 0.18 if not dark else 0.4, value_bottom))
    t = np.linspace(0, 1, height)[:, None, None]
    column = (top * (1 - t) + bottom * t) * 255
    return Image.fromarray(np.broadcast_to(column, (height, width, 3)).astype(np.uint8))


def render_slide(
    slide: Slide, *, width: int, height: int, hue: float = 0.6, page: str = ""
) -> NDArray[np.uint8]:
    """Return the still slide as an ``(height, width, 3)`` RGB array.

    The title is the largest, topmost text (a chapter title for a reader of
    the frame); body lines follow in smaller type, code in a mono face.
    """
    dark = slide.style == "code"
    image = _background(width, height, hue, dark=dark)
    draw = ImageDraw.Draw(image)
    ink = (235, 238, 245) if dark else (25, 30, 45)
    accent = tuple(int(255 * c) for c in colorsys.hsv_to_rgb(hue, 0.75, 0.75 if not dark else 0.95))
    portrait = height > width
    margin = int(width * (0.07 if portrait else 0.06))
    title_size = int(width * (0.085 if portrait else 0.05))
    body_size = int(width * (0.06 if portrait else 0.032))
    usable = width - 2 * margin

    y = int(height * (0.12 if portrait else 0.1))
    title_font = _fitted_font(
        draw, slide.title, size=title_size, max_width=usable, bold=True, mono=False
    )
    draw.text((margin, y), slide.title, font=title_font, fill=ink)
    y += int(title_font.size * 1.5)
    draw.rectangle((margin, y, margin + usable // 4, y + max(3, height // 180)), fill=accent)
    y += int(body_size * 1.2)

    mono = slide.style == "code"
    line_height = int(body_size * (1.45 if not mono else 1.35))
    if mono and slide.body:
        panel_bottom = min(y + line_height * len(slide.body) + body_size, height - margin)
        draw.rectangle((margin - 8, y - 8, width - margin + 8, panel_bottom), fill=(15, 18, 28))
    for line in slide.body:
        prefix = "• " if slide.style == "bullets" else ""
        text = prefix + line
        indent = 0 if slide.style != "formula" else margin // 2
        font = _fitted_font(
            draw, text, size=body_size, max_width=usable - indent, bold=False, mono=mono
        )
        colour = (120, 220, 160) if mono else ink
        draw.text((margin + indent, y), text, font=font, fill=colour)
        y += line_height
    if page:
        small = _font(max(12, body_size // 2))
        draw.text((width - margin, height - margin // 2), page, font=small, fill=ink, anchor="rs")
    return np.asarray(image, dtype=np.uint8).copy()


def _animate(still: NDArray[np.uint8], t: float, slide_index: int) -> NDArray[np.uint8]:
    """Add what changes inside one slide: a pointer dot and a growing progress bar."""
    frame = still.copy()
    height, width = frame.shape[:2]
    bar_height = max(3, height // 120)
    frame[height - bar_height :, : int(width * t)] = (230, 90, 60)
    radius = max(4, width // 90)
    cx = int(width * (0.55 + 0.3 * np.cos(2 * np.pi * (t + 0.2 * slide_index))))
    cy = int(height * (0.6 + 0.15 * np.sin(2 * np.pi * t)))
    y0, y1 = max(cy - radius, 0), min(cy + radius + 1, height)
    x0, x1 = max(cx - radius, 0), min(cx + radius + 1, width)
    ys, xs = np.ogrid[y0:y1, x0:x1]
    disc = (xs - cx) ** 2 + (ys - cy) ** 2 <= radius**2
    frame[y0:y1, x0:x1][disc] = (220, 40, 40)
    return frame


def render_deck(
    deck: Deck, path: Path, *, crf: int = 28, preset: str = "veryfast"
) -> tuple[float, ...]:
    """Write the deck to ``path`` as H.264 (+ AAC) fast-start MP4; return the slide starts.

    The slide starts (seconds) are where a shot detector should find cuts.
    Encoded as demo.clips does (libx264, ``yuv420p``); ``preset`` trades
    file size for encoding time.
    """
    stills = [
        render_slide(
            slide,
            width=deck.width,
            height=deck.height,
            hue=deck.hue,
            page=f"{i + 1} / {len(deck.slides)}",
        )
        for i, slide in enumerate(deck.slides)
    ]
    frames_per_slide = max(1, round(deck.seconds_per_slide * deck.fps))
    soundtrack = (
        _tone_track(deck.seconds, deck.tone_hz, deck.sample_rate) if deck.with_audio else None
    )
    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as out:
        video = out.add_stream("libx264", rate=deck.fps)
        video.width, video.height, video.pix_fmt = deck.width, deck.height, "yuv420p"
        video.options = {"preset": preset, "crf": str(crf)}
        if soundtrack is not None:
            _copy_audio(soundtrack, out)
        for index, still in enumerate(stills):
            for k in range(frames_per_slide):
                rgb = _animate(still, k / frames_per_slide, index)
                out.mux(video.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(video.encode())
    return deck.slide_starts()


@lru_cache(maxsize=16)
def _tone_track(seconds: float, tone_hz: float, sample_rate: int) -> bytes:
    """The deck's quiet tone as an AAC-in-MP4 file, encoded once per length and
    pitch: AAC encoding took half the time of rendering a deck."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as out:
        audio = out.add_stream("aac", rate=sample_rate)
        audio.layout = "mono"
        tone = ClipSpec(caption="", hue=0, seconds=seconds, tone_hz=tone_hz)
        for sound in _tone_frames(tone, sample_rate):
            out.mux(audio.encode(sound))
        out.mux(audio.encode())
    return buffer.getvalue()


def _copy_audio(track: bytes, out: av.container.OutputContainer) -> None:
    """Mux the packets of an encoded track into ``out`` without re-encoding."""
    with av.open(io.BytesIO(track), mode="r") as src:
        source = src.streams.audio[0]
        target = out.add_stream_from_template(source)
        for packet in src.demux(source):
            if packet.dts is None:  # the demuxer's end-of-stream marker
                continue
            packet.stream = target
            out.mux(packet)


# What each demo topic (demo.content tag slugs) shows on screen.
# The text carries the topic; a clip's title may be as bland as "Lesson 3".
TOPIC_SLIDES: dict[str, tuple[Slide, ...]] = {
    "english": (
        Slide(
            "英语口语：常用短语",
            ("break the ice 打破僵局", "piece of cake 小菜一碟", "hit the books 用功读书"),
        ),
        Slide(
            "Phrasal Verbs 短语动词", ("give up 放弃", "look forward to 期待", "figure out 弄明白")
        ),
        Slide(
            "雅思写作 IELTS Writing",
            ("Task 2 议论文结构", "In conclusion, ...", "词汇多样性 Lexical resource"),
        ),
        Slide(
            "English Grammar 语法",
            ("present perfect 现在完成时", "I have lived here for 3 years", "过去时 vs 完成时"),
        ),
        Slide(
            "发音练习 Pronunciation",
            ("th 咬舌音 think / this", "连读 linking: an apple", "重音 stress 与语调"),
        ),
    ),
    "math": (
        Slide(
            "导数的定义 Derivative",
            ("f'(x) = lim (f(x+h) - f(x)) / h", "h → 0", "切线斜率 slope"),
            "formula",
        ),
        Slide(
            "积分 Integral 微积分",
            ("∫ x² dx = x³/3 + C", "定积分 面积", "牛顿-莱布尼茨公式"),
            "formula",
        ),
        Slide(
            "线性代数 Linear Algebra",
            ("矩阵乘法 matrix product", "特征值 eigenvalue λ", "Av = λv"),
            "formula",
        ),
        Slide(
            "概率论 Probability",
            ("P(A|B) = P(B|A) P(A) / P(B)", "贝叶斯定理 Bayes", "条件概率"),
            "formula",
        ),
        Slide(
            "勾股定理 Pythagoras",
            ("a² + b² = c²", "直角三角形 right triangle", "3, 4, 5"),
            "formula",
        ),
    ),
    "history": (
        Slide("三国鼎立 Three Kingdoms", ("魏 蜀 吴", "赤壁之战 公元208年", "曹操 刘备 孙权")),
        Slide("丝绸之路 Silk Road", ("张骞出使西域", "长安 → 撒马尔罕", "丝绸 茶叶 瓷器 贸易")),
        Slide("唐朝 Tang Dynasty", ("贞观之治 唐太宗", "长安城 一百万人口", "诗人 李白 杜甫")),
        Slide(
            "罗马帝国 Roman Empire", ("Augustus 奥古斯都", "公元476年 西罗马灭亡", "Why Rome Fell")
        ),
    ),
    "study": (
        Slide("费曼学习法 Feynman", ("用简单的话讲给别人听", "找到知识漏洞", "回顾 简化 类比")),
        Slide(
            "间隔重复 Spaced Repetition",
            ("遗忘曲线 Ebbinghaus", "1天 3天 7天 复习", "Anki 记忆卡片"),
        ),
        Slide(
            "康奈尔笔记法 Cornell Notes", ("线索栏 cue column", "笔记栏 notes", "总结栏 summary")
        ),
        Slide("番茄工作法 Pomodoro", ("专注 25 分钟", "休息 5 分钟", "四个番茄 长休息")),
    ),
    "python": (
        Slide(
            "Python 列表推导式",
            (
                "squares = [x * x for x in range(10)]",
                "evens = [n for n in nums if n % 2 == 0]",
                "print(squares)",
            ),
            "code",
        ),
        Slide(
            "Python 装饰器 Decorators",
            (
                "def timer(func):",
                "    @functools.wraps(func)",
                "    def wrapper(*args, **kwargs):",
                "        return func(*args, **kwargs)",
            ),
            "code",
        ),
        Slide(
            "Python 字典 dict",
            (
                "scores = {'alice': 90, 'bob': 85}",
                "for name, score in scores.items():",
                "    print(name, score)",
            ),
            "code",
        ),
        Slide(
            "Python 函数与参数",
            ("def greet(name: str) -> str:", "    return f'Hello, {name}'", "greet('世界')"),
            "code",
        ),
        Slide(
            "Python 异常处理",
            ("try:", "    value = int(text)", "except ValueError:", "    value = 0"),
            "code",
        ),
    ),
    "ml": (
        Slide(
            "机器学习 Machine Learning",
            ("监督学习 supervised", "无监督学习 unsupervised", "训练集 测试集"),
        ),
        Slide(
            "梯度下降 Gradient Descent",
            ("θ = θ - α ∇J(θ)", "学习率 learning rate α", "损失函数 loss"),
            "formula",
        ),
        Slide(
            "神经网络 Neural Network",
            ("输入层 隐藏层 输出层", "激活函数 ReLU sigmoid", "反向传播 backpropagation"),
        ),
        Slide(
            "推荐系统 Recommender",
            ("协同过滤 collaborative filtering", "矩阵分解 matrix factorization", "召回 排序"),
        ),
        Slide(
            "过拟合 Overfitting",
            ("正则化 L2 regularization", "交叉验证 cross-validation", "dropout"),
        ),
    ),
    "web": (
        Slide(
            "CSS Grid 网格布局",
            (".grid { display: grid; }", "grid-template-columns: 1fr 2fr;", "gap: 16px;"),
            "code",
        ),
        Slide(
            "JavaScript 闭包 Closure",
            ("function counter() {", "  let n = 0;", "  return () => ++n;", "}"),
            "code",
        ),
        Slide(
            "React Hooks 入门",
            (
                "const [count, setCount] = useState(0);",
                "useEffect(() => {",
                "  document.title = count;",
                "}, [count]);",
            ),
            "code",
        ),
        Slide(
            "前端性能优化", ("懒加载 lazy loading", "代码分割 code splitting", "浏览器缓存 cache")
        ),
    ),
    "data": (
        Slide(
            "SQL JOIN 连接查询",
            ("SELECT o.id, c.name", "FROM orders o", "JOIN customers c ON c.id = o.customer_id"),
            "code",
        ),
        Slide("Excel 数据透视表", ("行标签 列标签", "值 求和 计数", "筛选器 切片器")),
        Slide(
            "Pandas 数据分析",
            (
                "df = pd.read_csv('sales.csv')",
                "df.groupby('city')['amount'].sum()",
                "df.describe()",
            ),
            "code",
        ),
        Slide("数据可视化 Charts", ("折线图 趋势", "柱状图 比较", "散点图 相关性")),
    ),
    "watercolor": (
        Slide(
            "水彩基础技法 Watercolor", ("湿画法 wet-on-wet", "干画法 wet-on-dry", "留白 masking")
        ),
        Slide("水彩调色 Mixing Colors", ("三原色 红 黄 蓝", "冷色 暖色", "颜料 与 水 的比例")),
        Slide("水彩风景 Landscape", ("天空 渐变", "远山 淡 近景 浓", "树木 笔触")),
        Slide("水彩纸与画笔", ("300g 棉浆纸", "松鼠毛 画笔", "平涂 与 叠色")),
    ),
    "sketch": (
        Slide("素描五大调子 Tones", ("高光 灰面 明暗交界线", "反光 投影", "光源 方向")),
        Slide(
            "透视 Perspective",
            ("一点透视 one-point", "两点透视 two-point", "消失点 vanishing point"),
        ),
        Slide("人物速写 Figure Drawing", ("头身比例 1:7", "动态线 gesture", "手部 结构")),
        Slide("素描工具 铅笔", ("2H HB 2B 6B", "炭笔 charcoal", "橡皮 提亮")),
    ),
    "photo": (
        Slide(
            "手机摄影构图 Composition",
            ("三分法 rule of thirds", "引导线 leading lines", "对称 框架"),
        ),
        Slide("曝光三要素 Exposure", ("光圈 aperture f/1.8", "快门 shutter 1/125 s", "ISO 感光度")),
        Slide("夜景拍摄 Night", ("三脚架 长曝光", "降低 ISO 噪点", "白平衡 white balance")),
        Slide("Lightroom 调色", ("色温 色调", "HSL 色相 饱和度 明亮度", "曲线 curves")),
    ),
    "calligraphy": (
        Slide("楷书基本笔画", ("横 竖 撇 捺", "点 提 折 钩", "永字八法")),
        Slide("书法工具 文房四宝", ("笔 墨 纸 砚", "毛笔 狼毫 羊毫", "宣纸 生宣 熟宣")),
        Slide("行书入门", ("连笔 与 牵丝", "王羲之 兰亭序", "节奏 与 章法")),
        Slide("钢笔字 Pen Calligraphy", ("握笔姿势", "字的重心", "间架结构")),
    ),
    "cooking": (
        Slide("番茄炒蛋 做法", ("鸡蛋 3个 打散", "番茄 切块 炒出汁", "盐 糖 少许 调味")),
        Slide("刀工 Knife Skills", ("切丝 切片 切丁", "握刀 手势", "磨刀 whetstone")),
        Slide("家常菜 红烧肉", ("五花肉 焯水", "冰糖 炒糖色", "生抽 老抽 小火慢炖")),
        Slide("Meal Prep 备餐", ("一周 菜单", "冷藏 与 冷冻", "蛋白质 蔬菜 主食")),
    ),
    "fitness": (
        Slide("办公室拉伸 Stretching", ("颈部 拉伸 30 秒", "肩部 绕环", "腰背 放松")),
        Slide("核心训练 Core Strength", ("平板支撑 plank 60s", "卷腹 crunch", "臀桥 glute bridge")),
        Slide("跑步入门 Running", ("配速 pace 6:30/km", "心率 区间", "热身 与 拉伸")),
        Slide("深蹲 Squat 动作要领", ("膝盖 对准 脚尖", "背部 挺直", "3 组 × 12 次")),
    ),
    "finance": (
        Slide(
            "复利 Compound Interest",
            ("A = P (1 + r)^n", "72 法则 rule of 72", "越早 开始 越好"),
            "formula",
        ),
        Slide("指数基金 Index Funds", ("沪深300 S&P 500", "定投 低费率", "分散 风险")),
        Slide("记账 与 预算 Budget", ("50/30/20 法则", "必要 支出 想要", "储蓄 与 投资")),
        Slide("应急基金 Emergency Fund", ("3 到 6 个月 生活费", "货币基金 流动性", "保险 配置")),
    ),
    "psychology": (
        Slide("拖延症 Procrastination", ("任务 拆分", "两分钟 法则", "完美主义 与 焦虑")),
        Slide(
            "习惯养成 Habits", ("提示 cue 渴望 反应 奖励", "习惯叠加 habit stacking", "环境 设计")
        ),
        Slide("情绪管理 Emotions", ("觉察 与 命名 情绪", "深呼吸 4-7-8", "认知 重评 reappraisal")),
        Slide("积极心理学 Positive Psychology", ("感恩 日记", "心流 flow", "优势 strengths")),
    ),
}

# Slides any lesson may open or close with: they carry no topic.
GENERIC_SLIDES: tuple[Slide, ...] = (
    Slide("本节内容 Contents", ("概念", "例子", "练习 与 小结")),
    Slide("谢谢观看 Thanks for watching", ("点赞 关注 收藏", "下一节 见")),
    Slide("课后练习 Exercise", ("动手 试一试", "评论区 交作业")),
)


def topic_deck(
    topic_slug: str,
    *,
    seed: int = 0,
    n_slides: int = 3,
    generic: bool = True,
    seconds_per_slide: float = 5.0,
    size: tuple[int, int] = LESSON_SIZE,
    hue: float | None = None,
    fps: int = SLIDES_FPS,
) -> Deck:
    """A deck of ``n_slides`` of the topic's slides (seeded choice), plus a generic one.

    Different seeds give different lessons of the same topic: they share
    vocabulary on screen, as lessons of one course do.
    """
    rng = random.Random(f"{topic_slug}:{seed}")
    pool = TOPIC_SLIDES[topic_slug]
    slides = rng.sample(pool, min(n_slides, len(pool)))
    if generic:
        slides.insert(rng.randrange(len(slides) + 1), rng.choice(GENERIC_SLIDES))
    return Deck(
        slides=tuple(slides),
        seconds_per_slide=seconds_per_slide,
        width=size[0],
        height=size[1],
        fps=fps,
        hue=rng.random() if hue is None else hue,
    )


def reencode_copy(source: Path, target: Path, *, width: int, height: int, crf: int = 32) -> None:
    """Write a resized, re-encoded copy of ``source`` (video only): a re-upload to detect."""
    with av.open(str(source)) as src, av.open(str(target), mode="w", format="mp4") as out:
        in_video = src.streams.video[0]
        rate = Fraction(in_video.average_rate or SLIDES_FPS)
        video = out.add_stream("libx264", rate=rate)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "veryfast", "crf": str(crf)}
        for index, frame in enumerate(src.decode(in_video)):
            scaled = frame.reformat(width=width, height=height, format="yuv420p")
            scaled.pts, scaled.time_base = index, 1 / rate
            out.mux(video.encode(scaled))
        out.mux(video.encode())

"""The words the demo platform is made of: categories, topics, creators, titles.

Titles mix Chinese and English as the platform's audience does; each topic
is a tag, and viewers' latent interests are distributions over topics.
"""

CATEGORIES = [
    # slug, English, Chinese
    ("education", "Education", "教育"),
    ("technology", "Technology", "科技"),
    ("art", "Art", "艺术"),
    ("life", "Life", "生活"),
]

# category slug -> topics; each topic: (tag slug, tag name, video titles, course title)
TOPICS: dict[str, list[tuple[str, str, list[str], str]]] = {
    "education": [
        (
            "english",
            "英语",
            [
                "每天5分钟英语口语",
                "English Idioms You Actually Use",
                "雅思写作高分句型",
                "Phrasal Verbs in 60 Seconds",
            ],
            "英语口语30天突破",
        ),
        (
            "math",
            "数学",
            [
                "三分钟搞懂微积分",
                "Linear Algebra Intuition",
                "概率论里的反直觉问题",
                "Mental Math Tricks",
            ],
            "Calculus Made Clear 微积分",
        ),
        (
            "history",
            "历史",
            ["一分钟看懂三国", "The Silk Road in Maps", "唐朝人的一天", "Why Rome Fell"],
            "中国历史精讲",
        ),
        (
            "study",
            "学习方法",
            [
                "费曼学习法实战",
                "Spaced Repetition Explained",
                "高效笔记的三个习惯",
                "How to Focus for 2 Hours",
            ],
            "Learning How to Learn 学习之道",
        ),
    ],
    "technology": [
        (
            "python",
            "Python",
            [
                "Python编程入门",
                "Python列表推导式",
                "Python Decorators in 3 Minutes",
                "用Python自动化办公",
            ],
            "Python编程从零到一",
        ),
        (
            "ml",
            "机器学习",
            [
                "机器学习是什么",
                "Gradient Descent Visualised",
                "推荐系统如何工作",
                "Neural Networks in 90 Seconds",
            ],
            "Machine Learning 机器学习实战",
        ),
        (
            "web",
            "前端开发",
            ["CSS Grid in One Minute", "JavaScript闭包详解", "React Hooks入门", "Web性能优化技巧"],
            "Modern Web Development 前端全栈",
        ),
        (
            "data",
            "数据分析",
            ["Excel数据透视表", "SQL Joins Explained", "用图表讲故事", "Pandas Tips for Analysts"],
            "数据分析师训练营",
        ),
    ],
    "art": [
        (
            "watercolor",
            "水彩",
            ["水彩画基础技法", "Wet-on-Wet Watercolor", "水彩风景速写", "Mixing Colors Like a Pro"],
            "水彩画入门到精通",
        ),
        (
            "sketch",
            "素描",
            ["素描五大调子", "Drawing Hands Made Easy", "人物速写技巧", "Perspective in 2 Minutes"],
            "Sketching Fundamentals 素描基础",
        ),
        (
            "photo",
            "摄影",
            ["手机摄影构图", "Golden Hour Portraits", "夜景拍摄技巧", "Lightroom Colour Grading"],
            "手机摄影大师课",
        ),
        (
            "calligraphy",
            "书法",
            ["楷书基本笔画", "Brush Lettering Basics", "行书入门", "钢笔字速成"],
            "书法入门：从楷书开始",
        ),
    ],
    "life": [
        (
            "cooking",
            "烹饪",
            ["十分钟家常菜", "Knife Skills 101", "番茄炒蛋的秘诀", "Meal Prep for a Week"],
            "Home Cooking 家常菜大全",
        ),
        (
            "fitness",
            "健身",
            ["办公室拉伸操", "7-Minute Workout", "跑步入门指南", "Core Strength Basics"],
            "30天居家健身计划",
        ),
        (
            "finance",
            "理财",
            ["理财第一课：记账", "Index Funds Explained", "复利的力量", "Budgeting with 50/30/20"],
            "Personal Finance 个人理财入门",
        ),
        (
            "psychology",
            "心理学",
            ["如何克服拖延", "The Science of Habits", "情绪管理小技巧", "Why We Procrastinate"],
            "积极心理学：幸福的科学",
        ),
    ],
}

CREATORS = [
    # handle, display name, category slug, bio
    ("lin-teacher", "林老师", "education", "十年英语教学经验，带你轻松开口说英语。"),
    ("prof-chen", "Prof. Chen 陈教授", "education", "Mathematics and history, explained simply."),
    ("code-wang", "王编程", "technology", "Python 与机器学习工程师，分享实用编程技巧。"),
    ("dev-alice", "Alice Dev", "technology", "Front-end engineer. Web, data and tooling."),
    ("art-mei", "美美画画", "art", "水彩与素描，一笔一画皆是生活。"),
    ("lens-zhou", "周摄影", "art", "Photographer and calligraphy lover."),
    ("chef-li", "李大厨", "life", "家常菜和健康饮食，简单又好吃。"),
    ("coach-sam", "Coach Sam", "life", "Fitness, money and mind: small habits, big changes."),
]

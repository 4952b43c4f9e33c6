"""The words that make a question one about Party and branch work (written from the domain, not from questions)."""

# With one of them a weak match is still an answer (the member asks about the measures' subject); without,
# the question must match as well as before (questions about the canteen or annual leave get "I don't know").
ZH_ANCHORS = (
    "党", "支部", "支委", "书记", "纪委", "纪检", "廉政", "廉洁", "腐", "思想", "理论", "政治", "意识形态", "志愿",
    "组织生活", "积分", "星级", "评星", "模范机关", "先锋", "机关", "工委", "共青团", "团委", "工会", "妇联", "初心",
    "使命", "三会", "议题", "议程", "八项规定", "四风", "作风", "述职", "督查", "巡察", "巡视", "联系点", "办实事",
    "12345", "热线", "结对", "誓词", "宣誓", "习近平", "总书记", "市委", "群众", "基层", "群团", "形式主义",
    "官僚主义", "谈心", "班子", "干部", "主题教育", "学习强国", "社会主义",
)  # fmt: skip
EN_ANCHORS = (
    "party", "branch", "cpc", "communis", "secretar", "cadre", "disciplin", "dues", "ideolog", "theor", "xi ",
    "volunteer", "pledge", "oath", "badge", "integrity", "corrupt", "socialis", "grassroot", "mass organi",
    "political", "marxis", "youth league", "trade union", "apprais", "vanguard", "model organ", "star rating",
    "four forms", "eight-point", "formalism", "bureaucra", "heart-to-heart", "agenda", "three meetings",
    "twinning", "pairing", "membership", "organs", "central committee", "grass-roots",
)  # fmt: skip

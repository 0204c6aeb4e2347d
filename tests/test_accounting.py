"""Text accounting: random plans built from layout pieces lose no character; the seed corpus is fully accounted for."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.ingest.accounting import BODY_KINDS, KINDS
from analysis.ingest.layouts import WHITESPACE_RE
from analysis.ingest.segment import parse_plan
from test_segment import EXPECTED_ITEMS

SENTENCES = ["加强基层卫生人才培养。", "推进紧密型医共体建设，", "县域就诊率达到90%以上。", "开展健康促进活动", "完善 AB 类设备配置；"]
TAILS = ["", "", "（责任科室：办公室）", "（牵头单位：医政科；配合单位：财务科、信息科）", "（责任股室：疾控股）"]
NUMBERS = ["{n}.", "{n}、", "{n}）", "{n}．", "（{n}）", "１{n}．", "1.{n} "]
SPACES = ["", " ", "\u3000", "  ", "\t"]

sentence = st.sampled_from(SENTENCES)
item_body = st.lists(sentence, min_size=1, max_size=3).map("".join)


@st.composite
def item_lines(draw) -> list[str]:
    number = draw(st.sampled_from(NUMBERS + [""])).format(n=draw(st.integers(1, 9)))
    text = draw(item_body) + draw(st.sampled_from(TAILS))
    pad = draw(st.sampled_from(SPACES))
    if draw(st.booleans()) and len(text) > 6:  # broken across two lines mid-sentence
        cut = draw(st.integers(1, len(text) - 1))
        return [f"{pad}{number}{text[:cut]}", text[cut:] + draw(st.sampled_from(SPACES))]
    return [f"{pad}{number}{text}"]


@st.composite
def section(draw) -> list[str]:
    numeral = draw(st.sampled_from(["一", "二", "十三"]))
    lines = [draw(st.sampled_from([f"{numeral}、加强公共卫生", f"第{numeral}部分 2023年工作回顾", f"{numeral}、深化改革。推进医保支付改革。"]))]
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["（一）慢性病防治", "（二）加强党建引领。", "[bookmark: _GoBack]（三）妇幼健康"])))
    for _ in range(draw(st.integers(0, 4))):
        lines += draw(item_lines())
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from(["", "  ", "重点抓好以下工作：", "2024年3月1日"])))
    return lines


@st.composite
def plan_text(draw) -> str:
    lines = draw(st.lists(st.sampled_from(["当前位置：首页", "某市卫生健康委员会", "2024年某市卫生健康工作要点", "现将要点印发给你们。", ""]), max_size=4))
    for _ in range(draw(st.integers(1, 4))):
        lines += draw(section())
    lines += draw(st.sampled_from([[], ["相关链接", "关于印发某文件的通知"], ["扫一扫在手机打开当前页"], ["附件：联系人", "张三"]]))
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines) + draw(st.sampled_from(["", "\n"]))


def visible_chars(text: str) -> str:
    return WHITESPACE_RE.sub("", text)


@settings(max_examples=200, deadline=None)
@given(plan_text())
def test_random_plans_lose_no_character(text):
    plan = parse_plan(text)
    spans = plan.accounting.spans()
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(left[1] == right[0] and left[0] < left[1] for left, right in zip(spans, spans[1:]))  # no gap, no overlap
    assert {kind for _, _, kind in spans} <= set(KINDS)
    from_spans = Counter()
    for start, end, kind in spans:
        from_spans[kind] += end - start
    assert +from_spans == +plan.accounting.counts() and sum(from_spans.values()) == len(text)
    # the characters counted as item text are exactly the items' text, in order
    item_chars = "".join(text[start:end] for start, end, kind in spans if kind == "item")
    assert visible_chars(item_chars) == visible_chars("".join(i.text for i in plan.items))
    tail_chars = visible_chars("".join(text[start:end] for start, end, kind in spans if kind == "tail"))
    assert all(d in tail_chars for i in plan.items for d in i.departments)
    assert from_spans["unclassified"] == 0


def test_seed_plans_are_accounted_for(corpus):
    documents = corpus.documents.set_index("doc_id")
    assert documents.loc[list(EXPECTED_ITEMS), "n_items"].to_dict() == EXPECTED_ITEMS
    assert (documents["dropped_unclassified"] == 0).all()
    assert documents["coverage"].between(0.8, 1).all()
    # wanzhou's responsibility tails (773 characters) are body text kept as departments, not item text
    assert documents.loc["wanzhou-2024", "coverage"] < documents.loc["xian-2024", "coverage"]


def test_table_rows_account_for_every_cell():
    text = "2021年度某单位业务目标\n\t类别\n\t序号\n\t目标名称\n\t目标内容\n\n\t重点目标\n\t1\n\t提升救治能力\n\t建成胸痛中心。\n\n\t2\n"
    plan = parse_plan(text)
    counts = plan.accounting.counts()
    assert len(plan.items) == 1 and counts["table_header"] == 12 and counts["heading"] == 4 and counts["numbering"] == 1
    assert counts["unclassified"] == 1  # the lone cell "2" of a row cut short fits no column
    assert counts["item"] == len("提升救治能力建成胸痛中心。")
    assert set(BODY_KINDS) >= {k for k in counts if counts[k] and k not in ("title", "whitespace")}

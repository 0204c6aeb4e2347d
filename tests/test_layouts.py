"""Every layout the parser understands, each on a plan text written for this test (exact counts, nothing lost)."""

from __future__ import annotations

import pytest

from analysis.ingest.segment import parse_plan


def parsed(text: str):
    """The parsed plan, after checking that no character was dropped without a reason."""
    plan = parse_plan(text)
    coverage, body, unclassified = plan.accounting.coverage()
    assert unclassified == 0, plan.accounting.lines_of("unclassified")
    assert 0 < coverage <= 1 and body > 0
    return plan


SUBSECTION_ITEMS = """\
2025年青禾市卫生健康工作要点
一、深化医改
（一）加强医共体建设，推动优质资源下沉，县域就诊率稳定在90%以上。
（二）推动公立医院薪酬改革，完善绩效考核办法。
（三）医保支付
1.推进按病种付费改革。
二、公共卫生
（四）完善疾控体系，建成市级传染病监测预警平台。
"""


def test_subsection_lines_are_items_whatever_their_opening():
    plan = parsed(SUBSECTION_ITEMS)
    assert [(i.number, i.subsection) for i in plan.items] == [("（一）", ""), ("（二）", ""), ("1", "（三）医保支付"), ("（四）", "")]
    assert plan.items[0].text == "加强医共体建设，推动优质资源下沉，县域就诊率稳定在90%以上。"
    assert plan.items[3].section == "二、公共卫生"


ONLY_SUBSECTIONS = """\
关于印发《2023年石岭县卫生健康工作要点》的通知
各乡镇卫生院：现将要点印发给你们，请遵照执行。
2023年石岭县卫生健康工作要点
（一）加强党的建设，落实全面从严治党主体责任。
（二）巩固基层网底，村卫生室标准化建设达标率100%。
（三）做好妇幼健康工作。
"""


def test_a_plan_written_entirely_in_subsection_style_parses():
    plan = parsed(ONLY_SUBSECTIONS)
    assert plan.title == "2023年石岭县卫生健康工作要点"
    assert [i.text for i in plan.items] == [
        "加强党的建设，落实全面从严治党主体责任。",
        "巩固基层网底，村卫生室标准化建设达标率100%。",
        "做好妇幼健康工作。",  # a short 。-ended heading that gets no items is an item itself
    ]


PARTS_WITH_REVIEW = """\
2024年云溪区卫生健康工作计划
第一部分 2023年工作回顾
一年来，全区新建社区卫生服务站3个，家庭医生签约人数增加1.2万人。
完成适龄妇女两癌筛查8000人次。
第二部分 2024年重点工作
加强基层能力建设，二级医院与社区卫生服务中心结对全覆盖。一是完善双向转诊；二是推进远程会诊；三是开展巡回医疗。
落实健康促进行动，居民健康素养水平达到32%。
"""


def test_parts_headings_paragraph_items_and_a_review_section():
    plan = parsed(PARTS_WITH_REVIEW)
    assert [i.section for i in plan.items] == ["第一部分 2023年工作回顾"] * 2 + ["第二部分 2024年重点工作"] * 2
    assert [i.section_kind for i in plan.items] == ["review", "review", "task", "task"]
    assert plan.items[2].text.endswith("三是开展巡回医疗。")  # 一是…二是… stays in its item


NUMBERED_ONLY = """\
2022年桐川市卫生健康工作要点
１．提升急救能力，   院前急救平均反应时间缩短到12分钟以内。
2、推进【智慧医院】建设。三级医院电子病历应用水平达到4级。
3) 【强化人才培养】实施青年医师成长计划，培养骨干200名。（责任股室：人事股、科教股）
4. 开展职业健康保护行动（牵头单位：职业健康科；配合单位：疾控科、监督所）
"""


def test_numbered_items_without_sections_brackets_tails_and_mixed_numerals():
    plan = parsed(NUMBERED_ONLY)
    assert [i.number for i in plan.items] == ["1", "2", "3", "4"]
    assert plan.items[0].text == "提升急救能力， 院前急救平均反应时间缩短到12分钟以内。"  # a run of spaces folded
    assert plan.items[2].headline == "强化人才培养" and plan.items[2].departments == ["人事股", "科教股"]
    assert plan.items[3].text == "开展职业健康保护行动"
    assert plan.items[3].departments == ["职业健康科", "疾控科", "监督所"]
    assert all(i.section == "" for i in plan.items)


DOTTED = """\
2025年岚山市卫生健康工作要点
一、医疗服务
1.1 推进胸痛中心建设，
覆盖全部二级以上医院。
1.2 开展改善就医感受提升患者体验主题活动。
2. 公共卫生
2.1 加强重点传染病防控。
"""


def test_dotted_numbers_and_items_broken_across_lines():
    plan = parsed(DOTTED)
    assert [(i.number, i.subsection) for i in plan.items] == [("1.1", ""), ("1.2", ""), ("2.1", "2. 公共卫生")]
    assert plan.items[0].text == "推进胸痛中心建设，覆盖全部二级以上医院。"


BROKEN_PARAGRAPHS = """\
2024年北川市卫生健康工作要点
一、健康促进
深入开展爱国卫生运动，巩固国家卫生城市
创建成果，病媒生物密度控制水平达到C级以上。
推进无烟机关建设。
"""


def test_unnumbered_paragraph_broken_mid_sentence_is_one_item():
    plan = parsed(BROKEN_PARAGRAPHS)
    assert [i.text for i in plan.items] == [
        "深入开展爱国卫生运动，巩固国家卫生城市创建成果，病媒生物密度控制水平达到C级以上。",
        "推进无烟机关建设。",
    ]


APPENDIX_TABLE = """\
2024年河阳市卫生健康工作要点
一、重点任务
1.提高基本公共卫生服务水平。
2.加强卫生监督执法。
附件：2024年河阳市卫生健康主要指标任务表
\t序号
\t指标名称
\t目标值
\t责任单位

\t1
\t孕产妇死亡率
\t≤10/10万
\t妇幼科、市妇幼保健院

\t2
\t65岁以上老年人健康管理率
\t≥70%
\t基层科
相关链接：市卫生健康委网站
"""


def test_appendix_target_table_rows_become_items_of_section_appendix():
    plan = parsed(APPENDIX_TABLE)
    assert len(plan.items) == 4
    first, second = plan.items[2:]
    assert (first.section, first.number, first.headline) == ("附件", "1", "孕产妇死亡率")
    assert first.text == "孕产妇死亡率。目标值：≤10/10万" and first.departments == ["妇幼科", "市妇幼保健院"]
    assert second.departments == ["基层科"]
    assert plan.accounting.counts()["table_header"] == len("序号指标名称目标值责任单位")
    assert plan.accounting.counts()["web_tail"] > 0


def test_appendix_that_is_not_a_table_is_dropped_by_name():
    plan = parsed("2024年某市卫生健康工作要点\n一、重点任务\n1.加强管理。\n附件：联系人名单\n张三 12345\n")
    assert len(plan.items) == 1 and plan.accounting.lines_of("appendix") == ["附件：联系人名单", "张三 12345"]


def test_plan_text_after_a_web_tail_is_counted_as_unclassified():
    plan = parse_plan("2024年某市卫生健康工作要点\n一、重点任务\n1.加强管理。\n相关链接\n2.推进基层卫生人才队伍建设，提升服务能力。\n")
    assert len(plan.items) == 1
    assert plan.accounting.coverage()[2] == len("2.推进基层卫生人才队伍建设，提升服务能力。")
    assert plan.accounting.lines_of("unclassified") == ["2.推进基层卫生人才队伍建设，提升服务能力。"]


@pytest.mark.parametrize(
    "text,kind",
    [("当前位置：首页\n", "metadata"), ("某市卫生健康委员会\n", "signature"), ("2024年3月1日\n", "signature")],
)
def test_page_furniture_has_a_named_kind(text, kind):
    plan = parse_plan(text + "一、任务\n1.加强管理。\n")
    assert plan.accounting.lines_of(kind) == [text.strip()]


NOT_DOTTED_NOT_REVIEW = """\
2024年松原市卫生健康工作要点
一、总结推广三明医改经验
推进分级诊疗，全年下沉专家
1.5万人次，基层诊疗量占比达到65%。
开展家庭医生签约服务。
二是扩大重点人群覆盖面，签约率达到75%。
"""


def test_decimal_quantities_bare_zongjie_and_a_line_opening_with_ershi():
    plan = parsed(NOT_DOTTED_NOT_REVIEW)
    assert [i.text for i in plan.items] == [
        "推进分级诊疗，全年下沉专家1.5万人次，基层诊疗量占比达到65%。",  # 1.5万 is a quantity, not item 1.5
        "开展家庭医生签约服务。二是扩大重点人群覆盖面，签约率达到75%。",  # 二是 continues its item
    ]
    assert {i.section_kind for i in plan.items} == {"task"}  # 总结推广 is not a look back


def test_a_subsection_heading_with_a_comma_heads_its_numbered_items():
    plan = parsed("一、公共卫生\n（一）加强疾病预防控制，筑牢公共卫生防线\n1.完善监测预警。\n2.做好免疫规划。\n（二）完善应急体系，提升处置能力\n")
    heading = "（一）加强疾病预防控制，筑牢公共卫生防线"
    assert [(i.subsection, i.number) for i in plan.items] == [(heading, "1"), (heading, "2"), ("", "（二）")]  # nothing under （二）
    assert plan.items[2].text == "完善应急体系，提升处置能力"

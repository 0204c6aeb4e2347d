"""The parser on the five seed plans and on a plan written for the test."""

from __future__ import annotations

import pytest

from analysis.ingest.segment import detect_headline, parse_plan, split_departments, split_sentences
from conftest import item

EXPECTED_ITEMS = {"qingdao-2024": 21, "chizhou-2024": 74, "qingdao-2021": 11, "xian-2024": 35, "wanzhou-2024": 57}


@pytest.mark.parametrize("doc_id,count", EXPECTED_ITEMS.items())
def test_item_counts_match_a_careful_reader(corpus, doc_id, count):
    assert (corpus.items.doc_id == doc_id).sum() == count
    assert corpus.documents.set_index("doc_id").loc[doc_id, "n_items"] == count


def test_detected_titles(corpus):
    titles = corpus.documents.set_index("doc_id")["detected_title"].to_dict()
    assert titles == {
        "qingdao-2024": "市卫生健康委2024年工作要点",
        "chizhou-2024": "2024年池州市卫生健康工作要点",
        "qingdao-2021": "2021年度市直单位业务目标",
        "xian-2024": "2024年西安市卫生健康工作要点",
        "wanzhou-2024": "2024年全区卫生健康工作要点",
    }


def test_qingdao_2024_unnumbered_paragraph_and_inline_subsections(corpus):
    first = item(corpus, "qingdao-2024", 1)
    assert first["section"] == "一、强化党建引领，筑牢卫生健康事业发展总根基"
    assert first["number"] == "" and first["headline"] == ""
    assert first["text"].startswith("始终把坚定拥护“两个确立”")  # [bookmark: _GoBack] removed
    second = item(corpus, "qingdao-2024", 2)
    assert second["section"] == "二、全力强基创优，夯实基层医疗卫生服务网底"
    assert (second["number"], second["headline"], second["subsection"]) == ("（一）", "推动机构提档升级", "")
    assert second["text"].startswith("推动机构提档升级。启动实施基层医疗卫生服务能力提质提效三年行动")
    assert second["text"].endswith("优化城市社区卫生服务网络。")
    last = item(corpus, "qingdao-2024", 21)
    assert last["section"].startswith("六、守牢发展底线")
    assert last["text"].startswith("推进法治政府建设") and last["text"].endswith("开展“紧急医学救援能力提升年”活动。")


def test_chizhou_2024_web_page_and_subsections(corpus):
    thirteen = item(corpus, "chizhou-2024", 13)
    assert thirteen["section"] == "三、突出抓好六项重点工作"
    assert thirteen["subsection"] == "(一)持续加强党建引领"
    assert thirteen["number"] == "13"
    assert thirteen["text"].startswith("巩固拓展主题教育成果,健全“第一议题”制度")
    ten = item(corpus, "chizhou-2024", 10)
    assert ten["headline"] == "深入推进国家结核病关爱行动试点"
    last = item(corpus, "chizhou-2024", 74)
    assert last["text"].endswith("深入部队走访慰问。")
    texts = "".join(corpus.items.text)
    for junk in ("扫一扫", "当前位置", "索引号", "阅读次数", "字体大小", "全面贯彻落实党的二十大精神,深入学习贯彻"):
        assert junk not in texts


def test_qingdao_2021_table_rows(corpus):
    fifth = item(corpus, "qingdao-2021", 5)
    assert (fifth["section"], fifth["number"]) == ("重点目标", "5")
    assert fifth["headline"] == "加强紧急医学救援能力建设"  # name cell broken over two lines
    assert fifth["text"].startswith("加强紧急医学救援能力建设。提升紧急医学救援能力和救援后勤保障能力")
    tenth = item(corpus, "qingdao-2021", 10)
    assert (tenth["section"], tenth["number"]) == ("创优目标", "1")
    assert tenth["headline"] == "深化“互联网+医疗健康”惠民便民服务"
    assert "标杆城市：杭州市 标杆值：预约挂号渠道达到4种以上" in tenth["text"]
    eleventh = item(corpus, "qingdao-2021", 11)
    assert eleventh["text"].endswith("实现人员通、信息通、资源通。")
    assert "联系电话" not in "".join(corpus.items.text)


def test_xian_2024_notice_and_links_dropped(corpus):
    one = item(corpus, "xian-2024", 1)
    assert (one["section"], one["number"], one["headline"]) == ("一、加强党的全面领导", "1", "突出抓好政治建设")
    assert item(corpus, "xian-2024", 21)["headline"] == ""  # no full stop after its lead phrase
    last = item(corpus, "xian-2024", 35)
    assert last["text"].endswith("全面加强医院后勤规范化建设和精细化管理。")
    texts = "".join(corpus.items[corpus.items.doc_id == "xian-2024"].text)
    assert "印发给你们" not in texts and "相关链接" not in texts and "2024年3月1日" not in texts


def test_wanzhou_2024_responsibility_tails(corpus):
    assert item(corpus, "wanzhou-2024", 1)["departments"] == "办公室"
    assert item(corpus, "wanzhou-2024", 18)["departments"] == "办公室;医政科;信统科;基层科;家发科;老龄科;疾控科"
    assert item(corpus, "wanzhou-2024", 29)["departments"] == "科教科"  # （责任处室：…）
    assert item(corpus, "wanzhou-2024", 41)["departments"] == "信统科;科教科"  # （责任科室；…）
    thirty = item(corpus, "wanzhou-2024", 30)
    assert thirty["number"] == "30" and thirty["text"].startswith("强化有组织的科研攻关")  # 30．
    wanzhou = corpus.items[corpus.items.doc_id == "wanzhou-2024"]
    assert not wanzhou.text.str.contains("责任科室|责任处室|区级卫生健康单位").any()
    assert (wanzhou.departments != "").all()


def test_no_whitespace_runs_and_char_counts(corpus):
    assert not corpus.items.text.str.contains(r"\s{2,}").any()
    sample = item(corpus, "qingdao-2024", 2)
    assert sample["n_chars"] == len(sample["text"].replace(" ", ""))
    assert (corpus.items.n_chars > 10).all()


def test_sentences_cover_item_text(corpus):
    for item_id, group in corpus.sentences.groupby("item_id"):
        text = corpus.items.set_index("item_id").loc[item_id, "text"]
        assert "".join(group.text) == text.replace(" ", "") or "".join(group.text) == text
    two = corpus.sentences[corpus.sentences.item_id == "qingdao-2024-0002"]
    assert list(two.sentence_id)[:2] == ["qingdao-2024-0002-01", "qingdao-2024-0002-02"]
    assert two.text.iloc[0] == "推动机构提档升级。"


def test_helpers():
    assert detect_headline("推进“美丽医院”建设。力争创建") == "推进“美丽医院”建设"
    assert detect_headline("对标完成全省争创国家中医药综合改革示范区建设年度目标任务。") == ""
    assert detect_headline("按时平稳有序做好疾控机构改革,强化职能。保障稳定。") == ""
    assert split_departments("开展培训。（牵头单位：市卫生健康委；配合单位：市财政局、市人社局）") == (
        "开展培训。",
        ["市卫生健康委", "市财政局", "市人社局"],
    )
    assert split_sentences("甲。乙；丙") == ["甲。", "乙；", "丙"]


NEW_CITY_PLAN = """\
各县（市、区）卫生健康局，委机关各处室：
现将《2025年临海市卫生健康工作要点》印发给你们，请结合实际抓好落实。
临海市卫生健康局
2025年2月10日

2025年临海市卫生健康工作要点

2025年，全市卫生健康工作以高质量发展为主题。

一、深化医药卫生体制改革
围绕“三医协同”目标，重点抓好以下工作：
1、推进紧密型县域医共体建设。完善医共体绩效考核，县域就诊率达到90%以上。（牵头单位：医政处；配合单位：财务处）
2、深化公立医院改革。主要措施包括：
（1）健全现代医院管理制度；
（2）开展薪酬制度改革试点。
二、筑牢公共卫生防线
（一）传染病防控
3) 加强传染病监测预警，法定传染病报告率100%。
4) 做好免疫规划工作，适龄儿童免疫规划疫苗接种率保持在95%以上。
（二）慢性病防治
三、加强党的建设
加强机关党建，推进清廉医院建设。
深化作风建设，开展群众满意度评价。

附件：2025年重点任务分解表
1. 这不是计划条目
"""


def test_new_city_layout_parses_without_code_changes():
    plan = parse_plan(NEW_CITY_PLAN)
    assert plan.title == "2025年临海市卫生健康工作要点"
    assert [i.number for i in plan.items] == ["1", "2", "3", "4", "", ""]
    first = plan.items[0]
    assert first.section == "一、深化医药卫生体制改革" and first.headline == "推进紧密型县域医共体建设"
    assert first.departments == ["医政处", "财务处"] and first.text.endswith("县域就诊率达到90%以上。")
    assert plan.items[1].text == "深化公立医院改革。主要措施包括：（1）健全现代医院管理制度；（2）开展薪酬制度改革试点。"
    assert plan.items[2].subsection == "（一）传染病防控" and plan.items[2].section == "二、筑牢公共卫生防线"
    assert plan.items[3].text.startswith("做好免疫规划工作")
    assert [i.text for i in plan.items[4:]] == ["加强机关党建，推进清廉医院建设。", "深化作风建设，开展群众满意度评价。"]
    assert all("印发" not in i.text and "这不是" not in i.text for i in plan.items)

"""Make the demo articles' PDF attachments (static/docs/) by printing small HTML pages with
Debian's Chromium. Run by hand when the attachments change:

    .venv/bin/python scripts/make_demo_attachments.py
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "static" / "docs"

STYLE = ("body{font-family:'WenQuanYi Zen Hei',sans-serif;margin:2cm;font-size:12pt}"
         "table{border-collapse:collapse;width:100%}td,th{border:1px solid #000;padding:6px}"
         "h1{font-size:18pt;text-align:center}.note{font-size:10pt;color:#444}")

DOCS = {
    "2019-weifang-gaizao-butie.pdf": ("2019年农村危房改造补助标准表", [
        ["危房等级", "改造方式", "补助标准（元/户）"],
        ["D 级", "拆除重建", "35000"], ["C 级", "维修加固", "15000"],
        ["特困户（D 级）", "拆除重建", "40000"]]),
    "yidi-banqian-shenqingbiao.pdf": ("易地扶贫搬迁申请表", [
        ["项目", "填写内容"], ["户主（签字）", ""], ["所在村", ""], ["家庭人口", ""],
        ["现住房情况", ""], ["搬迁意愿（集中安置/分散安置）", ""], ["村委会意见", ""]]),
    "mashan-fupin-chejian-shenqingbiao.pdf": ("扶贫车间认定申请表", [
        ["项目", "填写内容"], ["车间名称", ""], ["经营主体", ""], ["所在乡镇、村", ""],
        ["吸纳贫困劳动力人数", ""], ["带贫方式", ""], ["乡镇审核意见", ""]]),
    "2018-gonggao-gongshi-ducha-qingdan.pdf": ("扶贫资金项目公告公示督查问题清单", [
        ["序号", "问题类型", "发现数量", "整改要求"],
        ["1", "公示内容不完整", "23", "10 日内补充公示"],
        ["2", "公示期不足", "11", "重新公示满 10 日"],
        ["3", "未在村务公开栏张贴", "8", "立即张贴并拍照留存"]]),
}


def page(title: str, rows: list[list[str]]) -> str:
    head = "".join(f"<th>{c}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows[1:])
    return (f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><style>{STYLE}</style>"
            f"<h1>{title}</h1><table><tr>{head}</tr>{body}</table>"
            "<p class='note'>演示附件：阳光扶贫公开平台示例数据，非正式文件。</p></html>")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu"])
        tab = browser.new_page()
        for name, (title, rows) in DOCS.items():
            tab.set_content(page(title, rows))
            tab.pdf(path=str(OUT / name), format="A4")
            print(OUT / name)
        browser.close()


if __name__ == "__main__":
    main()

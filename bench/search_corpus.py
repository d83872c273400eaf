"""Generated Chinese documents and queries for bench_search.py: poverty-alleviation
vocabulary plus common words, Zipf-weighted, with place names and collocations."""

from __future__ import annotations

import datetime
import itertools
import random
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

POLICY_TERMS = """产业扶贫 危房改造 小额信贷 易地搬迁 教育资助 健康扶贫 兜底保障 转移就业 村集体经济
扶贫车间 雨露计划 补助标准 建档立卡 精准扶贫 脱贫攻坚 贫困户 贫困村 驻村工作队 第一书记 结对帮扶
消费扶贫 光伏扶贫 生态扶贫 公益岗位 医疗救助 大病保险 先诊疗后付费 一站式结算 最低生活保障 特困供养
残疾人补贴 安置点 后续扶持 技能培训 务工补助 交通补贴 财政贴息 免担保免抵押 动态监测 防止返贫
两不愁三保障 义务教育 基本医疗 住房安全 饮水安全 特色产业 专业合作社 龙头企业 以奖代补 资金公示
项目库 乡村振兴 到户项目 扶贫资金 财政专项 生态护林员 控辍保学 家庭医生 签约服务 以工代赈""".split()

COMMON_WORDS = """
扶贫 补助 标准 农户 资金 项目 产业 就业 教育 医疗 住房 搬迁 贷款 村民 公示 政策 申请
审核 发放 乡镇 县级 群众 干部 培训 工作 落实 推进 开展 加强 组织 保障 帮扶 收入 种植 养殖 农业 合作
企业 服务 管理 监督 检查 资助 学生 家庭 人口 补贴 安置 房屋 改造 鉴定 验收 信贷 银行 利息 期限 额度
条件 对象 程序 材料 办理 窗口 电话 举报 村委 党员 经济 集体 分红 电商 销售 基地 茶叶 柑橘 芒果 甘蔗
桑蚕 生猪 肉牛 山羊 道路 饮水 电网 学校 医院 贫困 脱贫 攻坚 考核 评估 档案 信息 系统 数据 核查 整改
问题 责任 制度 机制 措施 方案 计划 目标 任务 成效 巩固 衔接 振兴 建设 发展 提高 增加 实施 完善 规范
使用 分配 拨付 到位 公开 透明 廉洁 审计 纪检 民生 儿童 老人 残疾 妇女 青年 职业 技术 岗位 工资 务工
外出 返乡 创业 扶持 奖励 优惠 减免 报销 比例 门诊 住院 救助 兜底 低保 特困 供养 危房 安全 饮用 水源
光伏 电站 护林 生态 旅游 民宿 特产 品牌 市场 物流 冷链 加工 车间 厂房 设备 仓库 粮食 玉米 水稻 蔬菜
""".split()

PLACES = """南宁市 兴宁区 青秀区 武鸣区 隆安县 马山县 上林县 宾阳县 横州市 柳州市 融水苗族自治县
三江侗族自治县 桂林市 龙胜各族自治县 资源县 百色市 田阳区 田东县 德保县 那坡县 凌云县 乐业县
河池市 都安瑶族自治县 大化瑶族自治县 巴马瑶族自治县 凤山县 东兰县 环江毛南族自治县 罗城仫佬族自治县
崇左市 天等县 大新县 来宾市 忻城县 金秀瑶族自治县 贺州市 昭平县 富川瑶族自治县""".split()

#: Collocations that occur as a unit in the text: quoted, they are the phrase queries.
COLLOCATIONS = """危房改造补助标准 小额信贷财政贴息 教育资助政策 易地搬迁安置点 产业扶贫项目
健康扶贫政策 扶贫车间就业 村集体经济收入 建档立卡贫困户 雨露计划补助 医疗救助比例 转移就业补贴
兜底保障政策 消费扶贫活动 光伏扶贫电站 住房安全保障""".split()

REGION_CODES = ["450000000000", "450100000000", "450102000000", "450124000000", "450200000000",
                "451000000000", "451200000000", "451222000000", "452600000000", "450300000000"]

TITLE_ENDS = ["工作推进会召开", "实施方案", "补助标准公布", "资金使用情况公示", "政策解读",
              "办事指南", "取得新成效", "督查情况通报", "申报通知", "问答"]


def _zipf(words: list[str], rng: random.Random) -> list[float]:
    """Cumulative Zipf-like weights in a shuffled order (frequency does not follow the list)."""
    order = list(range(len(words)))
    rng.shuffle(order)
    return list(itertools.accumulate(1.0 / (rank + 1) ** 0.9 for rank in order))


GENERAL_WORDS = 50_000
POOL_SENTENCES = 60_000


def general_vocabulary() -> tuple[list[str], list[float]]:
    """The most frequent Chinese words of jieba's own dictionary, with cumulative weights:
    the everyday words around the topic words, in their natural (Zipf) proportions."""
    import jieba

    rows = []
    with open(Path(jieba.__file__).with_name("dict.txt"), encoding="utf-8") as f:
        for line in f:
            word, freq, _ = line.split(" ")
            if len(word) <= 4 and all("\u4e00" <= ch <= "\u9fff" for ch in word):
                rows.append((int(freq), word))
    rows.sort(reverse=True)
    rows = rows[:GENERAL_WORDS]
    return [w for _, w in rows], list(itertools.accumulate(f for f, _ in rows))


class TextMaker:
    """Sentences of everyday words (a pool drawn once), with each document's own topic words
    (a few policy terms, a place, a dozen domain words) woven in: a domain word is in many
    documents or few, as in real text."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.policy_w = _zipf(POLICY_TERMS, self.rng)
        self.common_w = _zipf(COMMON_WORDS, self.rng)
        words, weights = general_vocabulary()
        choices = self.rng.choices
        self.pool = [choices(words, cum_weights=weights, k=self.rng.randint(5, 12))
                     for _ in range(POOL_SENTENCES)]

    def number(self) -> str:
        rng = self.rng
        kind = rng.random()
        if kind < 0.3:
            return f"{rng.randint(2014, 2021)}年"
        if kind < 0.6:
            return f"{rng.choice([500, 800, 1000, 1500, 2000, 3000, 5000, 20000])}元"
        if kind < 0.8:
            return f"{rng.randint(3, 3000)}户"
        return f"{rng.randint(1, 99)}%"

    def document(self, size: int) -> tuple[str, str]:
        rng = self.rng
        policy = rng.choices(POLICY_TERMS, cum_weights=self.policy_w, k=3)
        topic = (policy * 3 + rng.choices(COMMON_WORDS, cum_weights=self.common_w, k=12)
                 + [rng.choice(PLACES)] * 2
                 + ([rng.choice(COLLOCATIONS)] if rng.random() < 0.5 else []))
        title = (f"{rng.choice(PLACES)}{rng.randint(2015, 2021)}年{policy[0]}"
                 f"{rng.choice(TITLE_ENDS)}")
        parts: list[str] = []
        length = 0
        while length < size:
            words = list(rng.choice(self.pool))
            for _ in range(rng.randint(1, 3)):
                words.insert(rng.randint(0, len(words)), rng.choice(topic))
            if rng.random() < 0.15:
                words.insert(rng.randint(0, len(words)), self.number())
            sentence = "".join(words) + rng.choice("，，，。。；")
            parts.append(sentence)
            length += len(sentence)
            if rng.random() < 0.1:
                parts.append("\n")
        return title, "".join(parts)[:size].rstrip("，；\n") + "。"


def make_documents(count: int, seed: int = 2020) -> Iterator[tuple[int, str, str, str, str, str]]:
    """(id, kind, title, body, region code, date) rows, deterministic for a seed."""
    maker = TextMaker(seed)
    start = datetime.date(2016, 1, 1)
    for i in range(1, count + 1):
        kind = "policy" if maker.rng.random() < 0.4 else "news"
        title, body = maker.document(maker.rng.randint(500, 2000))
        date = start + datetime.timedelta(days=maker.rng.randint(0, 6 * 365))
        yield (i, kind, title, body, maker.rng.choice(REGION_CODES), date.isoformat())


def make_queries(count: int, seed: int = 7) -> list[str]:
    """1–3 words or a quoted phrase; about two thirds of the query words have 2 characters."""
    rng = random.Random(seed)
    two = [w for w in COMMON_WORDS if len(w) == 2]
    longer = POLICY_TERMS + PLACES[:12]
    queries = []
    for _ in range(count):
        if rng.random() < 0.15:
            queries.append(f'"{rng.choice(COLLOCATIONS)}"')
            continue
        size = rng.choices([1, 2, 3], [0.45, 0.35, 0.20])[0]
        words = [rng.choice(two) if rng.random() < 0.78 else rng.choice(longer)
                 for _ in range(size)]
        queries.append(" ".join(words))
    return queries


def query_words(queries: list[str]) -> list[str]:
    return [w for q in queries for w in q.replace('"', " ").split()]

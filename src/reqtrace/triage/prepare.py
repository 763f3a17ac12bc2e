"""Stage 1: the request's text, split into what the customer says and what is only beside it.

A request arrives as an e-mail, a ticket or a chat message. Much of it is not
the customer's own words about this request: the earlier mail it quotes, the
greeting and the signature, an issue template's headings, links and addresses.
Cue words found there would be found in every request, so they are set aside.
A pasted log, error message or stack trace is set aside too, but kept as what
it is: evidence that something failed. A fenced block with no failure in it
(code, configuration, a command line, an excerpt of a file or of wanted output)
is an example: neither evidence of failure nor a cue source. Requirement ids
are kept as references. The words the model learns from are the writer's own
prose: an issue template's fields (steps to reproduce, environment, logs) say
what the request is about, not what kind of ask it is.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from reqtrace.triage.words import HAN, everyday_word, simplified

MAX_TEXT_CHARS = 20_000  # a request is read, not a novel: longer text is cut

_HAN_CHAR = re.compile(f"[{HAN}]")
REQUIREMENT_ID = re.compile(r"\b([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-[0-9]+)\b")
_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'，。）)]+|\bwww\.[^\s<>\"'，。）)]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PATH = re.compile(r"(?:[A-Za-z]:\\|/)(?:[\w.-]+[/\\])+[\w.-]*")

# Where an earlier message begins: everything after it is quoted, not written for this request.
_QUOTE_START = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|forwarded message|原始邮件|转发的邮件|转发邮件)\s*-{2,}"
    r"|on .{4,120}wrote:\s*$|在 ?.{4,80}写道[:：]\s*$"
    r"|(?:from|发件人|寄件者)\s*[:：].*$"
    r"|_{8,}\s*$)",
    re.IGNORECASE,
)
# A sign-off: what follows it is a signature.
_SIGN_OFF = re.compile(
    r"^\s*(?:best(?: regards)?|kind regards|regards|cheers|thanks(?: and regards| again| in advance)?|thank you"
    r"|many thanks|sincerely|yours(?: sincerely| truly)?|br|sent from my \w+.*|此致|敬礼|祝好|顺祝商祺|谢谢|多谢|感谢"
    r"|发自我的.*)[\s,，.。!！]*$",
    re.IGNORECASE,
)
# Header lines of a quoted message: who and when, not what.
_HEADER = re.compile(r"^\s*(?:from|sent|to|cc|date|subject|发件人|发送时间|收件人|抄送|日期|主题|寄件者|时间)\s*[:：]", re.IGNORECASE)
# Fewer words than this of their own, and a forwarded thread's earlier message says what the request is.
SHORT_OWN_WORDS = 20
_SIGNATURE_DASHES = re.compile(r"^\s*--\s*$")
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|您好|你好|各位好|大家好|老师好)\b[^.!?。！？\n]{0,40}[,，:：!！]?\s*$",
    re.IGNORECASE,
)
_GREETING_PREFIX = re.compile(r"^\s*(?:hi|hello|hey|dear)\s+[^,，:\n]{1,30}[,，:]\s*|^\s*(?:您好|你好)[,，!！:：]?\s*", re.IGNORECASE)
# Issue-template headings: structure, not the customer's words. Which template it is, is noted.
_BUG_TEMPLATE = re.compile(
    r"^\s*(?:#+\s*|\*\*)?(?:describe the bug|bug description|bug report|steps to reproduce|to reproduce|expected (?:behaviou?r|result)"
    r"|actual (?:behaviou?r|result)|observed (?:behaviou?r|result)|reproduction steps|environment|version|screenshots?"
    r"|【?问题描述】?|【?复现步骤】?|【?重现步骤】?|【?期望结果】?|【?预期结果】?|【?实际结果】?|【?环境】?|【?版本】?)"
    r"(?:\*\*)?\s*[:：]?\s*$",
    re.IGNORECASE,
)
_FEATURE_TEMPLATE = re.compile(
    r"^\s*(?:#+\s*|\*\*)?(?:feature request|is your feature request related to a problem\??(?:\s*please describe\.?)?|describe the solution you'd like"
    r"|describe alternatives you've considered|proposal|motivation|use case"
    r"|【?需求描述】?|【?功能需求】?|【?需求背景】?|【?期望功能】?)(?:\*\*)?\s*[:：]?\s*$",
    re.IGNORECASE,
)
# Headings both kinds of issue template use, or any write-up: structure, not the customer's words,
# and no sign of what kind of issue it is ("## Description", "**Additional context**").
_HEADING = re.compile(
    r"^\s*(?:#+\s*|\*\*)?(?:description|summary|overview|details|context|additional (?:context|information|info|notes?)"
    r"|background|problem|current (?:behaviou?r|state|situation)|notes?|examples?|logs?|output)(?:\*\*)?\s*[:：]?\s*$",
    re.IGNORECASE,
)
# Lines that are machine output: a stack trace, a log line, an error dump.
_TRACE_LINE = re.compile(
    r"^\s*(?:traceback \(most recent call last\)|at [\w$.<>]+\(.*\)|file \".*\", line \d+|\w+(?:\.\w+)*(?:error|exception)\b[:\s]"
    r"|caused by:|exception in thread|\d{4}-\d\d-\d\d[ t]\d\d:\d\d(?::\d\d)?.*\b(?:error|warn|fatal|exception|failed)\b"
    r"|\[(?:error|fatal|warn(?:ing)?)\]|(?:error|fatal|panic)[:\]]|http/\d(?:\.\d)? [45]\d\d|status(?: code)?[: ]+[45]\d\d\b"
    r"|e/\w+|segmentation fault|core dumped|npe\b|null ?pointer)",
    re.IGNORECASE,
)
# A heading that opens a template's fields rather than the writer's own prose: steps to reproduce,
# the environment and versions, logs and output. Their lines say what was run and on what, in the
# template's words; they are read for what the request is about, but no word is learned from them.
_FIELD_HEADING = re.compile(
    r"reproduc|\bsteps\b|复现|重现|步骤|environment|\bversion|system observed|\bplatform|环境|版本"
    r"|\blogs?\b|\boutput\b|screenshot|日志|截图",
    re.IGNORECASE,
)
# A heading of any write-up, a markdown heading or a line that is all bold, ends the section before it.
_ANY_HEADING = re.compile(r"^\s*(?:#{1,6}\s+\S.{0,60}|\*\*[^*\n]{2,60}\*\*\s*[:：]?)\s*$")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")  # a markdown table: field names and values, in a template or not
_FENCE = re.compile(r"^\s*(?:```|~~~)")
# Inside a fenced block, a line that tells a failure: the block is pasted output of something that
# failed. A block with none is an example (code, configuration, a command line, wanted output).
_FAILURE_LINE = re.compile(
    r"\b(?:error|errors|exception|fatal|panic(?:ked)?|fail(?:ed|s|ure)?|traceback|segfault|abort(?:ed)?|denied|refused"
    r"|not found|no such|cannot|can't|unable to|invalid|unexpected|assert(?:ion)?(?:error)?)\b"
    r"|(?:->|=>|returns?|got|status)\s*[45]\d\d\b",
    re.IGNORECASE,
)
# A name written as code or as a compound identifier (`cfe_sb_transmitmsg()`, fprime-gds, Os::Queue,
# apps/SBN, getValue, FileDownlink): what a product, a component, a package or a platform is called.
_NAME = re.compile(
    r"`([^`\n]{2,60})`|(?<![\w/.-])([A-Za-z][A-Za-z0-9]*(?:(?:[-_.]|::)[A-Za-z0-9]+)+|[a-z]+[A-Z][A-Za-z0-9]+"
    r"|[A-Z][a-z]+[A-Z][A-Za-z0-9]*)(?![\w-])")
_NOT_A_NAME = re.compile(r"[A-Z][A-Z0-9]*-[0-9]+|v?[\d.]+")  # a requirement id, a version
# Lower-case words joined by hyphens: a name ("fprime-gds") unless every part is an everyday
# word, when it is prose ("go-live", "after-sales", "built-in", "e-mail").
_HYPHENED_WORDS = re.compile(r"[a-z]+(?:-[a-z]+)+")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？；;])\s+|(?<=[。！？；])|\n+")


@dataclass(frozen=True)
class Prepared:
    """A request's text, sorted by who wrote it and what it is."""

    own: str  # the customer's own words, for cues (normalised, lower case)
    own_cased: str  # the same, as written (for quoting a sentence back)
    sentences: tuple[str, ...]  # `own_cased` in sentences
    quoted: str  # earlier mail, greetings, signatures, template headings
    forwarded: bool  # the customer's own words were few, and the earlier mail they forward was read as theirs
    machine: tuple[str, ...]  # pasted log, error and trace lines
    examples: tuple[str, ...]  # lines of fenced blocks that tell no failure: code, configuration, commands
    refs: tuple[str, ...]  # requirement-like ids named anywhere in the text
    names: tuple[str, ...]  # code-like names written anywhere in the text (pasted output and tables too), not in links
    bug_template: bool  # an issue template for a bug report ("Steps to reproduce", 【复现步骤】)
    feature_template: bool  # an issue template for a feature request
    han_share: float  # share of Chinese characters among the letters
    prose: str  # `own` less tables and the template's fields (steps, environment, logs): what words are learned from


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII), one kind of apostrophe and quote, and
    Chinese in simplified characters (a traditional request meets a simplified baseline)."""
    return simplified(unicodedata.normalize("NFKC", text)).replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')


def prepare(text: str) -> Prepared:
    """Split a request into the customer's own words, the machine output it pastes, and the rest."""
    text = normalise(text[:MAX_TEXT_CHARS]).replace("\r\n", "\n").replace("\r", "\n")
    refs = tuple(dict.fromkeys(REQUIREMENT_ID.findall(text)))
    own: list[str] = []
    quoted: list[str] = []
    earlier: list[str] = []  # the body of quoted or forwarded mail
    machine: list[str] = []
    examples: list[str] = []
    block: list[str] = []  # the fenced block being read
    bug = feature = False
    in_fence = in_signature = in_quote = False
    in_fields = False  # under a heading of a template's fields
    field: list[bool] = []  # beside `own`: whether the line is a table row or one of a template's fields
    for line in text.split("\n"):
        stripped = line.strip()
        if not in_fence and not in_quote and not in_signature and _ANY_HEADING.match(line):
            in_fields = bool(_FIELD_HEADING.search(stripped))
        if _FENCE.match(line):
            if in_fence:
                _close_block(block, machine, examples)
                block = []
            in_fence = not in_fence
            continue
        if in_fence:
            if stripped:
                block.append(stripped)
            continue
        if in_quote or stripped.startswith(">") or _QUOTE_START.match(line):
            in_quote = in_quote or not stripped.startswith(">")
            quoted.append(stripped)
            if not _QUOTE_START.match(line) and not _HEADER.match(line):
                earlier.append(stripped.lstrip("> "))
            continue
        if in_signature or _SIGNATURE_DASHES.match(line) or _SIGN_OFF.match(line):
            in_signature = True
            quoted.append(stripped)
            continue
        if _GREETING.match(line):
            quoted.append(stripped)
            continue
        if _BUG_TEMPLATE.match(line):
            bug = True
            quoted.append(stripped)
            continue
        if _HEADING.match(line):
            quoted.append(stripped)
            continue
        if _FEATURE_TEMPLATE.match(line):
            feature = True
            quoted.append(stripped)
            continue
        if _TRACE_LINE.match(line):
            machine.append(stripped)
            continue
        line = _GREETING_PREFIX.sub("", line)
        # A sign-off at the end of a line of text ("…please check. Thanks, Li"): cut there.
        cut = re.search(r"(?:[.!?。！？]\s*)(?:thanks|thank you|best regards|regards|谢谢|多谢|此致)\b.*$", line, re.IGNORECASE)
        if cut:
            quoted.append(line[cut.start() + 1 :].strip())
            line = line[: cut.start() + 1]
        field.append(in_fields or bool(_TABLE_ROW.match(line)))
        own.append(line)
    _close_block(block, machine, examples)  # a block left open runs to the end of the text
    # The first line is a title or subject when it ends without a full stop: a sentence of its own.
    first = next((i for i, line in enumerate(own) if line.strip()), None)
    if first is not None and not re.search(r"[.!?。！？:：,，]\s*$", own[first]) and first + 1 < len(own) and own[first + 1].strip():
        own.insert(first + 1, "")
        field.insert(first + 1, False)
    body = "\n".join(own)
    prose = "\n".join(line for line, is_field in zip(own, field, strict=True) if not is_field)
    forwarded = False
    if _word_count(body) < SHORT_OWN_WORDS and _word_count("\n".join(earlier)) >= 4:
        # "See below", 请看下面: the forwarded message is what is asked; read it as the request.
        body = body + "\n\n" + "\n".join(earlier)
        prose = prose + "\n\n" + "\n".join(earlier)
        forwarded = True
    body = _URL.sub(" ", body)
    body = _EMAIL.sub(" ", body)
    body = _PATH.sub(" ", body)
    if not body.strip() and text.strip():  # nothing but a greeting or a quote: read what there is
        body = prose = text
    prose = _PATH.sub(" ", _EMAIL.sub(" ", _URL.sub(" ", prose)))
    sentences = split_sentences(body)
    letters = [ch for ch in body if ch.isalpha()]
    han = sum(1 for ch in letters if _HAN_CHAR.match(ch))
    return Prepared(
        own=_one_line(body).lower(),
        own_cased=_one_line(body),
        sentences=sentences,
        quoted="\n".join(q for q in quoted if q),
        forwarded=forwarded,
        machine=tuple(m for m in machine if m),
        examples=tuple(examples),
        refs=refs,
        names=_names(text),
        bug_template=bug,
        feature_template=feature,
        prose=_one_line(prose).lower(),
        han_share=han / len(letters) if letters else 0.0,
    )


def _names(text: str) -> tuple[str, ...]:
    """The code-like names of a text, once each, in order (links left out)."""
    found = (m.group(1) or m.group(2) for m in _NAME.finditer(_URL.sub(" ", text)))
    return tuple(dict.fromkeys(name for name in (n.strip() for n in found) if _is_name(name)))


def _is_name(name: str) -> bool:
    if re.search(r"[A-Za-z]{2}", name) is None or _NOT_A_NAME.fullmatch(name):
        return False
    if _HYPHENED_WORDS.fullmatch(name):
        return not all(everyday_word(part) for part in name.split("-"))
    return True


def _close_block(block: list[str], machine: list[str], examples: list[str]) -> None:
    """A fenced block is pasted output of a failure when a line of it tells one; else it is an example."""
    failed = any(_TRACE_LINE.match(line) or _FAILURE_LINE.search(line) for line in block)
    (machine if failed else examples).extend(block)


def _word_count(text: str) -> int:
    """English words plus Chinese characters / 2: roughly how much was said."""
    return len(re.findall(r"[A-Za-z]+", text)) + len(_HAN_CHAR.findall(text)) // 2


def _one_line(text: str) -> str:
    """Paragraphs kept apart, wrapped lines joined: e-mail wraps in mid-sentence."""
    return re.sub(r"(?<!\n)\n(?!\n)", " ", text).strip()


def split_sentences(text: str) -> tuple[str, ...]:
    """Sentences of English, Chinese or mixed text (a blank line or a line of its own ends one too)."""
    pieces = []
    for paragraph in re.split(r"\n\s*\n", text):
        joined = _one_line(paragraph)
        for piece in _SENTENCE_END.split(joined):
            piece = piece.strip(" \t-*•")
            if piece and any(ch.isalnum() for ch in piece):
                pieces.append(piece)
    return tuple(pieces)

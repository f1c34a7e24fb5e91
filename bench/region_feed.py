"""Make a region-sized Open Referral UK feed from the two real ones, for the scale benchmark.

    python bench/region_feed.py RECORDS OUT.json [--seed N]

A region or a national directory holds 50,000 to 200,000 records; the shared feeds hold 1,555. Each
generated record takes its shape (fields, audience, dates) from one real record, its name from the
words of two real names, and its description from sentences of two to four real descriptions, with
a fresh id, so the text is as varied (HTML, literal \\n, mojibake and all) as the real feeds and no
two records are the same. The same seed gives the same feed. Only ../shared/data is read; nothing
is written but OUT.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import uuid
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "oruk-bristol-northlincs"
FEEDS = ("bristol_services.json", "north_lincolnshire_services.json")
SENTENCE = re.compile(r"(?<=[.!?])\s+")


def sources() -> list[dict]:
    records: list[dict] = []
    for name in FEEDS:
        data = json.loads((SHARED / name).read_text(encoding="utf-8"))
        records += [r for r in data if isinstance(r, dict) and str(r.get("name") or "").strip()]
    return records


def generate(count: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    real = sources()
    names = [str(r["name"]).split() for r in real]
    sentences = [s for r in real for s in SENTENCE.split(str(r.get("description") or "")) if s.strip()]
    out = []
    for n in range(count):
        shape = dict(rng.choice(real))
        first, second = rng.choice(names), rng.choice(names)
        cut_a, cut_b = max(1, len(first) // 2), len(second) // 2
        shape["id"] = str(uuid.UUID(int=rng.getrandbits(128)))
        shape["name"] = " ".join(first[:cut_a] + second[cut_b:]) or f"Service {n}"
        shape["description"] = " ".join(rng.sample(sentences, rng.randint(2, 4)))
        out.append(shape)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.records < 1:
        print("region_feed: RECORDS must be 1 or more", file=sys.stderr)
        return 2
    feed = generate(args.records, args.seed)
    args.out.write_text(json.dumps(feed), encoding="utf-8")
    print(json.dumps({"records": len(feed), "bytes": args.out.stat().st_size, "out": str(args.out)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

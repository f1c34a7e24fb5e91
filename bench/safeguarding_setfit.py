"""Candidate e of bench/safeguarding_models.py: SetFit-style contrastive fine-tuning of MiniLM on the
exemplar bank, saved where that bench reads it (then: ``safeguarding_models.py e-setfit-softmax``).

    HF_HUB_OFFLINE=1 PYTHONPATH=src nice -n 10 python bench/safeguarding_setfit.py [EPOCHS]
"""

from __future__ import annotations

import json
import random
import sys
import time
from typing import Any

from safeguarding_models import CACHE, SETFIT, load_data, sentence_model


def setfit_train(d: dict[str, Any], epochs: int = 1, seed: int = 0) -> dict[str, Any]:
    """SetFit-style contrastive fine-tuning of MiniLM: same-kind risks pulled together, a risk and a
    lookalike pushed apart (cosine-similarity loss), a plain torch loop (no datasets/accelerate)."""
    import torch
    from torch.nn.functional import cosine_similarity, mse_loss

    rng = random.Random(seed)
    by_kind: dict[str, list[str]] = {}
    for text, label in zip(d["bank_texts"], d["bank_labels"], strict=True):
        by_kind.setdefault(label, []).append(text)
    looks = by_kind.pop("none")
    pairs: list[tuple[str, str, float]] = []
    for risks in by_kind.values():
        for text in risks:
            pairs.append((text, rng.choice([r for r in risks if r != text]), 1.0))
            pairs += [(text, rng.choice(looks), 0.0), (text, rng.choice(looks), 0.0)]
    pairs += [(rng.choice(looks), rng.choice(looks), 1.0) for _ in range(len(looks) // 2)]
    model = sentence_model("minilm")
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-5)
    started = time.perf_counter()
    steps = 0
    for _ in range(epochs):
        rng.shuffle(pairs)
        for at in range(0, len(pairs), 16):
            batch = pairs[at : at + 16]
            left = model.tokenize([a for a, _, _ in batch])
            right = model.tokenize([b for _, b, _ in batch])
            a = model(left)["sentence_embedding"]
            b = model(right)["sentence_embedding"]
            loss = mse_loss(cosine_similarity(a, b), torch.tensor([y for _, _, y in batch]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            steps += 1
    model.eval()
    SETFIT.parent.mkdir(parents=True, exist_ok=True)
    model.save(str(SETFIT))
    (CACHE / "setfit.npz").unlink(missing_ok=True)
    return {
        "pairs": len(pairs),
        "epochs": epochs,
        "steps": steps,
        "train_s": round(time.perf_counter() - started),
    }


if __name__ == "__main__":
    print(json.dumps(setfit_train(load_data(), int(sys.argv[1]) if len(sys.argv) > 1 else 1)))

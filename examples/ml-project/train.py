"""Fine-tunes a small classifier. A realistic training script, hazards and all: `npx secure-ai scan examples`."""
import logging

import numpy as np
import pandas as pd
import torch
from datasets import load_dataset
from transformers import AutoModelForSequenceClassification, AutoTokenizer

logger = logging.getLogger(__name__)

BASE_MODEL = "distilbert-base-uncased"
# Pinned: the exact commit reviewed for this project.
BASE_REVISION = "6cdc0aad91f5ae2e6712e91bc7b65d1cf5c05411"


def load_data():
    # Unpinned hub dataset: whoever controls the repo's main branch controls our training data.
    reviews = load_dataset("imdb", split="train")
    # Local CSV loaded with no record of where it came from.
    extra = pd.read_csv("data/extra_reviews.csv")
    # Safe twin: the source is logged next to the load, so it can be audited later.
    labels = pd.read_csv("data/labels.csv")
    logger.info("loaded labels from %s", "data/labels.csv")
    return reviews, extra, labels


def build_model():
    # Safe twin: pinned to a commit.
    tokenizer = AutoTokenizer.from_pretrained(BASE_MODEL, revision=BASE_REVISION)
    # Unpinned, and runs the repository's Python code on this machine.
    model = AutoModelForSequenceClassification.from_pretrained(
        "acme/sentiment-head",
        trust_remote_code=True,
    )
    return tokenizer, model


def resume(model, path):
    # A shared checkpoint unpickled with full code execution.
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state)
    # Safe twin.
    optimizer_state = torch.load("checkpoints/optimizer.pt", weights_only=True)
    # Embeddings cached as an object array.
    cache = np.load("cache/embeddings.npy", allow_pickle=True)
    return optimizer_state, cache

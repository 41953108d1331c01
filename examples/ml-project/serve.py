"""Serves predictions from the trained model. `npx secure-ai scan examples` flags what is unsafe here."""
import pickle

import joblib
import yaml
from keras.models import load_model

with open("serving.yaml") as fh:
    # Unsafe: yaml.load with the full loader constructs arbitrary Python objects.
    config = yaml.load(fh, Loader=yaml.FullLoader)

with open("serving.yaml") as fh:
    # Safe twin.
    same_config = yaml.safe_load(fh)

# A scikit-learn pipeline shipped as a pickle: loading it runs whatever the file says.
vectorizer = joblib.load(config["vectorizer_path"])

with open(config["labels_path"], "rb") as fh:
    labels = pickle.load(fh)

# Keras with safe mode switched off allows Lambda layers to run arbitrary code.
ranker = load_model(config["ranker_path"], safe_mode=False)
# Safe twin: the default keeps safe mode on.
fallback_ranker = load_model(config["ranker_path"])


def predict(text: str) -> str:
    features = vectorizer.transform([text])
    return labels[int(ranker.predict(features).argmax())]

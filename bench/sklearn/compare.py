# scikit-learn MLPs on exactly the windows and splits tinyprop used (files written by
# bench/sklearn/export.ts): on tinyprop's feature vectors, and on the raw windows (standardised).
# Usage: /usr/bin/python3 bench/sklearn/compare.py out/sklearn   (Debian: apt-get install python3-sklearn)
import json, sys, warnings
import numpy as np
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.exceptions import ConvergenceWarning

warnings.filterwarnings("ignore", category=ConvergenceWarning)
out = sys.argv[1] if len(sys.argv) > 1 else "out/sklearn"


def load(path):
    a = np.loadtxt(path, delimiter=",", ndmin=2)
    return a[:, 1:], a[:, 0].astype(int)


def accuracy(xtr, ytr, xte, yte, seed):
    m = MLPClassifier(hidden_layer_sizes=(32,), activation="relu", max_iter=1000, random_state=seed)
    m.fit(xtr, ytr)
    return m.score(xte, yte)


print("| data, features | inputs | train / test | tinyprop (SGD, 60 epochs) | scikit-learn MLP on the same features | scikit-learn MLP on the raw windows |")
print("|---|---|---|---|---|---|")
for case in json.load(open(f"{out}/summary.json")):
    f = case["file"]
    xtr, ytr = load(f"{out}/{f}.train.csv")
    xte, yte = load(f"{out}/{f}.test.csv")
    rtr, rytr = load(f"{out}/{f}.rawtrain.csv")
    rte, ryte = load(f"{out}/{f}.rawtest.csv")
    scaler = StandardScaler().fit(rtr)
    feats = [accuracy(xtr, ytr, xte, yte, s) for s in (1, 2, 3)]
    raw = [accuracy(scaler.transform(rtr), rytr, scaler.transform(rte), ryte, s) for s in (1, 2, 3)]
    pct = lambda v: f"{100 * np.mean(v):.1f} % ({100 * min(v):.0f}–{100 * max(v):.0f})"
    print(f"| {case['name']} | {case['features']} | {case['train']} / {case['test']} | {pct(case['tinyprop'])} | {pct(feats)} | {pct(raw)} |")

#!/usr/bin/env python3
"""scikit-learn reference for sigmoid-core's SVC on the UCI digits split.

Writes test/fixtures/sklearn-svc-digits.json, which test/svc.test.ts compares against
(CI has no Python: this script is run once by hand and its output is committed).

Inputs
  data/digits.csv                      1797 rows, 64 pixel columns + label
  test/fixtures/digits-split-seed0.json  OUR split: {"train": [...], "test": [...]} row indices
                                       from stratifiedSplit(labels, {testFraction: 0.25, seed: 0});
                                       written by `SVC_WRITE_SPLIT=1 npx vitest run test/svc.test.ts`
Preprocessing (identical to sigmoid-core's `standardize`): per-column mean and population std
of the training rows in float64 (a constant column keeps std 1), (x - mean) / std, then rounded
to float32 as our Matrix holds it (and back to float64 for scikit-learn).

Models (sklearn.svm.SVC, tol=1e-3, shrinking=False so that it runs the same algorithm as
ours — libsvm's SMO with WSS 2 and no shrinking; the stopping rule is the same either way):
  rbf:     C=1, gamma='scale' (scikit-learn's defaults).
  sigmoid: C, gamma, coef0 chosen by 5-fold stratified CV (shuffle, random_state=0) on the
           TRAINING part only, grid C in {1, 10, 100}, gamma in {0.001, 0.0025, 0.005, 0.01,
           0.02}, coef0 in {-1, -0.5, 0, 0.5, 1}; the best mean CV accuracy wins (ties: the
           first in grid order).

Run:  /tmp/pyst/bin/python scripts/sklearn_svc_reference.py
"""
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.svm import SVC

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SPLIT = os.path.join(ROOT, "test", "fixtures", "digits-split-seed0.json")
OUT = os.path.join(ROOT, "test", "fixtures", "sklearn-svc-digits.json")

GRID = {"C": [1, 10, 100], "gamma": [0.001, 0.0025, 0.005, 0.01, 0.02], "coef0": [-1, -0.5, 0, 0.5, 1]}


def load():
    with open(os.path.join(ROOT, "data", "digits.csv")) as f:
        header = f.readline().strip().split(",")
        raw = np.loadtxt(f, delimiter=",", dtype=np.float64)
    label = header.index("label")
    y = raw[:, label].astype(int)
    x = np.delete(raw, label, axis=1).astype(np.float32).astype(np.float64)
    return x, y


def standardize(train, test):
    mean = train.mean(axis=0)
    std = np.sqrt(((train - mean) ** 2).sum(axis=0) / train.shape[0])
    ok = (std > 1e-10 * np.abs(mean)) & (std > 0) & np.isfinite(std)
    std = np.where(ok, std, 1.0)
    f = lambda a: ((a - mean) / std).astype(np.float32).astype(np.float64)
    return f(train), f(test)


def fit_report(model, xtr, ytr, xte, yte, params):
    model.fit(xtr, ytr)
    pred = model.predict(xte)
    return {
        "params": params,
        "gamma": float(model._gamma),
        "train_accuracy": float((model.predict(xtr) == ytr).mean()),
        "test_accuracy": float((pred == yte).mean()),
        "n_support": [int(v) for v in model.n_support_],
        "support": [int(v) for v in model.support_],
        "intercept": [float(v) for v in model.intercept_],
        "test_predictions": [int(v) for v in pred],
    }


def main():
    x, y = load()
    with open(SPLIT) as f:
        split = json.load(f)
    tr, te = np.array(split["train"]), np.array(split["test"])
    xtr, xte = standardize(x[tr], x[te])
    ytr, yte = y[tr], y[te]

    rbf = fit_report(SVC(kernel="rbf", C=1.0, gamma="scale", tol=1e-3, shrinking=False), xtr, ytr, xte, yte,
                     {"kernel": "rbf", "C": 1.0, "gamma": "scale", "coef0": 0.0})

    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    scores = []
    for C in GRID["C"]:
        for g in GRID["gamma"]:
            for c0 in GRID["coef0"]:
                s = cross_val_score(SVC(kernel="sigmoid", C=C, gamma=g, coef0=c0, tol=1e-3, shrinking=False), xtr, ytr, cv=cv)
                scores.append({"C": C, "gamma": g, "coef0": c0, "cv_accuracy": float(s.mean())})
                print(f"sigmoid C={C} gamma={g} coef0={c0}: cv {s.mean():.4f}", file=sys.stderr)
    best = max(scores, key=lambda r: r["cv_accuracy"])  # first of the maxima: grid order
    sig = fit_report(SVC(kernel="sigmoid", C=best["C"], gamma=best["gamma"], coef0=best["coef0"], tol=1e-3, shrinking=False),
                     xtr, ytr, xte, yte, {"kernel": "sigmoid", "C": best["C"], "gamma": best["gamma"], "coef0": best["coef0"]})
    sig["grid"] = GRID
    sig["cv"] = "StratifiedKFold(n_splits=5, shuffle=True, random_state=0) on the training part"
    sig["cv_scores"] = scores

    out = {
        "generator": "scripts/sklearn_svc_reference.py",
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "data": "data/digits.csv",
        "split": {"testFraction": 0.25, "seed": 0, "stratified": True, "train": split["train"], "test": split["test"]},
        "standardize": "train mean / population std (float64), result rounded to float32",
        "tol": 1e-3,
        "shrinking": False,
        "rbf": rbf,
        "sigmoid": sig,
    }
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    for name, r in (("rbf", rbf), ("sigmoid", sig)):
        print(f"{name} {r['params']} gamma={r['gamma']:.6g}: train {r['train_accuracy']:.4f} test {r['test_accuracy']:.4f} "
              f"n_support {sum(r['n_support'])} {r['n_support']}", file=sys.stderr)


if __name__ == "__main__":
    main()

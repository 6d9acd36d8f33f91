"""The mlops-zoomcamp homework's training code, verbatim in spirit, plus the exact minimum-norm solution.

Usage: reference_homework.py FILE [--validation FILE2] [--sample 1000] [--seed 0] [--exact-dense-limit N]

Prints one JSON object on stdout. sklearn's LinearRegression on the sparse DictVectorizer matrix goes
through scipy's LSQR, which stops early; the exact minimum-norm least-squares solution is the canonical
answer the TypeScript trainer must reproduce (see /work/shared/docs/homework-reference.md §4).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import pandas as pd
import scipy
import sklearn
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LinearRegression
from sklearn.metrics import root_mean_squared_error

CATEGORICAL = ["PULocationID", "DOLocationID"]
# Dense lstsq needs rows x features float64 several times over and an SVD of that size; above this many
# cells use the (identical, much cheaper) pair sums. 10M cells = 80 MB per copy.
DEFAULT_EXACT_DENSE_LIMIT = 10_000_000


def datetime_columns(df: pd.DataFrame) -> tuple[str, str]:
    """Yellow files use tpep_*, green files lpep_*."""
    for prefix in ("tpep", "lpep"):
        pickup, dropoff = f"{prefix}_pickup_datetime", f"{prefix}_dropoff_datetime"
        if pickup in df.columns and dropoff in df.columns:
            return pickup, dropoff
    raise SystemExit(f"no tpep_/lpep_ pickup and dropoff columns in {list(df.columns)}")


def read_dataframe(filename: str) -> tuple[pd.DataFrame, dict]:
    """The homework's read_dataframe, also returning the counts and pre-filter duration stats."""
    df = pd.read_parquet(filename)
    rows_loaded = len(df)
    pickup, dropoff = datetime_columns(df)

    df["duration"] = df[dropoff] - df[pickup]
    df.duration = df.duration.dt.total_seconds() / 60
    stats = {
        "rows_loaded": rows_loaded,
        "duration_mean": float(df.duration.mean()),
        "duration_std": float(df.duration.std()),
    }

    df = df[(df.duration >= 1) & (df.duration <= 60)]
    df[CATEGORICAL] = df[CATEGORICAL].astype(str)
    stats["rows_prepared"] = len(df)
    stats["fraction_kept"] = len(df) / rows_loaded if rows_loaded else 0.0
    return df, stats


def to_dicts(df: pd.DataFrame) -> list[dict]:
    return df[["PULocationID", "DOLocationID"]].to_dict(orient="records")


def exact_min_norm_dense(X, y: np.ndarray) -> tuple[np.ndarray, float, int]:
    """Minimum-norm least squares of the explicitly centered dense problem."""
    dense = X.toarray()
    mu = dense.mean(axis=0)
    y_mean = y.mean()
    dense -= mu
    w, _, rank, _ = np.linalg.lstsq(dense, y - y_mean, rcond=None)
    return w, float(y_mean - mu @ w), int(rank)


def exact_min_norm_pairs(X, y: np.ndarray) -> tuple[np.ndarray, float, int]:
    """The same solution from one weighted row per distinct (PU, DO) pair.

    For the n_p rows of pair p, sum_i (yc_i - xc_p.w)^2 equals, up to a constant,
    (sqrt(n_p) xc_p.w - (S_p - n_p ybar)/sqrt(n_p))^2, so the solution sets (hence the
    minimum-norm member) are identical.
    """
    n = X.shape[0]
    csr = X.tocsr()
    csr.sort_indices()
    columns = csr.indices.reshape(n, 2)  # each row holds exactly two ones: DO column, then PU column
    pairs, inverse = np.unique(columns, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    counts = np.bincount(inverse, minlength=len(pairs)).astype(np.float64)
    sums = np.bincount(inverse, weights=y, minlength=len(pairs))

    mu = np.asarray(X.mean(axis=0)).reshape(-1)
    y_mean = y.mean()
    rows = np.zeros((len(pairs), X.shape[1]))
    rows[np.arange(len(pairs)), pairs[:, 0]] = 1.0
    rows[np.arange(len(pairs)), pairs[:, 1]] = 1.0
    rows -= mu
    root = np.sqrt(counts)
    w, _, rank, _ = np.linalg.lstsq(rows * root[:, None], (sums - counts * y_mean) / root, rcond=None)
    return w, float(y_mean - mu @ w), int(rank)


def rmse(y: np.ndarray, prediction: np.ndarray) -> float:
    return float(root_mean_squared_error(y, prediction))


def location_id(value: str):
    """Back from astype(str) to the integer id the TypeScript side reads."""
    try:
        return int(value)
    except ValueError:
        return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--validation")
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--exact-dense-limit", type=int, default=DEFAULT_EXACT_DENSE_LIMIT,
                        help="use dense lstsq when rows*features is below this (0 forces pair sums)")
    args = parser.parse_args()
    started = time.perf_counter()

    df, stats = read_dataframe(args.file)
    train_dicts = to_dicts(df)
    dv = DictVectorizer()
    X_train = dv.fit_transform(train_dicts)
    y_train = df["duration"].values

    lr = LinearRegression()
    lr.fit(X_train, y_train)
    sklearn_prediction = lr.predict(X_train)

    n_rows, n_features = X_train.shape
    if n_rows * n_features < args.exact_dense_limit:
        exact_method = "dense_lstsq"
        w, b, rank = exact_min_norm_dense(X_train, y_train)
    else:
        exact_method = "pair_aggregated_lstsq"
        w, b, rank = exact_min_norm_pairs(X_train, y_train)
    exact_prediction = X_train @ w + b

    result = {
        "file": args.file,
        **stats,
        "n_features": int(n_features),
        "feature_names": [str(name) for name in dv.get_feature_names_out()],
        "sklearn_intercept": float(lr.intercept_),
        "sklearn_rmse_train": rmse(y_train, sklearn_prediction),
        "exact_method": exact_method,
        "exact_rank": rank,
        "exact_intercept": b,
        "exact_rmse_train": rmse(y_train, exact_prediction),
        "exact_coefficients": [float(v) for v in w],
    }

    rng = np.random.default_rng(args.seed)
    picked = np.sort(rng.choice(n_rows, size=min(args.sample, n_rows), replace=False))
    result["sample"] = [
        {
            "PULocationID": location_id(train_dicts[i]["PULocationID"]),
            "DOLocationID": location_id(train_dicts[i]["DOLocationID"]),
            "y": float(y_train[i]),
            "sklearn": float(sklearn_prediction[i]),
            "exact": float(exact_prediction[i]),
        }
        for i in picked
    ]

    if args.validation:
        df_val, val_stats = read_dataframe(args.validation)
        X_val = dv.transform(to_dicts(df_val))  # ids unseen in training are dropped
        y_val = df_val["duration"].values
        result["validation"] = {
            "file": args.validation,
            "rows_loaded": val_stats["rows_loaded"],
            "rows_prepared": val_stats["rows_prepared"],
            "sklearn_rmse_val": rmse(y_val, lr.predict(X_val)),
            "exact_rmse_val": rmse(y_val, X_val @ w + b),
        }

    result["versions"] = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
    }
    result["seconds"] = time.perf_counter() - started
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

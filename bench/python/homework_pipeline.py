"""The homework's pipeline from a cached file to a saved model, as the Python original runs it.

read_dataframe + DictVectorizer + LinearRegression, then the model is pickled (what
mlflow.sklearn.log_model writes as model.pkl). Prints one JSON line for the benchmark.
"""
import json
import pickle
import sys
import time
from pathlib import Path

import pandas as pd
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LinearRegression


def read_dataframe(filename):
    df = pd.read_parquet(filename)
    rows_loaded = len(df)  # the homework prints this count (Q3)
    prefix = "tpep" if "tpep_pickup_datetime" in df.columns else "lpep"
    df["duration"] = df[f"{prefix}_dropoff_datetime"] - df[f"{prefix}_pickup_datetime"]
    df.duration = df.duration.dt.total_seconds() / 60
    df = df[(df.duration >= 1) & (df.duration <= 60)]
    categorical = ["PULocationID", "DOLocationID"]
    df[categorical] = df[categorical].astype(str)
    return df, rows_loaded


def main(filename, out_dir):
    start = time.perf_counter()
    df, rows_loaded = read_dataframe(filename)
    dicts = df[["PULocationID", "DOLocationID"]].to_dict(orient="records")
    dv = DictVectorizer()
    X = dv.fit_transform(dicts)
    y = df.duration.values
    lr = LinearRegression()
    lr.fit(X, y)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "model.pkl", "wb") as f:
        pickle.dump(lr, f)
    print(json.dumps({
        "rows_loaded": rows_loaded,
        "rows_prepared": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "intercept": float(lr.intercept_),
        "model_size_bytes": (out / "model.pkl").stat().st_size,
        "seconds": time.perf_counter() - start,
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

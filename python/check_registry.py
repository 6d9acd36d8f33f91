"""Loads a registered model the way a Python user would and prints its predictions as JSON.

Usage (in .venv-mlflow): check_registry.py TRACKING_URI MODEL_URI ROWS_JSON
MODEL_URI is e.g. models:/nyc-taxi-duration@champion; ROWS_JSON is a file holding
[{"PULocationID": int, "DOLocationID": int}, ...].
Output: {"predictions": [...], "model_uri", "mlflow_version", "flavors": [...], "model_size_bytes"}.
"""

from __future__ import annotations

import json
import sys

import mlflow
import numpy as np
import pandas as pd

COLUMNS = ["PULocationID", "DOLocationID"]


def main() -> None:
    if len(sys.argv) != 4:
        raise SystemExit("usage: check_registry.py TRACKING_URI MODEL_URI ROWS_JSON")
    tracking_uri, model_uri, rows_path = sys.argv[1:]
    mlflow.set_tracking_uri(tracking_uri)
    with open(rows_path, encoding="utf-8") as handle:
        rows = json.load(handle)
    frame = pd.DataFrame({name: [int(row[name]) for row in rows] for name in COLUMNS}).astype("int64")

    model = mlflow.pyfunc.load_model(model_uri)
    predicted = model.predict(frame)
    values = predicted.iloc[:, 0] if isinstance(predicted, pd.DataFrame) else predicted
    info = model.metadata
    json.dump(
        {
            "predictions": [float(v) for v in np.asarray(values).reshape(-1)],
            "model_uri": model_uri,
            "mlflow_version": mlflow.__version__,
            "flavors": sorted(info.flavors.keys()),
            "model_size_bytes": getattr(info, "model_size_bytes", None),
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

"""Loads a trainer model directory the ways a Python user would, and prints the predictions as JSON.

Usage (in .venv-mlflow): check_model.py MODEL_DIR ROWS_JSON
ROWS_JSON is a file holding [{"PULocationID": int, "DOLocationID": int}, ...].
Output: {"onnx_check": {"ok", "error"}, "inputs", "outputs", "onnxruntime": [...], "pyfunc": [...] | null,
"pyfunc_error": str | null, "versions": {...}}.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

import numpy as np
import onnx
import onnxruntime
import pandas as pd

COLUMNS = ["PULocationID", "DOLocationID"]


def feed_for(session: onnxruntime.InferenceSession, frame: pd.DataFrame) -> dict:
    """One int64 array per graph input, shaped as the graph declares ([N] or [N, 1])."""
    feed = {}
    for graph_input in session.get_inputs():
        values = frame[graph_input.name].to_numpy(dtype=np.int64)
        if len(graph_input.shape) == 2:
            values = values.reshape(-1, 1)
        feed[graph_input.name] = values
    return feed


def check_onnx(path: str) -> dict:
    try:
        onnx.checker.check_model(onnx.load(path), full_check=True)
        return {"ok": True, "error": None}
    except Exception as error:  # report, don't crash: the test asserts on it
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit("usage: check_model.py MODEL_DIR ROWS_JSON")
    model_dir, rows_path = sys.argv[1], sys.argv[2]
    with open(rows_path, encoding="utf-8") as handle:
        rows = json.load(handle)
    frame = pd.DataFrame({name: [int(row[name]) for row in rows] for name in COLUMNS}).astype("int64")

    onnx_path = os.path.join(model_dir, "model.onnx")
    session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    runtime_output = session.run(None, feed_for(session, frame))[0]
    result = {
        "onnx_check": check_onnx(onnx_path),
        "inputs": [{"name": i.name, "type": i.type, "shape": [str(d) for d in i.shape]} for i in session.get_inputs()],
        "outputs": [{"name": o.name, "type": o.type, "shape": [str(d) for d in o.shape]} for o in session.get_outputs()],
        "onnxruntime": [float(v) for v in np.asarray(runtime_output).reshape(-1)],
        "pyfunc": None,
        "pyfunc_error": None,
    }

    try:
        import mlflow

        model = mlflow.pyfunc.load_model(model_dir)
        predicted = model.predict(frame)
        values = predicted.iloc[:, 0] if isinstance(predicted, pd.DataFrame) else predicted
        result["pyfunc"] = [float(v) for v in np.asarray(values).reshape(-1)]
        result["versions"] = {"mlflow": mlflow.__version__}
    except Exception as error:
        result["pyfunc_error"] = f"{type(error).__name__}: {error}\n{traceback.format_exc()}"
        result["versions"] = {}

    result["versions"].update({"onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__})
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

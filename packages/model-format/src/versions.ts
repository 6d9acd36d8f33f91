/**
 * The Python stack the model directory declares, matching python/requirements-mlflow.txt
 * (the pinned MLflow environment that loads and serves it).
 */
export const PINNED = {
  mlflow: '3.17.2',
  onnx: '1.20.1',
  onnxruntime: '1.24.4',
  python: '3.11.7',
  pip: '26.3',
  setuptools: '65.5.0',
} as const;

export type PythonStack = { [K in keyof typeof PINNED]: string };

export const PRODUCER = { name: 'taxi-mlops', version: '0.1.0' } as const;

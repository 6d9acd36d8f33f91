import { Scalar, stringify } from 'yaml';
import { INPUT_DROPOFF, INPUT_PICKUP, OUTPUT } from './onnx-graph';
import type { PythonStack } from './versions';

export interface MlmodelFields {
  modelFile: string;
  modelSizeBytes: number;
  modelUuid: string;
  /** When the model was created, written as MLflow does: str(naive UTC datetime). */
  createdAt: Date;
  stack: PythonStack;
  /** Optional provenance shown in the MLflow UI under the model's metadata. */
  metadata?: Record<string, string | number>;
}

/** The MLmodel YAML of an ONNX-flavor model with a column signature, keys sorted like yaml.safe_dump. */
export function mlmodelYaml(fields: MlmodelFields): string {
  const environment = { conda: 'conda.yaml', virtualenv: 'python_env.yaml' };
  const signatureColumns = (columns: Array<[string, string]>) =>
    JSON.stringify(columns.map(([name, type]) => ({ type, name, required: true })))
      // Python's json.dumps separators, so the text equals what MLflow itself writes.
      .replaceAll('","', '", "')
      .replaceAll('":', '": ')
      .replaceAll('},{', '}, {');
  const document: Record<string, unknown> = {
    flavors: {
      onnx: {
        code: null,
        data: fields.modelFile,
        onnx_version: fields.stack.onnx,
        providers: ['CPUExecutionProvider'],
      },
      python_function: {
        data: fields.modelFile,
        env: environment,
        loader_module: 'mlflow.onnx',
        python_version: fields.stack.python,
      },
    },
    is_signature_from_type_hint: false,
    mlflow_version: fields.stack.mlflow,
    model_size_bytes: fields.modelSizeBytes,
    model_uuid: fields.modelUuid,
    signature: {
      inputs: signatureColumns([
        [INPUT_PICKUP, 'long'],
        [INPUT_DROPOFF, 'long'],
      ]),
      outputs: signatureColumns([[OUTPUT, 'double']]),
      params: null,
    },
    type_hint_from_example: false,
    // Quoted, as yaml.safe_dump writes it: unquoted, PyYAML would read it back as a datetime.
    utc_time_created: quoted(pythonUtcTime(fields.createdAt)),
  };
  if (fields.metadata) document.metadata = fields.metadata;
  return stringify(document, PYYAML_STYLE);
}

/** Close to PyYAML's safe_dump layout: sorted keys, unindented sequences, no line folding. */
const PYYAML_STYLE = { sortMapEntries: true, indentSeq: false, lineWidth: 0 } as const;

function quoted(text: string): Scalar<string> {
  const scalar = new Scalar(text);
  scalar.type = Scalar.QUOTE_SINGLE;
  return scalar;
}

/** '2024-05-01 12:34:56.789000' — Python's str() of a naive datetime (microsecond digits). */
export function pythonUtcTime(date: Date): string {
  return `${date.toISOString().replace('T', ' ').replace('Z', '')}000`;
}

export function condaYaml(stack: PythonStack): string {
  return stringify(
    {
      channels: ['conda-forge'],
      dependencies: [`python=${stack.python}`, `pip<=${stack.pip}`, { pip: requirements(stack) }],
      name: 'mlflow-env',
    },
    PYYAML_STYLE,
  );
}

export function pythonEnvYaml(stack: PythonStack): string {
  return stringify(
    {
      python: stack.python,
      build_dependencies: [`pip==${stack.pip}`, `setuptools==${stack.setuptools}`, 'wheel'],
      dependencies: ['-r requirements.txt'],
    },
    { ...PYYAML_STYLE, sortMapEntries: false }, // MLflow writes python_env.yaml unsorted
  );
}

export function requirementsTxt(stack: PythonStack): string {
  return `${requirements(stack).join('\n')}\n`;
}

function requirements(stack: PythonStack): string[] {
  return [`mlflow==${stack.mlflow}`, `onnx==${stack.onnx}`, `onnxruntime==${stack.onnxruntime}`];
}

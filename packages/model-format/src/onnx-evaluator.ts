import { PipelineError } from '@taxi-mlops/contracts';
import { DataType, type ModelMessage, type TensorMessage } from './onnx-proto';

/** A 1-D (or scalar, length 1 with rank 0) tensor; int64 values are held as numbers (ids ≪ 2^53). */
interface Tensor {
  kind: 'int64' | 'double';
  values: Float64Array;
  scalar: boolean;
}

export interface CompiledGraph {
  inputs: string[];
  output: string;
  run(feeds: Record<string, Float64Array>): Float64Array;
  initializer(name: string): Float64Array | undefined;
}

const SUPPORTED = new Set(['Clip', 'Gather', 'Add']);

/**
 * Evaluates the ONNX graph itself, with ONNX semantics, rather than assuming its layout: the
 * predictor therefore computes what onnxruntime (and so MLflow) computes, including the order
 * of the float additions. Only the ops this package writes are supported, 1-D with scalar broadcast.
 */
export function compileGraph(model: ModelMessage, source: string): CompiledGraph {
  const graph = model.graph;
  const unsupported = graph.node.find((node) => !SUPPORTED.has(node.op_type) || (node.domain ?? '') !== '');
  if (unsupported) throw new PipelineError('invalid_file', `${source}: unsupported ONNX op ${unsupported.op_type}`);
  if (graph.output.length !== 1) throw new PipelineError('invalid_file', `${source}: expected one graph output`);
  const constants = new Map(graph.initializer.map((t) => [t.name, tensorOf(t, source)]));
  const inputs = graph.input.map((i) => i.name).filter((name) => !constants.has(name));
  const output = graph.output[0]!.name;

  return {
    inputs,
    output,
    initializer: (name) => constants.get(name)?.values,
    run(feeds) {
      const values = new Map<string, Tensor>(constants);
      for (const name of inputs) {
        const feed = feeds[name];
        if (!feed) throw new PipelineError('invalid_request', `missing model input ${name}`);
        values.set(name, { kind: 'int64', values: feed, scalar: false });
      }
      for (const node of graph.node) {
        const args = node.input.map((name) => {
          const value = values.get(name);
          if (!value) throw new PipelineError('invalid_file', `${source}: node ${node.name ?? node.op_type} reads undefined ${name}`);
          return value;
        });
        values.set(node.output[0]!, evaluate(node.op_type, args));
      }
      const result = values.get(output);
      if (!result) throw new PipelineError('invalid_file', `${source}: graph output ${output} is never produced`);
      return result.values;
    },
  };
}

function evaluate(op: string, [a, b, c]: Tensor[]): Tensor {
  if (!a) throw new Error(`${op} without input`);
  switch (op) {
    case 'Clip': {
      const low = b?.values[0] ?? -Infinity;
      const high = c?.values[0] ?? Infinity;
      return { ...a, values: a.values.map((v) => Math.min(Math.max(v, low), high)) };
    }
    case 'Gather': {
      if (!b) throw new Error('Gather without indices');
      const size = a.values.length;
      const values = b.values.map((index) => {
        const position = index < 0 ? index + size : index;
        if (position < 0 || position >= size) throw new PipelineError('invalid_request', `Gather index ${index} out of range`);
        return a.values[position]!;
      });
      return { kind: a.kind, values, scalar: b.scalar };
    }
    case 'Add': {
      if (!b) throw new Error('Add with one input');
      const length = Math.max(a.values.length, b.values.length);
      const at = (t: Tensor, i: number) => (t.values.length === 1 ? t.values[0]! : t.values[i]!);
      return { kind: a.kind, values: Float64Array.from({ length }, (_, i) => at(a, i) + at(b, i)), scalar: a.scalar && b.scalar };
    }
    default:
      throw new Error(`unsupported op ${op}`);
  }
}

function tensorOf(tensor: TensorMessage, source: string): Tensor {
  const count = tensor.dims.reduce((product, d) => product * d, 1);
  const raw = tensor.raw_data && tensor.raw_data.length > 0 ? tensor.raw_data : undefined;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  let values: Float64Array;
  if (tensor.data_type === DataType.DOUBLE) {
    values = view ? Float64Array.from({ length: count }, (_, i) => view.getFloat64(i * 8, true)) : Float64Array.from(tensor.double_data ?? []);
  } else if (tensor.data_type === DataType.INT64) {
    values = view ? Float64Array.from({ length: count }, (_, i) => Number(view.getBigInt64(i * 8, true))) : Float64Array.from(tensor.int64_data ?? []);
  } else {
    throw new PipelineError('invalid_file', `${source}: initializer ${tensor.name} has unsupported data type ${tensor.data_type}`);
  }
  if (values.length !== count) throw new PipelineError('invalid_file', `${source}: initializer ${tensor.name} holds ${values.length} values, dims say ${count}`);
  return { kind: tensor.data_type === DataType.DOUBLE ? 'double' : 'int64', values, scalar: tensor.dims.length === 0 };
}

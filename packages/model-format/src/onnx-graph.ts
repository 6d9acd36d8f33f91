import { DataType, type ModelMessage, type TensorMessage, type ValueInfoMessage, encodeModel } from './onnx-proto';
import { PRODUCER } from './versions';
import type { ZoneTables } from './zone-tables';

/** Names shared by the writer and the predictor. */
export const INPUT_PICKUP = 'PULocationID';
export const INPUT_DROPOFF = 'DOLocationID';
export const OUTPUT = 'duration';

/**
 * IR 8 with opset 13: Clip-13 accepts int64 with min/max inputs, Gather-13 accepts negative indices.
 * Both are old enough for every onnxruntime MLflow 3 supports.
 */
export const IR_VERSION = 8;
export const OPSET = 13;

/**
 * duration = intercept + pickup_table[clip(PULocationID)] + dropoff_table[clip(DOLocationID)],
 * with inputs int64 [N] and output float64 [N]. Two separate 1-D inputs, because mlflow.pyfunc
 * feeds a DataFrame to a multi-input graph as `df[name].values` per input.
 */
export function buildOnnxModel(tables: ZoneTables, intercept: number): Uint8Array {
  const model: ModelMessage = {
    ir_version: IR_VERSION,
    producer_name: PRODUCER.name,
    producer_version: PRODUCER.version,
    opset_import: [{ domain: '', version: OPSET }],
    graph: {
      name: 'trip_duration',
      input: [vector(INPUT_PICKUP, DataType.INT64), vector(INPUT_DROPOFF, DataType.INT64)],
      output: [vector(OUTPUT, DataType.DOUBLE)],
      // Short value names: they are repeated in every node and count toward model_size_bytes.
      initializer: [
        doubles('pu_coef', tables.pickup, [tables.pickup.length]),
        doubles('do_coef', tables.dropoff, [tables.dropoff.length]),
        int64Scalar('id_min', -1),
        int64Scalar('pu_max', tables.pickup.length - 1),
        int64Scalar('do_max', tables.dropoff.length - 1),
        doubles('intercept', Float64Array.of(intercept), []),
      ],
      node: [
        { op_type: 'Clip', input: [INPUT_PICKUP, 'id_min', 'pu_max'], output: ['pu_idx'] },
        { op_type: 'Gather', input: ['pu_coef', 'pu_idx'], output: ['pu_w'] },
        { op_type: 'Clip', input: [INPUT_DROPOFF, 'id_min', 'do_max'], output: ['do_idx'] },
        { op_type: 'Gather', input: ['do_coef', 'do_idx'], output: ['do_w'] },
        { op_type: 'Add', input: ['pu_w', 'do_w'], output: ['zone_w'] },
        { op_type: 'Add', input: ['zone_w', 'intercept'], output: [OUTPUT] },
      ],
    },
  };
  return encodeModel(model);
}

function vector(name: string, elemType: number): ValueInfoMessage {
  return { name, type: { tensor_type: { elem_type: elemType, shape: { dim: [{ dim_param: 'N' }] } } } };
}

/** float64 little-endian in raw_data: 8 bytes per value, the compact form ONNX tools write. */
function doubles(name: string, values: Float64Array, dims: number[]): TensorMessage {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((value, i) => view.setFloat64(i * 8, value, true));
  return { name, dims, data_type: DataType.DOUBLE, raw_data: raw };
}

function int64Scalar(name: string, value: number): TensorMessage {
  const raw = new Uint8Array(8);
  new DataView(raw.buffer).setBigInt64(0, BigInt(value), true);
  return { name, dims: [], data_type: DataType.INT64, raw_data: raw };
}

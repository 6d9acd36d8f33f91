import protobuf from 'protobufjs';

/**
 * The subset of onnx/onnx.proto (field numbers unchanged) that this model needs: a graph of
 * Clip/Gather/Add nodes over tensor initializers. Unknown fields written by other tools are
 * skipped on decode, which is all the predictor needs.
 */
const ONNX_SUBSET = `
syntax = "proto3";
package onnx;

message ModelProto {
  int64 ir_version = 1;
  string producer_name = 2;
  string producer_version = 3;
  string domain = 4;
  int64 model_version = 5;
  string doc_string = 6;
  GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
}
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
message StringStringEntryProto { string key = 1; string value = 2; }
message GraphProto {
  repeated NodeProto node = 1;
  string name = 2;
  repeated TensorProto initializer = 5;
  string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  string name = 3;
  string op_type = 4;
  repeated AttributeProto attribute = 5;
  string domain = 7;
}
message AttributeProto { string name = 1; int64 i = 3; int32 type = 20; }
message TensorProto {
  repeated int64 dims = 1;
  int32 data_type = 2;
  repeated int64 int64_data = 7;
  string name = 8;
  bytes raw_data = 9;
  repeated double double_data = 10;
}
message ValueInfoProto { string name = 1; TypeProto type = 2; }
message TypeProto {
  message Tensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
  Tensor tensor_type = 1;
}
message TensorShapeProto {
  message Dimension { int64 dim_value = 1; string dim_param = 2; }
  repeated Dimension dim = 1;
}
`;

/** TensorProto.DataType values used here. */
export const DataType = { INT64: 7, DOUBLE: 11 } as const;

export const ModelProto = protobuf.parse(ONNX_SUBSET, { keepCase: true }).root.lookupType('onnx.ModelProto');

/** Plain-object shapes of the messages (keepCase: field names as in onnx.proto). */
export interface TensorMessage {
  name: string;
  dims: number[];
  data_type: number;
  raw_data?: Uint8Array;
  int64_data?: number[];
  double_data?: number[];
}
export interface NodeMessage {
  name?: string;
  op_type: string;
  input: string[];
  output: string[];
  domain?: string;
}
export interface ValueInfoMessage {
  name: string;
  type: { tensor_type: { elem_type: number; shape: { dim: Array<{ dim_value?: number; dim_param?: string }> } } };
}
export interface GraphMessage {
  name: string;
  node: NodeMessage[];
  initializer: TensorMessage[];
  input: ValueInfoMessage[];
  output: ValueInfoMessage[];
  doc_string?: string;
}
export interface ModelMessage {
  ir_version: number;
  producer_name: string;
  producer_version: string;
  model_version?: number;
  graph: GraphMessage;
  opset_import: Array<{ domain: string; version: number }>;
  metadata_props?: Array<{ key: string; value: string }>;
}

export function encodeModel(model: ModelMessage): Uint8Array {
  const problem = ModelProto.verify(model);
  if (problem) throw new Error(`invalid ONNX model message: ${problem}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

export function decodeModel(bytes: Uint8Array): ModelMessage {
  const message = ModelProto.decode(bytes);
  // longs: Number — every int64 here (ids, dims, versions) is far below 2^53.
  return ModelProto.toObject(message, { longs: Number, defaults: true, arrays: true }) as ModelMessage;
}

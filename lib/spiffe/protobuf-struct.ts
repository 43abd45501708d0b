/**
 * google.protobuf.Struct as @grpc/proto-loader objects carry it (`{ fields: { k: { stringValue } } }`),
 * to and from plain JSON: ValidateJWTSVID answers with the token's claims in one.
 */
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface ProtoValue {
  nullValue?: 'NULL_VALUE' | number;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: ProtoStruct;
  listValue?: { values: ProtoValue[] };
  kind?: string;
}

export interface ProtoStruct {
  fields: Record<string, ProtoValue>;
}

export function toStruct(object: Record<string, unknown>): ProtoStruct {
  return { fields: Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined).map(([key, value]) => [key, toValue(value as JsonValue)])) };
}

function toValue(value: JsonValue): ProtoValue {
  if (value === null) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toValue) } };
  return { structValue: toStruct(value) };
}

export function fromStruct(struct: ProtoStruct | null | undefined): Record<string, JsonValue> {
  return Object.fromEntries(Object.entries(struct?.fields ?? {}).map(([key, value]) => [key, fromValue(value)]));
}

function fromValue(value: ProtoValue): JsonValue {
  if (value.structValue) return fromStruct(value.structValue);
  if (value.listValue) return (value.listValue.values ?? []).map(fromValue);
  if (value.stringValue !== undefined && (value.kind === undefined || value.kind === 'stringValue')) return value.stringValue;
  if (value.numberValue !== undefined && (value.kind === undefined || value.kind === 'numberValue')) return value.numberValue;
  if (value.boolValue !== undefined && (value.kind === undefined || value.kind === 'boolValue')) return value.boolValue;
  return null;
}

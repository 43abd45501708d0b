/**
 * Host-side validation of the thread protocol and control results (compiled TypeBox checks),
 * and the check source code each worker receives (see worker/thread-protocol-checks.ts).
 */
import type { TSchema, Static } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { ProtocolCheckSources } from './worker/thread-protocol-checks.js';
import { hostToWorkerSchema, workerToHostSchema } from './thread-protocol.js';
import {
  controlReplySchema,
  controlRequestSchema,
  faultKindSchema,
  healthSchema,
  prepareSchema,
  startActorSchema,
  startResultSchema,
  stopResultSchema,
} from './worker/worker-control.js';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; detail: string };

export class CompiledSchema<T extends TSchema> {
  private readonly check: TypeCheck<T>;
  /** For a union discriminated by `kind`: each variant's check, so an error names the field, not just "union". */
  private readonly variants = new Map<string, TypeCheck<TSchema>>();

  constructor(schema: T) {
    this.check = TypeCompiler.Compile(schema);
    for (const variant of (schema as { anyOf?: TSchema[] }).anyOf ?? []) {
      const kind = (variant as { properties?: { kind?: { const?: unknown } } }).properties?.kind?.const;
      if (typeof kind === 'string') this.variants.set(kind, TypeCompiler.Compile(variant));
    }
  }

  parse(value: unknown): ParseResult<Static<T>> {
    if (this.check.Check(value)) return { ok: true, value };
    const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
    const variant = typeof kind === 'string' ? this.variants.get(kind) : undefined;
    const errors = variant ? [...variant.Errors(value)] : [...this.check.Errors(value)];
    const detail =
      errors
        .slice(0, 3)
        .map((error) => `${error.path || '(root)'}: ${error.message}`)
        .join('; ') || 'does not match';
    return { ok: false, detail: variant || kind === undefined ? detail : `unknown kind '${String(kind)}'` };
  }

  /** Parses or throws a TypeError with the detail (for results the host asked for). */
  expect(value: unknown, what: string): Static<T> {
    const result = this.parse(value);
    if (!result.ok) throw new TypeError(`${what} does not match its schema: ${result.detail}`);
    return result.value;
  }
}

export const workerToHost = new CompiledSchema(workerToHostSchema);
export const controlReply = new CompiledSchema(controlReplySchema);
export const startResult = new CompiledSchema(startResultSchema);
export const stopResult = new CompiledSchema(stopResultSchema);
export const health = new CompiledSchema(healthSchema);

let sources: ProtocolCheckSources | undefined;

/** The worker-side checks as JavaScript source (generated once per process). */
export function protocolCheckSources(): ProtocolCheckSources {
  sources ??= {
    hostToWorker: TypeCompiler.Code(hostToWorkerSchema, { language: 'javascript' }),
    controlRequest: TypeCompiler.Code(controlRequestSchema, { language: 'javascript' }),
    startActor: TypeCompiler.Code(startActorSchema, { language: 'javascript' }),
    prepare: TypeCompiler.Code(prepareSchema, { language: 'javascript' }),
    faultKind: TypeCompiler.Code(faultKindSchema, { language: 'javascript' }),
  };
  return sources;
}

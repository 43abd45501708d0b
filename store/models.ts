/**
 * The analyzer's published models: one row per (kind, version) artifact on disk, with its
 * checksum and evaluation metrics, and at most one active version per kind for the analyzer to
 * hot-swap to.
 */
import type { Database } from 'better-sqlite3';
import { checkEpochMs, toJsonColumn } from './column-values.js';
import { ModelVersionExistsError, UnknownModelError } from './knowledge-base-errors.js';

export interface RegisterModel {
  /** e.g. 'anomaly-detector', 'cause-classifier'. */
  kind: string;
  /** A positive integer, unique per kind. */
  version: number;
  createdAt: number;
  /** Where the artifact is on disk. */
  path: string;
  /** Of the artifact: 64 lowercase hex digits. */
  sha256: string;
  /** Evaluation metrics; must be JSON-serializable. Default {}. */
  metrics?: unknown;
}

export interface Model {
  id: number;
  kind: string;
  version: number;
  createdAt: number;
  path: string;
  sha256: string;
  metrics: unknown;
  active: boolean;
}

export interface ModelStore {
  /**
   * Registers a model version, inactive, and returns its id. Throws ModelVersionExistsError, or a
   * TypeError or RangeError naming a malformed field, writing nothing.
   */
  register(model: RegisterModel): number;
  /**
   * Makes this version the kind's one active model, deactivating the others of the kind, in one
   * transaction. Throws UnknownModelError, leaving the active model as it was.
   */
  activate(kind: string, version: number): void;
  /** The kind's active model, undefined when none is active. */
  active(kind: string): Model | undefined;
  /** Every version of the kind, oldest version first. */
  list(kind: string): Model[];
}

type ModelRow = Omit<Model, 'metrics' | 'active'> & { metrics: string; active: 0 | 1 };

const SELECT_MODEL = 'SELECT id, kind, version, created_at AS createdAt, path, sha256, metrics, active FROM models';

const SHA256 = /^[0-9a-f]{64}$/;

/** `db` must have been opened by openStore (its migrations create the table). */
export function createModelStore(db: Database): ModelStore {
  const insert = db.prepare<[string, number, number, string, string, string]>(
    'INSERT INTO models (kind, version, created_at, path, sha256, metrics) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const exists = db.prepare<[string, number], { id: number }>('SELECT id FROM models WHERE kind = ? AND version = ?');
  const deactivate = db.prepare<[string]>('UPDATE models SET active = 0 WHERE kind = ? AND active = 1');
  const activateOne = db.prepare<[string, number]>('UPDATE models SET active = 1 WHERE kind = ? AND version = ?');
  const selectActive = db.prepare<[string], ModelRow>(`${SELECT_MODEL} WHERE kind = ? AND active = 1`);
  const selectKind = db.prepare<[string], ModelRow>(`${SELECT_MODEL} WHERE kind = ? ORDER BY version`);

  const registerTx = db.transaction((model: RegisterModel, metrics: string): number => {
    if (exists.get(model.kind, model.version) !== undefined) {
      throw new ModelVersionExistsError(db.name, model.kind, model.version);
    }
    return Number(insert.run(model.kind, model.version, model.createdAt, model.path, model.sha256, metrics).lastInsertRowid);
  });
  const activateTx = db.transaction((kind: string, version: number) => {
    if (exists.get(kind, version) === undefined) throw new UnknownModelError(db.name, kind, version);
    // Deactivate first: the partial unique index allows one active row per kind at every statement.
    deactivate.run(kind);
    activateOne.run(kind, version);
  });

  return {
    register(model) {
      if (typeof model.kind !== 'string' || model.kind === '') throw new TypeError('kind must be a non-empty string');
      if (!Number.isSafeInteger(model.version) || model.version < 1) {
        throw new RangeError(`version must be a positive integer, got ${model.version}`);
      }
      checkEpochMs('createdAt', model.createdAt);
      if (typeof model.path !== 'string' || model.path === '') throw new TypeError('path must be a non-empty string');
      if (typeof model.sha256 !== 'string' || !SHA256.test(model.sha256)) {
        throw new TypeError(`sha256 must be 64 lowercase hex digits, got '${String(model.sha256)}'`);
      }
      const metrics = toJsonColumn(model.metrics ?? {}, `metrics of model '${model.kind}' version ${model.version}`);
      return registerTx.immediate(model, metrics);
    },
    activate(kind, version) {
      activateTx.immediate(kind, version);
    },
    active(kind) {
      const row = selectActive.get(kind);
      return row === undefined ? undefined : toModel(row);
    },
    list(kind) {
      return selectKind.all(kind).map(toModel);
    },
  };
}

function toModel(row: ModelRow): Model {
  // The column's CHECK (json_valid) guarantees it parses.
  return { ...row, metrics: JSON.parse(row.metrics) as unknown, active: row.active === 1 };
}

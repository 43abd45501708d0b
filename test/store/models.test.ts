import type { Database } from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ModelVersionExistsError, UnknownModelError } from '../../store/knowledge-base-errors.js';
import type { ModelStore, RegisterModel } from '../../store/models.js';
import { createModelStore } from '../../store/models.js';
import { useStoreFile } from './fixtures/store-file.js';
import { thrownBy } from './fixtures/thrown-by.js';

const storeFile = useStoreFile();

const SHA = 'ab'.repeat(32);

function model(kind: string, version: number): RegisterModel {
  return { kind, version, createdAt: 1000 + version, path: `/models/${kind}-${version}.onnx`, sha256: SHA };
}

describe('createModelStore', () => {
  let db: Database | undefined;

  function open(): ModelStore {
    db = storeFile.open();
    return createModelStore(db);
  }

  it('registers versions inactive and lists them by version', () => {
    const store = open();
    const v2 = store.register({ ...model('detector', 2), metrics: { f1: 0.9 } });
    const v1 = store.register(model('detector', 1));
    store.register(model('classifier', 1));
    expect(store.list('detector')).toEqual([
      { id: v1, kind: 'detector', version: 1, createdAt: 1001, path: '/models/detector-1.onnx', sha256: SHA, metrics: {}, active: false },
      { id: v2, kind: 'detector', version: 2, createdAt: 1002, path: '/models/detector-2.onnx', sha256: SHA, metrics: { f1: 0.9 }, active: false },
    ]);
    expect(store.active('detector')).toBeUndefined();
    expect(store.list('nothing')).toEqual([]);
  });

  it('activates one version per kind, deactivating the others of that kind only', () => {
    const store = open();
    store.register(model('detector', 1));
    store.register(model('detector', 2));
    store.register(model('classifier', 1));
    store.activate('detector', 1);
    store.activate('classifier', 1);
    expect(store.active('detector')).toMatchObject({ version: 1, active: true });
    store.activate('detector', 2);
    expect(store.active('detector')).toMatchObject({ version: 2, active: true });
    expect(store.list('detector').map((m) => m.active)).toEqual([false, true]);
    expect(store.active('classifier')).toMatchObject({ version: 1, active: true });
    // Activating the active one again keeps it active.
    store.activate('detector', 2);
    expect(store.active('detector')).toMatchObject({ version: 2 });
  });

  it('refuses to activate an unknown model, leaving the active one as it was', () => {
    const store = open();
    store.register(model('detector', 1));
    store.activate('detector', 1);
    const error = thrownBy(() => store.activate('detector', 9));
    expect(error).toBeInstanceOf(UnknownModelError);
    expect(error).toMatchObject({ name: 'UnknownModelError', kind: 'detector', version: 9 });
    expect(thrownBy(() => store.activate('classifier', 1))).toBeInstanceOf(UnknownModelError);
    expect(store.active('detector')).toMatchObject({ version: 1, active: true });
  });

  it('refuses a duplicate version and malformed fields, writing nothing', () => {
    const store = open();
    store.register(model('detector', 1));
    const error = thrownBy(() => store.register({ ...model('detector', 1), path: '/elsewhere' }));
    expect(error).toBeInstanceOf(ModelVersionExistsError);
    expect(error).toMatchObject({ name: 'ModelVersionExistsError', kind: 'detector', version: 1 });
    expect(() => store.register({ ...model('detector', 2), sha256: 'AB'.repeat(32) })).toThrow(TypeError);
    expect(() => store.register({ ...model('detector', 2), sha256: 'ab' })).toThrow(TypeError);
    expect(() => store.register(model('detector', 0))).toThrow(RangeError);
    expect(() => store.register(model('detector', 1.5))).toThrow(RangeError);
    expect(() => store.register({ ...model('detector', 2), createdAt: -5 })).toThrow(RangeError);
    expect(() => store.register({ ...model('detector', 2), kind: '' })).toThrow(TypeError);
    expect(store.list('detector')).toHaveLength(1);
    expect(store.list('detector')[0]).toMatchObject({ path: '/models/detector-1.onnx' });
  });
});

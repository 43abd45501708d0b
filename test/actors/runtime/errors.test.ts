/** serializeError carries any thrown value across a thread as text, whatever it is. */
import { describe, expect, it } from 'vitest';
import { serializeError } from '../../../actors/runtime/errors.js';

describe('serializeError', () => {
  it('keeps an Error with its name, message and plain fields', () => {
    const error = Object.assign(new RangeError('too far'), { code: 'E_FAR', nested: { no: 1 } });
    expect(serializeError(error)).toMatchObject({ name: 'RangeError', message: 'too far', fields: { code: 'E_FAR' } });
  });

  it('describes thrown values that are no Error, also those JSON cannot carry (a cycle, a BigInt)', () => {
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    expect(serializeError('plain text')).toEqual({ name: 'Error', message: 'plain text' });
    expect(serializeError({ a: 1 })).toEqual({ name: 'Error', message: '{"a":1}' });
    expect(serializeError(cycle)).toEqual({ name: 'Error', message: '[object Object]' });
    expect(serializeError(10n)).toEqual({ name: 'Error', message: '10' });
    expect(serializeError(undefined)).toEqual({ name: 'Error', message: 'undefined' });
  });
});

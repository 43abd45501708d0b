import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { actorOption, InvalidActorOptionError, parseActorOptions } from '../../../../actors/runtime/actor-kit/actor-options.js';

const schema = z.object({
  dataDir: actorOption.nonEmptyString(),
  everyMs: actorOption.positiveInt().default(1_000),
  threshold: actorOption.fraction().optional(),
  nested: z.object({ name: actorOption.nonEmptyString() }).optional(),
});

describe('parseActorOptions', () => {
  it('reads valid options, with the defaults the schema declares', () => {
    expect(parseActorOptions(schema, { dataDir: '/d', threshold: 0.5 })).toEqual({ dataDir: '/d', everyMs: 1_000, threshold: 0.5 });
  });

  it.each([
    [{}, 'dataDir', 'a non-empty string', undefined],
    [{ dataDir: '' }, 'dataDir', 'a non-empty string', ''],
    [{ dataDir: '/d', everyMs: 0 }, 'everyMs', 'a positive integer', 0],
    [{ dataDir: '/d', everyMs: 1.5 }, 'everyMs', 'a positive integer', 1.5],
    [{ dataDir: '/d', threshold: 2 }, 'threshold', 'a number in [0, 1]', 2],
    [{ dataDir: '/d', threshold: '0.5' }, 'threshold', 'a number in [0, 1]', '0.5'],
    [{ dataDir: '/d', nested: { name: 3 } }, 'nested.name', 'a non-empty string', 3],
  ])('refuses %j with a typed error naming the option, what it must be and what it got', (options, option, expected, got) => {
    let thrown: unknown;
    try {
      parseActorOptions(schema, options);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidActorOptionError);
    expect(thrown).toMatchObject({ option, expected, got });
    expect((thrown as Error).message).toBe(`actor option '${option}' must be ${expected}, got ${JSON.stringify(got)}`);
  });
});

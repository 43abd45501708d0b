/**
 * Text near recorded documents (config files, control requests): a recorded text with one to
 * three edits, each inserting or overwriting characters that mean something to YAML or JSON
 * (brackets, quotes, anchors, tags, indentation, escapes, numbers at the edges of their types),
 * cutting, deleting or repeating a range; and, less often, unrelated text.
 */
import fc from 'fast-check';

const EDITED_WEIGHT = 4;
const RANDOM_WEIGHT = 1;
const MAX_SPAN = 40;

/** Pieces that change how a YAML or JSON text parses. */
const SYNTAX = [
  '{', '}', '[', ']', ':', ': ', ',', '-', '- ', '#', '&a ', '*a', '!!str ', '!!binary ', '|', '>', '"', "'", '\\', '\\u0000', '\\ud800',
  '\n', '\n  ', '\t', ' ', '~', 'null', 'true', 'no', '0x1F', '1e309', '-0', '9007199254740993', '0.1', '.inf', '.nan', '<<: ', '? ', '%YAML 1.1\n', '---\n', '...\n',
  '__proto__', 'constructor', '\u2028', '\uffff', '\u{1F600}',
];

const piece = fc.oneof({ arbitrary: fc.constantFrom(...SYNTAX), weight: 3 }, { arbitrary: fc.string({ minLength: 1, maxLength: 8, unit: 'binary' }), weight: 1 });

type TextEdit =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'overwrite'; at: number; text: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'repeat'; at: number; length: number };

const edit: fc.Arbitrary<TextEdit> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: piece }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), text: piece }), weight: 3 },
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: MAX_SPAN }) }),
  fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: MAX_SPAN }) }),
);

function applyEdit(text: string, change: TextEdit): string {
  const at = change.at % (text.length + 1);
  switch (change.kind) {
    case 'insert':
      return text.slice(0, at) + change.text + text.slice(at);
    case 'overwrite':
      return text.slice(0, at) + change.text + text.slice(at + change.text.length);
    case 'truncate':
      return text.slice(0, at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + change.length);
    case 'repeat':
      return text.slice(0, at + change.length) + text.slice(at);
  }
}

export function textNear(recorded: readonly string[], randomMaxLength = 200): fc.Arbitrary<string> {
  const edited = fc
    .tuple(fc.nat({ max: recorded.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 3 }))
    .map(([which, edits]) => edits.reduce(applyEdit, recorded[which]!));
  return fc.oneof({ arbitrary: edited, weight: EDITED_WEIGHT }, { arbitrary: fc.string({ maxLength: randomMaxLength, unit: 'binary' }), weight: RANDOM_WEIGHT });
}

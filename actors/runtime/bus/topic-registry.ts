/**
 * Topics and their payload schemas, declared in one place. The node's own topics are in
 * node-topics.ts; each subsystem adds its topics there as it lands. Tests declare theirs
 * with `defineTopics` and hand them to `createNode`.
 */
import type { z } from 'zod';
import { InvalidPayloadError, UnknownTopicError } from '../errors.js';

/**
 * What happens when a receiving mailbox is full:
 * - `block`: the sender waits (an API publish's promise stays pending; a worker sender is paused);
 * - `drop-oldest`: the oldest undelivered message of that mailbox is dropped and counted;
 * - `reject`: the publish fails with MailboxFullError for that receiver, and is counted.
 */
export type OverflowPolicy = 'block' | 'drop-oldest' | 'reject';

export interface TopicSpec {
  schema: z.ZodType;
  overflow: OverflowPolicy;
  description: string;
  /**
   * The topic carries a subsystem's latest state (each message supersedes the one before): the
   * runtime keeps the latest payload (ops/latest-states.ts), which status, /ready, metrics and
   * the systemd watchdog read.
   */
  latestState?: boolean;
}

export type TopicDeclarations = Record<string, TopicSpec>;

export class TopicRegistry {
  private readonly topics: Map<string, TopicSpec>;

  constructor(declarations: TopicDeclarations) {
    this.topics = new Map(Object.entries(declarations));
  }

  has(topic: string): boolean {
    return this.topics.has(topic);
  }

  spec(topic: string): TopicSpec {
    const spec = this.topics.get(topic);
    if (!spec) throw new UnknownTopicError(topic);
    return spec;
  }

  /** Validates a payload against its topic's schema and returns the parsed value. */
  validate(topic: string, payload: unknown): unknown {
    const result = this.spec(topic).schema.safeParse(payload);
    if (!result.success) {
      const detail = result.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
      throw new InvalidPayloadError(topic, detail);
    }
    return result.data;
  }

  /** A registry with these topics and more (a later declaration of the same topic is an error). */
  extend(more: TopicDeclarations | TopicRegistry): TopicRegistry {
    const declarations = more instanceof TopicRegistry ? Object.fromEntries(more.topics) : more;
    for (const topic of Object.keys(declarations)) {
      if (this.topics.has(topic)) throw new TypeError(`topic '${topic}' is declared twice`);
    }
    return new TopicRegistry({ ...Object.fromEntries(this.topics), ...declarations });
  }

  names(): string[] {
    return [...this.topics.keys()];
  }

  /** The topics declared with `latestState: true`. */
  latestStateTopics(): string[] {
    return [...this.topics].filter(([, spec]) => spec.latestState === true).map(([topic]) => topic);
  }
}

export function defineTopics(declarations: TopicDeclarations): TopicRegistry {
  return new TopicRegistry(declarations);
}

/** Loading an actor's module, the same in a worker thread and in the inline host. */
import { isActorDefinition, type ActorDefinition } from '../contracts/actor.js';
import { ActorDefinitionError } from '../errors.js';

/** The module's default export, checked to be an actor definition (ActorDefinitionError when it is not). */
export async function loadActorDefinition(module: string): Promise<ActorDefinition> {
  const loaded = (await import(module)) as { default?: unknown };
  if (!isActorDefinition(loaded.default)) {
    throw new ActorDefinitionError(module, 'the default export has no createMachine function');
  }
  return loaded.default;
}

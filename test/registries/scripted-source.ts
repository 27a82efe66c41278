import { z } from 'zod';
import { defineSource, type SourceDefinition } from '../../src/registries/source-definition.ts';
import { RegistryError, type RegistryAnswer } from '../../src/registries/registry.ts';

export type Script = 'found' | 'not_found' | 'transient' | 'permanent';

/**
 * An in-memory source for the framework's own tests (routing, cache, breaker, deadline): what
 * it answers per code is set by the test, and it counts the calls. Registry clients are tested
 * against their stand-ins over HTTP, not with this.
 */
export interface ScriptedSource {
  definition: SourceDefinition;
  answers: Map<string, Script>;
  calls: string[];
  /** Answer for codes not in the map. */
  otherwise: Script;
}

export function scriptedSource(id: string, otherwise: Script = 'not_found'): ScriptedSource {
  const state: ScriptedSource = { answers: new Map(), calls: [], otherwise, definition: undefined as never };
  state.definition = defineSource({
    id,
    description: `scripted ${id}`,
    kinds: ['cf11', 'cf16'],
    options: z.object({}).strict(),
    create: () => ({
      id,
      kinds: ['cf11', 'cf16'],
      async lookup(query): Promise<RegistryAnswer> {
        state.calls.push(query.code);
        const script = state.answers.get(query.code) ?? state.otherwise;
        switch (script) {
          case 'found':
            return { outcome: 'found', addresses: [{ pec: `${id}.${query.code.toLowerCase()}@pec.example`, kind: 'impresa', source: id, profession: null }] };
          case 'not_found':
            return { outcome: 'not_found' };
          case 'transient':
            throw new RegistryError(id, true, 'HTTP 503', '503');
          case 'permanent':
            throw new RegistryError(id, false, 'HTTP 400', '400');
        }
      },
    }),
  });
  return state;
}

import type { SourceDefinition } from './source-definition.ts';

/**
 * Every source kind cercapec can use, by id. A source is used when the registries file has a
 * section for it (and it is not disabled), and routing names it.
 */
export const SOURCE_DEFINITIONS: readonly SourceDefinition[] = [
];

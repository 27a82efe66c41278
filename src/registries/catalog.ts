import type { SourceDefinition } from './source-definition.ts';
import { inadSource } from './inad/definition.ts';
import { inipecSource } from './inipec/definition.ts';
import { ipaMirrorSource } from './ipa-mirror/definition.ts';
import { ipaWs23Source } from './ipa-ws23/definition.ts';
import { openapiSource } from './openapi/definition.ts';

/**
 * Every source kind cercapec can use, by id. A source is used when the registries file has a
 * section for it (and it is not disabled), and routing names it.
 */
export const SOURCE_DEFINITIONS: readonly SourceDefinition[] = [inipecSource, ipaMirrorSource, ipaWs23Source, inadSource, openapiSource];

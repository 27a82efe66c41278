import type { StandinDataset } from './dataset.ts';
import type { StandinHandle } from './standin-server.ts';
import { inipecStandin } from './inipec/definition.ts';
import { ipaCkanStandin, ipaWs23Standin } from './ipa/definitions.ts';
import { inadStandin } from './inad/definition.ts';
import { openapiStandin } from './openapi/definition.ts';

/** A registry stand-in as `cercapec standins` and the demo know it. */
export interface StandinDefinition {
  /** The source id it stands in for (the registries file's section and routing). */
  source: string;
  description: string;
  start(o: { port?: number; dataset: StandinDataset; delayMs?: [number, number] }): Promise<StandinHandle>;
  /** The registries-file section that points cercapec's client at this running stand-in (demo). */
  sourceSection(handle: StandinHandle): Record<string, unknown>;
  /** A few codes this stand-in answers, for the demo's hints. */
  sampleCodes(dataset: StandinDataset): string[];
}

export const STANDIN_DEFINITIONS: readonly StandinDefinition[] = [inipecStandin, ipaCkanStandin, ipaWs23Standin, inadStandin, openapiStandin];

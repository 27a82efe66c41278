import { generateDataset, type StandinDataset } from './dataset.ts';
import { STANDIN_DEFINITIONS, type StandinDefinition } from './catalog.ts';
import type { StandinHandle } from './standin-server.ts';

export interface RunningStandins {
  dataset: StandinDataset;
  standins: Array<{ definition: StandinDefinition; handle: StandinHandle }>;
  /** A registries file wiring every source to its running stand-in (default routing). */
  registriesFile: { sources: Record<string, Record<string, unknown>> };
  /** A few codes each source answers, by source id. */
  samples: Record<string, string[]>;
  close(): Promise<void>;
}

export interface StartAllOptions {
  /** First port; each stand-in takes the next one. 0 (default) picks free ports. */
  basePort?: number;
  seed?: number;
  /** A realistic delay before each answer, ms. */
  delayMs?: [number, number];
  /** Only these sources (default all). */
  only?: readonly string[];
}

/** Starts every registry stand-in on loopback, for `cercapec standins` and the demo. */
export async function startAllStandins(o: StartAllOptions = {}): Promise<RunningStandins> {
  const dataset = generateDataset(o.seed);
  const standins: RunningStandins['standins'] = [];
  const definitions = STANDIN_DEFINITIONS.filter((d) => !o.only || o.only.includes(d.source));
  try {
    for (const [i, definition] of definitions.entries()) {
      const handle = await definition.start({ port: o.basePort ? o.basePort + i : 0, dataset, delayMs: o.delayMs });
      standins.push({ definition, handle });
    }
  } catch (error) {
    await Promise.allSettled(standins.map((s) => s.handle.close()));
    throw error;
  }
  return {
    dataset,
    standins,
    registriesFile: { sources: Object.fromEntries(standins.map(({ definition, handle }) => [definition.source, definition.sourceSection(handle)])) },
    samples: Object.fromEntries(standins.map(({ definition }) => [definition.source, definition.sampleCodes(dataset)])),
    async close() {
      await Promise.allSettled(standins.map((s) => s.handle.close()));
    },
  };
}

import { cf11CheckDigit, cf16CheckChar } from '../taxid/index.ts';
import { seededRandom } from '../seeded-random.ts';

/**
 * The seeded data every stand-in serves: the same seed gives the same codes and addresses, so
 * tests and the demo can name codes each registry knows. Codes are valid (check characters
 * computed); addresses use reserved example domains.
 */
export interface StandinDataset {
  /** Companies (11-digit P.IVA) in the Registro Imprese: INI-PEC's pecImpresa, the commercial API. */
  companies: Array<{ cf: string; name: string; pec: string }>;
  /** Professionals (16-char CF) in Ordini/Collegi: INI-PEC's pecProfessionista, INAD with practicedProfession. */
  professionals: Array<{ cf: string; profession: string; pecs: string[] }>;
  /** People (16-char CF) with a digital domicile in INAD; some ceased. */
  persons: Array<{ cf: string; pec: string; ceased: boolean }>;
  /** Public bodies (11-digit CF) in IPA, with their domicili digitali. */
  enti: Array<{ cf: string; codIpa: string; name: string; pecs: string[] }>;
  /** Valid codes no registry knows. */
  unknown: { cf11: string[]; cf16: string[] };
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const MONTHS = 'ABCDEHLMPRST';
const PLACES = ['H501', 'F205', 'L219', 'F839', 'G273', 'A944', 'D612', 'L736'];
const PROFESSIONS = ['Avvocato', 'Commercialista', 'Ingegnere', 'Architetto', 'Geometra', 'Notaio'];
const WORDS = ['Alfa', 'Borgo', 'Colle', 'Delta', 'Etna', 'Faro', 'Golfo', 'Isola', 'Lago', 'Monte', 'Nord', 'Olmo', 'Ponte', 'Riva', 'Sole', 'Torre'];

export function generateDataset(seed = 20261128, size = 200): StandinDataset {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const used = new Set<string>();
  const unique = (make: () => string) => {
    for (;;) {
      const code = make();
      if (!used.has(code)) {
        used.add(code);
        return code;
      }
    }
  };
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const cf11 = (first: string) =>
    unique(() => {
      const body = `${first}${digits(6 - first.length + 1)}`.slice(0, 7) + String(1 + Math.floor(random() * 100)).padStart(3, '0');
      return body + cf11CheckDigit(body);
    });
  const cf16 = () =>
    unique(() => {
      const letters = Array.from({ length: 6 }, () => pick([...LETTERS])).join('');
      const day = 1 + Math.floor(random() * 28) + (random() < 0.5 ? 40 : 0);
      const body = `${letters}${digits(2)}${pick([...MONTHS])}${String(day).padStart(2, '0')}${pick(PLACES)}`;
      return body + cf16CheckChar(body);
    });
  const name = () => `${pick(WORDS)} ${pick(WORDS)}`;
  const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '');

  const companies = Array.from({ length: size }, (_, i) => {
    const n = `${name()} S.r.l.`;
    return { cf: cf11(String(random() < 0.5 ? 0 : 1)), name: n, pec: `${slug(n)}${i}@pec.impresa.example` };
  });
  const professionals = Array.from({ length: size }, (_, i) => {
    const profession = pick(PROFESSIONS);
    const cf = cf16();
    const pecs = [`${slug(profession)}.${cf.slice(0, 6).toLowerCase()}${i}@pec.ordine.example`];
    if (i % 10 === 0) pecs.push(`studio.${cf.slice(0, 6).toLowerCase()}${i}@pec.studio.example`);
    return { cf, profession, pecs };
  });
  const persons = Array.from({ length: size }, (_, i) => {
    const cf = cf16();
    return { cf, pec: `${cf.slice(0, 6).toLowerCase()}.${i}@pec.persona.example`, ceased: i % 17 === 5 };
  });
  const enti = Array.from({ length: size }, (_, i) => {
    const n = `Comune di ${pick(WORDS)}${pick(WORDS).toLowerCase()}`;
    const codIpa = `c_${String.fromCharCode(97 + (i % 26))}${String(100 + i)}`;
    const pecs = [`protocollo.${slug(n)}${i}@pec.ente.example`];
    if (i % 4 === 0) pecs.push(`ufficio.tributi.${slug(n)}${i}@pec.ente.example`);
    return { cf: cf11(String(8 + (i % 2))), codIpa, name: n, pecs };
  });
  const unknown = { cf11: Array.from({ length: 20 }, () => cf11('0')), cf16: Array.from({ length: 20 }, cf16) };
  return { companies, professionals, persons, enti, unknown };
}

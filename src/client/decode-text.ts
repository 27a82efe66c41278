/**
 * Turning a CSV file's bytes into text. Italian spreadsheets arrive as UTF-8 (with or without
 * the BOM Excel writes), as UTF-16 from "Unicode text" exports, or as Windows-1252 from older
 * Excel and accounting software, which is never valid UTF-8 once it has an accented letter.
 */
export type TextEncoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'windows-1252';

export function decodeText(bytes: Uint8Array): { text: string; encoding: TextEncoding } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8-bom' };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    // Not UTF-8: Windows-1252 decodes any byte (a superset of latin1 for text people type).
    return { text: fixC1(new TextDecoder('windows-1252').decode(bytes)), encoding: 'windows-1252' };
  }
}

// Node 20.18.3+ decodes "windows-1252" as plain latin1 (nodejs/node#56542, #60888): 0x80-0x9F
// come out as C1 control characters, so "€" (0x80) and the curly quotes Word puts in (0x92) are
// lost. Map that range as the WHATWG table does; a correct decoder never yields these
// characters (the five undefined bytes map to themselves), so this is right on fixed versions too.
const C1_TO_CP1252 = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d,
  0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

function fixC1(text: string): string {
  return text.replace(/[\u0080-\u009f]/g, (char) => String.fromCharCode(C1_TO_CP1252[char.charCodeAt(0) - 0x80]));
}

/**
 * The separator of the header line: the most frequent of `;` (Italian Excel), `,` and tab,
 * counting only outside double quotes. A one-column file has none: `,`.
 */
export function detectDelimiter(text: string): string {
  const firstLine = text.split(/\r?\n/).find((line) => line.trim() !== '') ?? '';
  const counts = new Map<string, number>([
    [';', 0],
    [',', 0],
    ['\t', 0],
  ]);
  let quoted = false;
  for (const char of firstLine) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && counts.has(char)) counts.set(char, counts.get(char)! + 1);
  }
  let best = ',';
  let bestCount = 0;
  for (const [delimiter, count] of counts) {
    if (count > bestCount) [best, bestCount] = [delimiter, count];
  }
  return best;
}

import { TextDecoder } from 'node:util';
import { BatchError } from './batch-error.ts';

type ScanState = 'start' | 'between' | 'element' | 'end';

/** Longest element of the array: a row is small; more is a malformed or hostile upload. */
const MAX_ELEMENT_CHARS = 64 * 1024;
/** Deepest nesting inside an element: a row object holds flat values; 64 KiB of brackets overflowed the stack. */
export const MAX_ELEMENT_DEPTH = 32;

/**
 * The elements of a top-level JSON array, parsed one at a time as the bytes arrive: the array
 * itself is never held. The scanner only finds where each element ends (tracking strings,
 * escapes and nesting); JSON.parse does the rest, so an element is exactly as strict as JSON.
 */
export async function* jsonArrayElements(input: AsyncIterable<Buffer | string>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let state = 'start' as ScanState;
  let afterComma = false;
  let element = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let index = 0;
  for await (const chunk of input) {
    const text = typeof chunk === 'string' ? chunk : decode(decoder, chunk);
    let from = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (state === 'element') {
        if (inString) {
          if (escaped) escaped = false;
          else if (ch === '\\') escaped = true;
          else if (ch === '"') inString = false;
        } else if (ch === '"') inString = true;
        else if (ch === '{' || ch === '[') {
          if (++depth > MAX_ELEMENT_DEPTH)
            throw new BatchError('invalid', `array element ${index + 1} is nested more than ${MAX_ELEMENT_DEPTH} levels deep`, 'nested_too_deep');
        } else if ((ch === '}' || ch === ']') && depth > 0) depth--;
        else if (depth === 0 && (ch === ',' || ch === ']')) {
          yield parseElement(element + text.slice(from, i), index++);
          element = '';
          state = ch === ']' ? 'end' : 'between';
          afterComma = ch === ',';
        }
        continue;
      }
      if (ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t' || (ch === '\uFEFF' && state === 'start')) continue;
      if (state === 'start') {
        if (ch !== '[') throw new BatchError('invalid', 'a JSON upload must be an array of codes or of objects with a "code" field');
        state = 'between';
      } else if (state === 'between') {
        if (ch === ']' && !afterComma) state = 'end';
        else if (ch === ']' || ch === ',') throw new BatchError('invalid', `invalid JSON: unexpected "${ch}" in the array`);
        else {
          state = 'element';
          from = i;
          depth = 0;
          i--; // the first character is read again as part of the element
        }
      } else {
        throw new BatchError('invalid', 'invalid JSON: content after the end of the array');
      }
    }
    if (state === 'element') {
      element += text.slice(from);
      if (element.length > MAX_ELEMENT_CHARS) throw new BatchError('invalid', `an array element is over ${MAX_ELEMENT_CHARS} characters`);
    }
  }
  if ((state as ScanState) !== 'end') throw new BatchError('invalid', 'invalid JSON: the array is not closed');
}

function decode(decoder: TextDecoder, chunk: Buffer): string {
  try {
    return decoder.decode(chunk, { stream: true });
  } catch {
    throw new BatchError('invalid', 'the upload is not valid UTF-8');
  }
}

/** JSON.parse's own message names V8's view of the text, not the customer's: the element's number does. */
function parseElement(text: string, index: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BatchError('invalid', `invalid JSON in array element ${index + 1}`, 'unreadable_json');
  }
}

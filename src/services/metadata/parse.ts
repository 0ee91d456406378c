/**
 * Reading a metadata document (YAML or JSON: JSON is read as the YAML it is) within budgets, then
 * checking it (./validate.ts). Every failure is one InvalidArgumentError (exit 2) whose message
 * starts with `file:line:column` where the position is known; writing a document, too.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Document, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import { InvalidArgumentError } from '../../core/errors.js';
import type { MetadataDocument } from './document.js';
import { checkDocument, DocError, isPlainObject, type Path } from './validate.js';

/** Largest document read: a cluster of 20 000 topics and groups exports to about 4 MiB. */
export const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;
/** Aliases resolved in all: enough for shared defaults, far from a billion laughs. */
export const MAX_ALIAS_COUNT = 200;
/** Nesting allowed; the document's own is 5 deep. */
export const MAX_DEPTH = 16;

function depthOf(v: unknown, limit: number, depth = 0): number {
  if (depth > limit) return depth;
  if (Array.isArray(v)) return Math.max(depth, ...v.map((x) => depthOf(x, limit, depth + 1)));
  if (isPlainObject(v)) return Math.max(depth, ...Object.values(v).map((x) => depthOf(x, limit, depth + 1)));
  return depth;
}

/**
 * The offset where flow collections ([ and {) nest deeper than the limit, found before the
 * parser sees them: it recurses per level, and 100 000 brackets took it 6 s to a stack overflow.
 * Quotes and comments are skipped; block nesting needs indentation, so a 4 MiB file cannot nest
 * deep enough by it to matter.
 */
function tooDeepAt(text: string, limit: number): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#') {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl;
    } else if (ch === '[' || ch === '{') {
      if (++depth > limit) return i;
    } else if ((ch === ']' || ch === '}') && depth > 0) depth--;
  }
  return undefined;
}

/** Where a path points in the parsed document (its key when onKey), as an offset. */
function offsetOf(doc: Document, path: Path, onKey: boolean): number | undefined {
  const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
  if (!onKey && node?.range) return node.range[0];
  const parent = doc.getIn(path.slice(0, -1), true) as
    | {
        items?: { key?: { value?: unknown; range?: [number, number, number] } }[];
        range?: [number, number, number];
      }
    | undefined;
  const last = path.at(-1);
  const pair = parent?.items?.find((p) => p.key !== undefined && String(p.key.value) === String(last));
  return pair?.key?.range?.[0] ?? node?.range?.[0] ?? parent?.range?.[0];
}

/** Reads and checks a document; `file` names it in messages. */
export function parseMetadataDocument(text: string, file: string): MetadataDocument {
  const fail = (message: string, offset?: number, lc?: LineCounter): never => {
    const pos = offset !== undefined && lc ? lc.linePos(offset) : undefined;
    throw new InvalidArgumentError(`${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${message}`);
  };
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_DOCUMENT_BYTES)
    fail(`${bytes} bytes, over the ${MAX_DOCUMENT_BYTES / 1048576} MiB a document may have`);
  const lc = new LineCounter();
  const deepAt = tooDeepAt(text, MAX_DEPTH);
  if (deepAt !== undefined) {
    lc.addNewLine(0);
    for (let i = text.indexOf('\n'); i !== -1 && i < deepAt; i = text.indexOf('\n', i + 1))
      lc.addNewLine(i + 1);
    fail(`nested too deeply (more than ${MAX_DEPTH} levels)`, deepAt, lc);
  }
  let doc: Document;
  let value: unknown;
  try {
    doc = parseDocument(text, {
      lineCounter: lc,
      prettyErrors: false,
      uniqueKeys: true,
      merge: true,
      strict: true,
    });
    const err = doc.errors[0];
    if (err) fail(err.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, ''), err.pos[0], lc);
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    if (err instanceof RangeError) fail(`nested too deeply (more than ${MAX_DEPTH} levels)`);
    if (err instanceof ReferenceError && /alias/i.test(err.message))
      fail(`aliases expand more than ${MAX_ALIAS_COUNT} times (a "billion laughs" document?)`);
    fail(`cannot be read: ${(err as Error).message.split('\n')[0]}`);
  }
  if (value === undefined || value === null) fail('is empty: expected a document with apiVersion and kind');
  if (depthOf(value, MAX_DEPTH) > MAX_DEPTH) fail(`nested too deeply (more than ${MAX_DEPTH} levels)`);
  try {
    return checkDocument(value);
  } catch (err) {
    if (!(err instanceof DocError)) throw err;
    const where = err.path.length > 0 ? `${err.path.join('.')}: ` : '';
    return fail(`${where}${err.message}`, offsetOf(doc!, err.path, err.onKey), lc);
  }
}

/**
 * Reads a document file: its size is checked before it is read (an oversize file is refused
 * unread), then parsed as parseMetadataDocument does.
 */
export function readMetadataFile(path: string): MetadataDocument {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new InvalidArgumentError(
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InvalidArgumentError(`${path}: not a regular file`);
    if (st.size > MAX_DOCUMENT_BYTES) {
      throw new InvalidArgumentError(
        `${path}: ${st.size} bytes, over the ${MAX_DOCUMENT_BYTES / 1048576} MiB a document may have`,
      );
    }
    // One byte more than the budget: a file that grew since fstat is caught too.
    const buf = Buffer.alloc(MAX_DOCUMENT_BYTES + 1);
    let n = 0;
    for (let r; (r = readSync(fd, buf, n, buf.length - n, null)) > 0;) n += r;
    const bytes = buf.subarray(0, n);
    const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    return parseMetadataDocument(text, path);
  } finally {
    closeSync(fd);
  }
}

export type DocumentFormat = 'yaml' | 'json';

/** The document as text: YAML with a note of what it is, or JSON. */
export function formatMetadataDocument(doc: MetadataDocument, format: DocumentFormat): string {
  if (format === 'json') return `${JSON.stringify(doc, null, 2)}\n`;
  const yaml = new Document(doc, { aliasDuplicateObjects: false });
  // Lists (a group's brokers, a retry policy's delays) on one line each.
  visit(yaml, {
    Seq(_, node) {
      if (isSeq(node)) node.flow = true;
    },
  });
  return (
    '# Cluster metadata written by `rmq export`; check with `rmq diff -f FILE`, apply with `rmq apply -f FILE`.\n' +
    yaml.toString({ lineWidth: 0, flowCollectionPadding: false })
  );
}

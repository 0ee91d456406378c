/**
 * Text from the wire (bodies, keys, tags, topic and group names, broker remarks, error messages)
 * on a terminal. A terminal acts on control characters: ESC starts sequences that can move the
 * cursor, retitle the window, rewrite what was printed or, on some terminals, answer back into
 * the shell's input. So every human renderer passes such text through escapeControls when its
 * stream is a TTY: C0 controls, DEL and C1 controls become visible escapes (\x1b, \r, \x9b),
 * except tab, and newline where the renderer says a newline is content rather than the end of
 * one of its records. Pipes and files get the bytes unchanged; JSON output is escaped already.
 */
import { asIs, type TextEscape } from '../services/message-record.js';

/** C0 but tab and newline, DEL, C1. */
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/** The same and newline. */
const CONTROLS_AND_NEWLINE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

const visible = (c: string): string =>
  c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/**
 * `text` with its control characters escaped (tab kept; newline kept with keepNewlines).
 * @example escapeControls('a\x1b[2Jb\nc') === 'a\\x1b[2Jb\\nc'
 */
export const escapeControls: TextEscape = (text, keepNewlines = false) =>
  text.replace(keepNewlines ? CONTROLS : CONTROLS_AND_NEWLINE, visible);

/** The escape for text written to `stream`: escapeControls on a TTY, else the text as it is. */
export function escapeFor(stream: { isTTY?: boolean | undefined }): TextEscape {
  return stream.isTTY ? escapeControls : asIs;
}

/**
 * A copy of a result with every string escaped (newlines too), for renderers that print many
 * fields of a result at once (trace, smoke, bench reports) and add colour codes of their own.
 */
export function escapeStrings<T>(value: T): T {
  if (typeof value === 'string') return escapeControls(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => escapeStrings(v)) as T;
  const proto = value !== null && typeof value === 'object' ? Object.getPrototypeOf(value) : undefined;
  if (proto === Object.prototype || proto === null) {
    return Object.fromEntries(
      Object.entries(value as object).map(([k, v]) => [escapeControls(k), escapeStrings(v)]),
    ) as T;
  }
  return value;
}

/** `value` for a renderer writing to `stream` (stdout): escapeStrings on a TTY, else as it is. */
export function forTerminal<T>(value: T, stream: { isTTY?: boolean | undefined } = process.stdout): T {
  return stream.isTTY ? escapeStrings(value) : value;
}

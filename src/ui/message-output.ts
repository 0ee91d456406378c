/** The output flags and stdout writer shared by `message get | query | print` (formats as `consume`). */
import { Flags } from '@oclif/core';
import type { MessageExt } from '../core/protocol/message.js';
import { maxBodyFlag } from '../flags.js';
import { bodyErrorNote } from '../services/message-record.js';
import { parseDelimiter } from '../services/escapes.js';
import { MESSAGE_OUTPUT_FORMATS, type MessageOutputFormat } from '../services/message.js';
import { storedMessageRenderer } from './message-render.js';
import { escapeControls } from './terminal-text.js';

export function outputFlags(defaultFormat: MessageOutputFormat) {
  return {
    output: Flags.option({
      char: 'o',
      options: MESSAGE_OUTPUT_FORMATS,
      default: defaultFormat,
      summary: 'detail (labelled lines), text (one line), ndjson, body (raw), template.',
    })(),
    template: Flags.string({
      summary: 'For --output template: tokens as in `consume` ({msgId} {body} {prop.NAME} …).',
    }),
    delimiter: Flags.string({
      summary: 'Written after each body with --output body (escapes \\n \\t \\r \\0 \\xHH \\uHHHH \\\\).',
      default: '\\n',
    }),
    'max-body': maxBodyFlag(),
  };
}

/** One warning per message whose body was not inflated (naming it, where it is, and why). */
export function bodyErrorNotes(found: { message: MessageExt; brokerName: string }[]): string[] {
  return found.flatMap(({ message, brokerName }) => bodyErrorNote(message, brokerName) ?? []);
}

/**
 * Writes the messages to `out` (stdout) in the chosen format, waiting for it to drain. On a
 * terminal the human formats escape control characters; a pipe or file gets the bytes as stored.
 */
export async function writeMessages(
  found: { message: MessageExt; brokerName: string }[],
  f: { output: MessageOutputFormat; template?: string | undefined; delimiter: string },
  out: Pick<NodeJS.WriteStream, 'isTTY' | 'write' | 'once'> = process.stdout,
): Promise<void> {
  const format = storedMessageRenderer(f.output, {
    template: f.template,
    delimiter: parseDelimiter(f.delimiter, { allowEmpty: true }),
    escape: out.isTTY ? escapeControls : undefined,
  });
  for (const [i, { message, brokerName }] of found.entries()) {
    if (f.output === 'detail' && i > 0) out.write('\n');
    const text = format(message, brokerName);
    if (text !== undefined && !out.write(text)) {
      await new Promise<void>((r) => out.once('drain', () => r()));
    }
  }
}

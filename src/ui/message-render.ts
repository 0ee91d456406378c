/**
 * Messages as text for people and pipes: the output formats of `consume` (text, ndjson, body,
 * template) and of `message get | query | print` (those and detail). Human formats take a
 * TextEscape, which a terminal makes escapeControls (terminal-text.ts); pipes get bytes as stored.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { describeBodyError, type MessageExt } from '../core/protocol/message.js';
import type { OutputFormat } from '../services/consume.js';
import { unescapeBytes } from '../services/escapes.js';
import { asIs, bodyText, originalTopic, type TextEscape, toRecord } from '../services/message-record.js';

const TOKEN =
  /\{(topic|msgId|offsetMsgId|keys|tags|queue|offset|broker|bornTime|storeTime|bornTimestamp|storeTimestamp|reconsumeTimes|body|bodyBase64|bornHost|storeHost|prop\.[^}]+)\}/g;

/**
 * Checks a --template and returns its renderer. Its escapes are decoded (unescapeBytes). Each value put
 * in passes through `escape` (newlines too: the template's own newlines are the record's).
 */
export function compileTemplate(
  template: string,
  escape: TextEscape = asIs,
): (m: MessageExt, topic: string, broker: string) => string {
  const t = unescapeBytes(template).toString('utf8');
  const unknown = [...t.matchAll(/\{([^}]*)\}/g)].map((x) => x[0]).filter((x) => !x.match(TOKEN));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(`unknown template token ${unknown[0]}`, {
      hint: 'tokens: {topic} {msgId} {offsetMsgId} {keys} {tags} {queue} {offset} {broker} {bornTime} {storeTime} {reconsumeTimes} {body} {bodyBase64} {prop.NAME}',
    });
  }
  return (m, topic, broker) =>
    t.replace(TOKEN, (_, name: string) => escape(tokenValue(m, topic, broker, name)));
}

/** The text of one template token (without the braces) for message `m`. */
function tokenValue(m: MessageExt, topic: string, broker: string, name: string): string {
  switch (name) {
    case 'topic':
      return topic;
    case 'msgId':
      return m.msgId;
    case 'offsetMsgId':
      return m.offsetMsgId;
    case 'keys':
      return m.properties.KEYS ?? '';
    case 'tags':
      return m.properties.TAGS ?? '';
    case 'queue':
      return String(m.queueId);
    case 'offset':
      return String(m.queueOffset);
    case 'broker':
      return broker;
    case 'bornTime':
      return new Date(m.bornTimestamp).toISOString();
    case 'storeTime':
      return new Date(m.storeTimestamp).toISOString();
    case 'bornTimestamp':
      return String(m.bornTimestamp);
    case 'storeTimestamp':
      return String(m.storeTimestamp);
    case 'reconsumeTimes':
      return String(m.reconsumeTimes);
    case 'bornHost':
      return m.bornHost;
    case 'storeHost':
      return m.storeHost;
    // A body that was not inflated is compressed bytes: render nothing rather than those.
    case 'body':
      return m.bodyError ? '' : m.body.toString('utf8');
    case 'bodyBase64':
      return m.bodyError ? '' : m.body.toString('base64');
    default: {
      // Own properties only: {prop.constructor} must not print Object's constructor.
      const prop = name.slice(5);
      return Object.hasOwn(m.properties, prop) ? (m.properties[prop] ?? '') : '';
    }
  }
}

/** The `--output text` line of a message; `escape` gets the line without its newline. */
export function renderText(m: MessageExt, topic: string, escape: TextEscape = asIs): string {
  const text = m.bodyError ? undefined : bodyText(m.body);
  const body = m.bodyError
    ? `<body not inflated: ${describeBodyError(m.bodyError)}>`
    : text === undefined
      ? `<${m.body.length} bytes, binary>`
      : text.replace(/\n/g, '\\n');
  const parts = [new Date(m.storeTimestamp).toISOString(), topic, `q${m.queueId}@${m.queueOffset}`, m.msgId];
  if (m.properties.TAGS) parts.push(`tags=${m.properties.TAGS}`);
  if (m.properties.KEYS) parts.push(`keys=${m.properties.KEYS}`);
  if (m.reconsumeTimes > 0) parts.push(`retry=${m.reconsumeTimes}`);
  return `${escape(`${parts.join(' ')}  ${body}`)}\n`;
}

/**
 * `--output body`: the body and the delimiter, as bytes. With an escape (a terminal) the body is
 * decoded as UTF-8 and escaped; its newlines stay unless the delimiter holds one, which makes a
 * newline the end of a record.
 */
export function renderBody(body: Buffer, delimiter: Buffer, escape?: TextEscape): Buffer {
  if (!escape) return Buffer.concat([body, delimiter]);
  const text = escape(body.toString('utf8'), !delimiter.includes(0x0a));
  return Buffer.concat([Buffer.from(text, 'utf8'), delimiter]);
}

/**
 * One message as labelled lines (what `message get` prints by default). Each value is one line
 * (`escape` escapes its newlines); the body, last, keeps its own lines.
 */
export function renderDetail(m: MessageExt, brokerName: string, escape: TextEscape = asIs): string {
  const rec = toRecord(m, brokerName || null);
  const lines: [string, string][] = [
    ['Message ID', m.msgId],
    ['Offset ID', m.offsetMsgId],
    ['Topic', originalTopic(m) === m.topic ? m.topic : `${m.topic} (sent to ${originalTopic(m)})`],
    ['Tags', rec.tags ?? '-'],
    ['Keys', rec.keys.join(' ') || '-'],
    ['Queue', `${brokerName || m.storeHost} queue ${m.queueId} offset ${m.queueOffset}`],
    ['Commit-log offset', String(m.commitLogOffset)],
    ['Born', `${rec.bornTimestamp} from ${m.bornHost}`],
    ['Stored', `${rec.storeTimestamp} at ${m.storeHost}`],
    ['Reconsume times', String(m.reconsumeTimes)],
  ];
  if (rec.messageGroup) lines.push(['Message group', rec.messageGroup]);
  const props = Object.entries(rec.properties);
  lines.push(['Properties', props.length ? props.map(([k, v]) => `${k}=${v}`).join('  ') : '-']);
  lines.push([
    'System properties',
    Object.entries(rec.systemProperties)
      .map(([k, v]) => `${k}=${v}`)
      .join('  '),
  ]);
  const width = Math.max(...lines.map(([k]) => k.length)) + 1;
  const text = m.bodyError ? undefined : bodyText(m.body);
  const body = m.bodyError
    ? `Body: not inflated: ${describeBodyError(m.bodyError)}`
    : text === undefined
      ? `Body (${m.body.length} bytes, binary, base64):\n${m.body.toString('base64')}`
      : `Body (${m.body.length} bytes):\n${escape(text, true)}`;
  return `${lines.map(([k, v]) => `${`${k}:`.padEnd(width)} ${escape(v)}`).join('\n')}\n${body}\n`;
}

/**
 * What to write for message `m`, delivered from `topic` (the topic it was sent to) by broker
 * `brokerName`; undefined when nothing is (a body that was not inflated, in --output body).
 */
const NEWLINE = Buffer.from('\n');

export type MessageRender = (m: MessageExt, topic: string, brokerName: string) => string | Buffer | undefined;

/**
 * The renderer of an output format; throws for a template with an unknown token (or none) before
 * anything is read.
 */
export function messageRenderer(
  format: OutputFormat | 'detail',
  options: {
    template?: string | undefined;
    /** --output body: written after each body (parseDelimiter). */
    delimiter?: Buffer | undefined;
    /** For a terminal: escapes control characters of the human formats (not ndjson's JSON). */
    escape?: TextEscape | undefined;
  } = {},
): MessageRender {
  const escape = options.escape;
  switch (format) {
    case 'detail':
      return (m, _topic, b) => renderDetail(m, b, escape);
    case 'ndjson':
      return (m, _topic, b) => `${JSON.stringify(toRecord(m, b || null))}\n`;
    case 'body': {
      const d = options.delimiter ?? NEWLINE;
      // Compressed bytes would corrupt a stream of bodies: the body-error warning stands in for it.
      return (m) => (m.bodyError ? undefined : renderBody(m.body, d, escape));
    }
    case 'template': {
      if (!options.template) {
        throw new InvalidArgumentError('--output template needs --template', {
          hint: "e.g. --template '{msgId} {body}'",
        });
      }
      const render = compileTemplate(options.template, escape);
      return (m, topic, b) => `${render(m, topic, b)}\n`;
    }
    default:
      return (m, topic) => renderText(m, topic, escape);
  }
}

/** The renderer for stored messages read by id, key or offset: each shown under its original topic. */
export function storedMessageRenderer(
  ...args: Parameters<typeof messageRenderer>
): (m: MessageExt, brokerName: string) => string | Buffer | undefined {
  const render = messageRenderer(...args);
  return (m, b) => render(m, originalTopic(m), b);
}

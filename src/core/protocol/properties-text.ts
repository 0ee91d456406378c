/**
 * The `key=value\n` text RocketMQ's Configuration class exchanges (MixAll.properties2String
 * writes it raw: no escaping; the server reads what it is sent with java.util.Properties.load).
 */
import { InvalidArgumentError, ProtocolError } from '../errors.js';

/** A broker lists about 450 keys in ~20 KiB; these bound what a hostile server can make us hold. */
export const MAX_CONFIG_BODY = 1024 * 1024;
export const MAX_CONFIG_KEYS = 10_000;

/** Parses the server's text; a line without "=" is not configuration and fails the decode. */
export function decodePropertiesText(body: Buffer | undefined, what: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!body || body.length === 0) return out;
  if (body.length > MAX_CONFIG_BODY) {
    throw new ProtocolError(`${what} of ${body.length} bytes exceeds the limit of ${MAX_CONFIG_BODY}`, {
      reason: 'json-too-large',
      limit: MAX_CONFIG_BODY,
    });
  }
  for (const raw of body.toString('utf8').split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ProtocolError(`${what}: a line is not key=value`);
    if (out.size >= MAX_CONFIG_KEYS) throw new ProtocolError(`${what} has more than ${MAX_CONFIG_KEYS} keys`);
    out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}

const KEY_RE = /^[A-Za-z][A-Za-z0-9_.]*$/;

/**
 * Encodes changes for Properties.load: keys are Java field names; a value is one line, with
 * backslashes doubled (load reads `\` as an escape) and a leading space kept by escaping it.
 */
export function encodePropertiesText(changes: ReadonlyMap<string, string>): Buffer {
  const lines: string[] = [];
  for (const [k, v] of changes) {
    if (!KEY_RE.test(k)) throw new InvalidArgumentError(`invalid config key "${k}"`);
    if (/[\r\n]/.test(v)) throw new InvalidArgumentError(`the value of ${k} has a line break`);
    lines.push(`${k}=${v.replace(/\\/g, '\\\\').replace(/^\s/, (s) => `\\${s}`)}`);
  }
  return Buffer.from(lines.join('\n') + '\n', 'utf8');
}

export function isValidConfigKey(k: string): boolean {
  return KEY_RE.test(k);
}

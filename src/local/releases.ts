/**
 * Which releases a line ("5.5") has, read from the Maven repository's own list
 * (`org/apache/rocketmq/rocketmq-broker/maven-metadata.xml`), so that a new patch release is
 * found the day it is published rather than when rmq's hand-kept table learns of it.
 *
 * The file comes from the network: it is read with a byte budget, a time budget and a cap on the
 * number of versions, and anything that does not look like a release number is ignored.
 */
import { EnvironmentError, ProtocolError, TimeoutError } from '../core/errors.js';

/** Maven Central; RMQ_MAVEN_REPO points elsewhere (a mirror), as mvn's settings would. */
export const DEFAULT_MAVEN_REPO = 'https://repo.maven.apache.org/maven2';
/** The real file is ~2 KiB; 256 KiB leaves room for decades of releases and no room for abuse. */
export const METADATA_MAX_BYTES = 256 * 1024;
export const METADATA_MAX_VERSIONS = 2000;
export const METADATA_TIMEOUT_MS = 10_000;

const METADATA_PATH = 'org/apache/rocketmq/rocketmq-broker/maven-metadata.xml';

/** Release numbers ("5.5.1") listed in a maven-metadata.xml; pre-releases and junk are skipped. */
export function parseMetadataVersions(xml: string): string[] {
  if (!xml.includes('<metadata')) {
    throw new ProtocolError('the Maven repository answered with something that is not maven-metadata.xml');
  }
  const out: string[] = [];
  const re = /<version>\s*([^<]{1,64}?)\s*<\/version>/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    if (out.length >= METADATA_MAX_VERSIONS) {
      throw new ProtocolError(`maven-metadata.xml lists more than ${METADATA_MAX_VERSIONS} versions`);
    }
    if (/^\d{1,4}\.\d{1,4}\.\d{1,4}$/.test(m[1]!)) out.push(m[1]!);
  }
  return out;
}

function compareReleases(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

/** The releases of `line` ("5.5") among `versions`, newest first. */
export function lineReleases(versions: readonly string[], line: string): string[] {
  const prefix = `${line}.`;
  return [
    ...new Set(versions.filter((v) => v.startsWith(prefix) && /^\d+$/.test(v.slice(prefix.length)))),
  ].sort((a, b) => compareReleases(b, a));
}

export interface FetchReleasesOptions {
  repo?: string;
  timeoutMs?: number;
  maxBytes?: number;
  signal?: AbortSignal | undefined;
}

/** Every release number the repository lists for RocketMQ's broker. */
export async function fetchReleases(opts: FetchReleasesOptions = {}): Promise<string[]> {
  const repo = (opts.repo ?? DEFAULT_MAVEN_REPO).replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? METADATA_TIMEOUT_MS;
  const maxBytes = opts.maxBytes ?? METADATA_MAX_BYTES;
  const url = `${repo}/${METADATA_PATH}`;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  try {
    const res = await fetch(url, { signal, redirect: 'follow' });
    if (!res.ok) throw new EnvironmentError(`${url} answered HTTP ${res.status}`);
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > maxBytes) {
      throw new ProtocolError(`maven-metadata.xml is ${declared} bytes, over the ${maxBytes}-byte budget`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body ?? []) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new ProtocolError(`maven-metadata.xml exceeds the ${maxBytes}-byte budget`);
      chunks.push(chunk);
    }
    return parseMetadataVersions(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    if (timeout.aborted && !opts.signal?.aborted) {
      throw new TimeoutError(`${url} did not answer within ${timeoutMs} ms`, timeoutMs);
    }
    if (err instanceof ProtocolError || err instanceof EnvironmentError) throw err;
    if (opts.signal?.aborted) throw err;
    throw new EnvironmentError(`could not read ${url}: ${(err as Error).message}`);
  }
}

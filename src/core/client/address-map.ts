/**
 * Broker address rewriting for brokers that advertise addresses this machine cannot reach (a
 * broker in a container registers its container IP, one behind NAT its private IP). Brokers are
 * still known by the address they advertise (routes, cluster info, message ids, the connection
 * pool's keys all keep it); only the socket goes to the mapped address (RemotingClient). Plain
 * data, so it crosses into worker threads unchanged.
 *
 * A rule maps `host:port` (that address) or `host` (every port of it) to `host:port` or `host`
 * (the port kept). An exact rule wins over a host rule; rules do not chain.
 */
import { InvalidArgumentError } from '../errors.js';

export interface AddressRule {
  /** Lower-cased; IPv6 without brackets. */
  fromHost: string;
  /** Undefined: every port of fromHost. */
  fromPort?: number | undefined;
  toHost: string;
  /** Undefined: the port of the advertised address. */
  toPort?: number | undefined;
}

export type BrokerAddressMap = readonly AddressRule[];

/** What separates rules in one value (and in the environment variable): commas, semicolons, blanks. */
const RULE_SEPARATOR = /[,;\s]+/;
const HOST = /^[A-Za-z0-9._-]{1,253}$/;

interface HostPort {
  host: string;
  port?: number | undefined;
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`; undefined when it is none of them. */
function parseEnd(text: string): HostPort | undefined {
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/.exec(text);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
  } else {
    const parts = text.split(':');
    if (parts.length > 2) return undefined;
    host = parts[0]!;
    portText = parts[1];
    if (!HOST.test(host)) return undefined;
  }
  if (portText === undefined) return { host: host.toLowerCase() };
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) return undefined;
  return { host: host.toLowerCase(), port };
}

const show = (h: string): string => (h.includes(':') ? `[${h}]` : h);

/** One rule as the user writes it. */
export function formatRule(r: AddressRule): string {
  const end = (host: string, port: number | undefined) =>
    port === undefined ? show(host) : `${show(host)}:${port}`;
  return `${end(r.fromHost, r.fromPort)}=${end(r.toHost, r.toPort)}`;
}

/** One FROM=TO; InvalidArgumentError naming `source` (the flag or variable) otherwise. */
export function parseRule(text: string, source: string): AddressRule {
  const bad = (why: string): never => {
    throw new InvalidArgumentError(`${source}: ${why} in "${text}"`, {
      hint: 'write FROM=TO, each host:port or host (all ports), e.g. 172.17.0.3:10911=127.0.0.1:10911',
    });
  };
  const eq = text.indexOf('=');
  if (eq < 0 || text.indexOf('=', eq + 1) >= 0) bad('expected one "="');
  const from = parseEnd(text.slice(0, eq).trim()) ?? bad('FROM is not host:port or host');
  const to = parseEnd(text.slice(eq + 1).trim()) ?? bad('TO is not host:port or host');
  if (from.port === undefined && to.port !== undefined) {
    bad('FROM is a whole host but TO a single port (name the port on both sides)');
  }
  if (from.host === to.host && (to.port === undefined || to.port === from.port))
    bad('FROM and TO are the same');
  return { fromHost: from.host, fromPort: from.port, toHost: to.host, toPort: to.port };
}

/**
 * Every rule of the given values, each value one rule or several separated by commas,
 * semicolons or blanks. The same FROM twice is refused: which one was meant cannot be told.
 */
export function parseAddressMap(values: readonly string[], source: string): BrokerAddressMap {
  const rules: AddressRule[] = [];
  const seen = new Set<string>();
  for (const v of values) {
    for (const part of v.split(RULE_SEPARATOR)) {
      if (part === '') continue;
      const r = parseRule(part, source);
      const key = `${r.fromHost}|${r.fromPort ?? '*'}`;
      if (seen.has(key)) {
        throw new InvalidArgumentError(`${source}: ${formatRule(r).split('=')[0]} is mapped twice`, {
          hint: 'give each advertised address (or host) one rule',
        });
      }
      seen.add(key);
      rules.push(r);
    }
  }
  return rules;
}

/** Host and port of an advertised `host:port` (IPv6 in brackets or bare); undefined if it has no port. */
function splitAddress(address: string): HostPort | undefined {
  const idx = address.lastIndexOf(':');
  if (idx <= 0) return undefined;
  const port = Number(address.slice(idx + 1));
  if (!Number.isInteger(port)) return undefined;
  let host = address.slice(0, idx);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host: host.toLowerCase(), port };
}

/** The address to dial for `address`: the first exact rule's, else the first host rule's, else itself. */
export function mapAddress(map: BrokerAddressMap | undefined, address: string): string {
  if (!map || map.length === 0) return address;
  const a = splitAddress(address);
  if (!a) return address;
  const rule =
    map.find((r) => r.fromHost === a.host && r.fromPort === a.port) ??
    map.find((r) => r.fromHost === a.host && r.fromPort === undefined);
  if (!rule) return address;
  return `${show(rule.toHost)}:${rule.toPort ?? a.port}`;
}

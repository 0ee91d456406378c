/**
 * Named connection profiles in ${XDG_CONFIG_HOME:-~/.config}/rmq/profiles.json (mode 0600: they
 * may hold secrets). Precedence for every connection setting: flag > environment > profile >
 * default; the profile is --profile, else RMQ_PROFILE, else the one marked current. A profile's
 * security settings apply only to its own name servers (resolveConnection).
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseNamesrvList } from '../core/client/namesrv.js';
import { InvalidArgumentError, NotFoundError } from '../core/errors.js';
import { MAX_DURATION_MS } from '../core/util/units.js';

export interface Profile {
  namesrv?: string | undefined;
  accessKey?: string | undefined;
  secretKey?: string | undefined;
  securityToken?: string | undefined;
  tls?: boolean | undefined;
  tlsCa?: string | undefined;
  tlsInsecure?: boolean | undefined;
  /** ms */
  timeout?: number | undefined;
  /** FROM=TO rules: brokers of this profile's cluster that advertise unreachable addresses. */
  brokerAddressMap?: string[] | undefined;
}

export interface ProfileFile {
  current?: string | undefined;
  /**
   * By name, in an object without a prototype: a profile may be called "constructor" or
   * "__proto__" (PROFILE_NAME allows both), and neither may find or replace a built-in.
   */
  profiles: Record<string, Profile>;
}

/** An empty profiles map without a prototype (see ProfileFile). */
const noProfiles = (): Record<string, Profile> => Object.create(null) as Record<string, Profile>;

export const PROFILE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export function profilesPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RMQ_PROFILES_FILE) return env.RMQ_PROFILES_FILE;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'rmq', 'profiles.json');
}

export async function loadProfiles(path = profilesPath()): Promise<ProfileFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return { profiles: noProfiles() };
  }
  let parsed: Partial<ProfileFile> | null;
  try {
    parsed = JSON.parse(text) as Partial<ProfileFile> | null;
  } catch {
    throw new InvalidArgumentError(`${path} is not valid JSON`, { hint: 'fix or delete the file' });
  }
  const profiles = parsed?.profiles ?? {};
  if (typeof profiles !== 'object' || Array.isArray(profiles)) {
    throw new InvalidArgumentError(`${path}: "profiles" is not an object`, {
      hint: 'fix or delete the file',
    });
  }
  // JSON.parse made every name an own property (even "__proto__"); assign keeps them so on a
  // target that has no __proto__ setter to trip over.
  return { current: parsed?.current, profiles: Object.assign(noProfiles(), profiles) };
}

export async function saveProfiles(file: ProfileFile, path = profilesPath()): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

export function validateProfileName(name: string): void {
  if (!PROFILE_NAME.test(name)) {
    throw new InvalidArgumentError(`invalid profile name "${name}"`, {
      hint: 'use letters, digits, _ . - (at most 64)',
    });
  }
}

/** The named profile of `file`, if there is one: own entries only, never a built-in. */
export function findProfile(file: ProfileFile, name: string): Profile | undefined {
  return Object.hasOwn(file.profiles, name) ? file.profiles[name] : undefined;
}

/** The named profile of `file`; NotFoundError when there is none. */
export function requireProfile(file: ProfileFile, name: string): Profile {
  const profile = findProfile(file, name);
  if (!profile)
    throw new NotFoundError(`profile "${name}" does not exist`, { hint: 'see `rmq profile list`' });
  return profile;
}

/** The profile in force: an explicit name must exist; otherwise the current one, if any. */
export async function activeProfile(
  explicit: string | undefined,
  path = profilesPath(),
): Promise<{ name: string; profile: Profile } | undefined> {
  const file = await loadProfiles(path);
  const name = explicit ?? file.current;
  if (!name) return undefined;
  if (explicit) return { name, profile: requireProfile(file, name) };
  const profile = findProfile(file, name);
  return profile ? { name, profile } : undefined;
}

/** A profile for display: secrets replaced. */
export function redact(p: Profile): Profile {
  return {
    ...p,
    secretKey: p.secretKey ? '********' : undefined,
    securityToken: p.securityToken ? '********' : undefined,
  };
}

/** Connection settings given outside any profile: flags and their environment variables. */
export interface ConnectionInput {
  /** -n, RMQ_NAMESRV or NAMESRV_ADDR; undefined when none was given. */
  namesrv?: string | undefined;
  /** Where `namesrv` came from, for the warning: "--namesrv", "RMQ_NAMESRV", "NAMESRV_ADDR". */
  namesrvSource?: string | undefined;
  /** Used when neither `namesrv` nor the profile names a name server. */
  defaultNamesrv: string;
  /** ms; undefined when left at its default. */
  timeoutMs?: number | undefined;
  accessKey?: string | undefined;
  secretKey?: string | undefined;
  tls?: boolean | undefined;
  tlsCa?: string | undefined;
  tlsInsecure?: boolean | undefined;
  /** --broker-address-map values; undefined or empty when not given. */
  brokerAddressMap?: string[] | undefined;
  /** RMQ_BROKER_ADDRESS_MAP; used when the flag is not given. */
  brokerAddressMapEnv?: string | undefined;
  /** The profile in force; `explicit` when named by --profile or RMQ_PROFILE. */
  profile?: { name: string; profile: Profile; explicit: boolean } | undefined;
}

export interface ResolvedConnection {
  namesrv: string;
  timeoutMs?: number | undefined;
  accessKey?: string | undefined;
  secretKey?: string | undefined;
  securityToken?: string | undefined;
  tls: boolean;
  /** PEM file of trusted CAs. */
  tlsCa?: string | undefined;
  tlsInsecure: boolean;
  /** The broker address map in force and where it came from (for messages); undefined: none. */
  brokerAddressMap?: { values: string[]; source: string } | undefined;
  /** The profile whose settings are used, if any. */
  profile?: string | undefined;
  /** For stderr: an explicitly named profile was not used for security. */
  warning?: string | undefined;
}

/** Whether every address of `list` is one of `own`'s: requests then reach only that cluster. */
function sameNameServers(list: string, own: string): boolean {
  const ownSet = new Set(parseNamesrvList(own));
  const given = parseNamesrvList(list);
  return given.length > 0 && given.every((a) => ownSet.has(a));
}

/**
 * Settings in force: flag > environment > profile > default. A profile's security settings
 * (credentials, TLS, CA, skipping verification) belong to its name servers: when -n,
 * RMQ_NAMESRV or NAMESRV_ADDR point elsewhere they are not used, so neither a key nor a
 * `tlsInsecure` written for one cluster (say `local up --tls`'s) ever reaches another. An
 * explicit CA always verifies: --tls-ca with --tls-insecure is bad input, and a profile's
 * tlsInsecure yields to any CA.
 */
export function resolveConnection(input: ConnectionInput): ResolvedConnection {
  const active = input.profile;
  const p = active?.profile;
  const own = p ? (p.namesrv ?? input.defaultNamesrv) : undefined;
  const applies = own !== undefined && (input.namesrv === undefined || sameNameServers(input.namesrv, own));
  let warning: string | undefined;
  if (active?.explicit && !applies) {
    warning = `profile ${active.name} is for ${own}, but ${input.namesrvSource ?? '--namesrv'} says ${input.namesrv}: its credentials and TLS settings are not used`;
  }
  const sec: Profile = applies && p ? p : {};
  // 0 has always meant "not set". More than a timer can hold only comes from editing the file.
  const profileTimeout = p?.timeout || undefined;
  if (profileTimeout !== undefined && !(profileTimeout > 0 && profileTimeout <= MAX_DURATION_MS)) {
    throw new InvalidArgumentError(
      `profile ${active!.name} has an invalid timeout ${String(profileTimeout)}`,
      {
        hint: `at most 24d: recreate it with \`rmq profile create ${active!.name} --timeout 5s …\``,
      },
    );
  }
  if (input.tlsCa !== undefined && input.tlsInsecure) {
    throw new InvalidArgumentError('--tls-ca and --tls-insecure contradict each other', {
      hint: 'a CA is there to verify the certificate: drop --tls-insecure (or RMQ_TLS_INSECURE)',
    });
  }
  const tlsCa = input.tlsCa ?? sec.tlsCa;
  const tlsInsecure = input.tlsInsecure === true || (tlsCa === undefined && sec.tlsInsecure === true);
  const accessKey = input.accessKey ?? sec.accessKey;
  // A whole map, never merged: the flag replaces the variable, which replaces the profile's. The
  // profile's belongs to its own cluster's brokers, like its security settings.
  let brokerAddressMap: ResolvedConnection['brokerAddressMap'];
  if (input.brokerAddressMap && input.brokerAddressMap.length > 0) {
    brokerAddressMap = { values: input.brokerAddressMap, source: '--broker-address-map' };
  } else if (input.brokerAddressMapEnv?.trim()) {
    brokerAddressMap = { values: [input.brokerAddressMapEnv], source: 'RMQ_BROKER_ADDRESS_MAP' };
  } else if (applies && Array.isArray(p?.brokerAddressMap) && p.brokerAddressMap.length > 0) {
    brokerAddressMap = {
      values: p.brokerAddressMap.map(String),
      source: `profile ${active!.name} (brokerAddressMap)`,
    };
  }
  return {
    namesrv: input.namesrv ?? p?.namesrv ?? input.defaultNamesrv,
    timeoutMs: input.timeoutMs ?? profileTimeout,
    accessKey,
    secretKey: input.secretKey ?? sec.secretKey,
    // A token goes with the profile's own access key only.
    securityToken: input.accessKey === undefined ? sec.securityToken : undefined,
    tls: input.tls === true || sec.tls === true || tlsCa !== undefined || input.tlsInsecure === true,
    tlsCa,
    tlsInsecure,
    brokerAddressMap,
    profile: applies ? active?.name : undefined,
    warning,
  };
}

/**
 * Named connection profiles in ${XDG_CONFIG_HOME:-~/.config}/rmq/profiles.json (mode 0600: they
 * may hold secrets). Precedence for every connection setting: flag > environment > profile >
 * default; the profile is --profile, else RMQ_PROFILE, else the one marked current.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../core/errors.js';

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

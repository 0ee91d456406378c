/**
 * The connection profile `rmq local up` leaves behind, so `rmq --profile local …` reaches the
 * cluster with whatever --acl and --tls it was started with.
 */
import {
  findProfile,
  loadProfiles,
  type Profile,
  profilesPath,
  requireProfile,
  saveProfiles,
} from '../services/profiles.js';
import type { AclAccount } from './config.js';

export const LOCAL_PROFILE = 'local';

export interface LocalProfileInput {
  namesrvAddr: string;
  acl?: AclAccount | undefined;
  tls: boolean;
}

export interface LocalProfileResult {
  name: string;
  file: string;
  /** Whether it is the current profile (`up` makes it so only when asked: --use). */
  current: boolean;
}

/**
 * Writes (or rewrites) profile `name`. Settings `up` owns are replaced outright, so a cluster
 * restarted without --acl does not keep stale credentials; a timeout the user added is kept.
 */
export async function saveLocalProfile(
  name: string,
  input: LocalProfileInput,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<LocalProfileResult> {
  const path = profilesPath(env as NodeJS.ProcessEnv);
  const file = await loadProfiles(path);
  const profile: Profile = { namesrv: input.namesrvAddr };
  if (input.acl) {
    profile.accessKey = input.acl.accessKey;
    profile.secretKey = input.acl.secretKey;
  }
  if (input.tls) {
    profile.tls = true;
    // The servers run TLS test mode: a self-signed certificate, new at every start.
    profile.tlsInsecure = true;
  }
  const timeout = findProfile(file, name)?.timeout;
  if (timeout !== undefined) profile.timeout = timeout;
  file.profiles[name] = profile;
  // Never made current unasked: a current profile applies to every later command, and this one
  // may hold credentials and tlsInsecure meant for the local cluster only (makeCurrent does it).
  await saveProfiles(file, path);
  return { name, file: path, current: file.current === name };
}

/** Makes profile `name` the current one (`local up --use`). */
export async function makeCurrent(
  name: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<void> {
  const path = profilesPath(env as NodeJS.ProcessEnv);
  const file = await loadProfiles(path);
  requireProfile(file, name);
  file.current = name;
  await saveProfiles(file, path);
}

/**
 * The name servers' KV config (KVConfigManager: namespace → key → value, saved in each name
 * server's kvConfig.json): list, get, and planned put/delete on every name server of the
 * connection. Name servers do not share it, so each is read and written on its own; a key that
 * differs between them is shown as such. RocketMQ itself keeps ORDER_TOPIC_CONFIG there (the
 * queue layout of ordered topics, returned in their routes).
 */
import type { Admin } from '../core/client/admin.js';
import { Ops } from '../core/client/ops.js';
import { InvalidArgumentError, NotFoundError, RocketMQError } from '../core/errors.js';
import { ORDER_TOPIC_CONFIG } from '../core/protocol/put-kv-config.js';

export interface KvListResult {
  namespace: string;
  /** Each name server, whether it has the namespace and how many keys; error when it did not answer. */
  namesrvs: { address: string; found: boolean; keys: number; error?: string }[];
  /** Each key with its value on each name server (in the order of `namesrvs`; null: not there). */
  entries: { key: string; values: (string | null)[]; same: boolean }[];
}

export interface KvGetResult {
  namespace: string;
  key: string;
  /** The value on each name server; null where it has no such key. */
  namesrvs: { address: string; value: string | null; error?: string }[];
}

export interface KvChangeResult {
  action: 'put' | 'delete';
  namespace: string;
  key: string;
  /** The new value (put). */
  value?: string;
  /** Each name server: its current value (null: absent), whether it changes, and after applying whether it reads back as planned. */
  namesrvs: { address: string; old: string | null; changed: boolean; applied?: boolean }[];
  changes: number;
  dryRun: boolean;
  /** What the plan should make the user think twice about. */
  notes: string[];
}

const NAME_RE = /^[^\s\p{Cc}][^\p{Cc}]*$/u;

function checkName(what: string, v: string): void {
  if (!NAME_RE.test(v) || /\s$/.test(v) || v.length > 255) {
    throw new InvalidArgumentError(`invalid ${what} "${v}"`, {
      hint: `a ${what} is 1–255 characters without control characters or surrounding spaces`,
    });
  }
}

type Read<T> = { address: string; value?: T; error?: RocketMQError };

/** Reads from each name server; one that fails gets its error, unless all fail (thrown). */
async function readEach<T>(admin: Admin, read: (address: string) => Promise<T>): Promise<Read<T>[]> {
  const rows = await Promise.all(
    admin.namesrv.addresses.map(async (address): Promise<Read<T>> => {
      try {
        return { address, value: await read(address) };
      } catch (err) {
        if (!(err instanceof RocketMQError)) throw err;
        return { address, error: err };
      }
    }),
  );
  if (rows.every((r) => r.error)) throw rows[0]!.error;
  return rows;
}

export async function listKv(admin: Admin, input: { namespace: string }): Promise<KvListResult> {
  checkName('namespace', input.namespace);
  const ops = new Ops(admin.client);
  const rows = await readEach(admin, (a) => ops.kvList(a, input.namespace));
  if (rows.every((r) => r.error || r.value === undefined)) {
    throw new NotFoundError(`no name server has KV namespace "${input.namespace}"`, {
      hint: 'a namespace exists once a key was put in it',
    });
  }
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.value ?? {})))].sort();
  const answered = rows.filter((r) => !r.error);
  return {
    namespace: input.namespace,
    namesrvs: rows.map((r) => ({
      address: r.address,
      found: r.value !== undefined,
      keys: Object.keys(r.value ?? {}).length,
      ...(r.error ? { error: r.error.message } : {}),
    })),
    entries: keys.map((key) => {
      const values = rows.map((r) => (r.value && Object.hasOwn(r.value, key) ? r.value[key]! : null));
      const seen = answered.map((r) => (r.value && Object.hasOwn(r.value, key) ? r.value[key]! : null));
      return { key, values, same: seen.every((v) => v === seen[0]) };
    }),
  };
}

export async function getKv(admin: Admin, input: { namespace: string; key: string }): Promise<KvGetResult> {
  checkName('namespace', input.namespace);
  checkName('key', input.key);
  const ops = new Ops(admin.client);
  const rows = await readEach(admin, (a) => ops.kvConfig(a, input.namespace, input.key));
  if (rows.every((r) => r.error || r.value === undefined)) {
    throw new NotFoundError(`no name server has key "${input.key}" in KV namespace "${input.namespace}"`, {
      hint: `see \`rmq namesrv kv list --namespace ${input.namespace}\``,
    });
  }
  return {
    namespace: input.namespace,
    key: input.key,
    namesrvs: rows.map((r) => ({
      address: r.address,
      value: r.value ?? null,
      ...(r.error ? { error: r.error.message } : {}),
    })),
  };
}

/**
 * The plan of a put or delete on every name server (each must answer: the plan shows what it
 * has now). A delete of a key no name server has is NotFound, nothing is sent.
 */
export async function planKvChange(
  admin: Admin,
  input: { action: 'put' | 'delete'; namespace: string; key: string; value?: string; dryRun: boolean },
): Promise<{ plan: KvChangeResult; apply: () => Promise<KvChangeResult> }> {
  checkName('namespace', input.namespace);
  checkName('key', input.key);
  if (input.action === 'put' && input.value === undefined) {
    throw new InvalidArgumentError('kv put needs a VALUE', {
      hint: 'rmq namesrv kv put --namespace NS KEY VALUE',
    });
  }
  if (input.value !== undefined && /[\r\n]/.test(input.value)) {
    throw new InvalidArgumentError('the value has a line break');
  }
  const ops = new Ops(admin.client);
  const rows = await Promise.all(
    admin.namesrv.addresses.map(async (address) => {
      const old = (await ops.kvConfig(address, input.namespace, input.key)) ?? null;
      const changed = input.action === 'put' ? old !== input.value : old !== null;
      return { address, old, changed };
    }),
  );
  if (input.action === 'delete' && rows.every((r) => r.old === null)) {
    throw new NotFoundError(`no name server has key "${input.key}" in KV namespace "${input.namespace}"`, {
      hint: 'nothing was changed',
    });
  }
  const notes: string[] = [];
  if (input.namespace === ORDER_TOPIC_CONFIG) {
    notes.push(
      `${ORDER_TOPIC_CONFIG} is RocketMQ's own: it holds the queue layout of ordered topics ("brokerName:queues;…"), which the name servers put in those topics' routes; a wrong value misroutes their producers.`,
    );
  }
  const plan: KvChangeResult = {
    action: input.action,
    namespace: input.namespace,
    key: input.key,
    ...(input.action === 'put' ? { value: input.value! } : {}),
    namesrvs: rows,
    changes: rows.filter((r) => r.changed).length,
    dryRun: input.dryRun,
    notes,
  };
  const apply = async (): Promise<KvChangeResult> => {
    const done: KvChangeResult['namesrvs'] = [];
    for (const r of rows) {
      if (!r.changed) {
        done.push(r);
        continue;
      }
      if (input.action === 'put') await ops.putKvConfig(r.address, input.namespace, input.key, input.value!);
      else await ops.deleteKvConfig(r.address, input.namespace, input.key);
      const after = (await ops.kvConfig(r.address, input.namespace, input.key)) ?? null;
      done.push({ ...r, applied: input.action === 'put' ? after === input.value : after === null });
    }
    return { ...plan, namesrvs: done };
  };
  return { plan, apply };
}

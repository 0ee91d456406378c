/**
 * `rmq check`: a cluster's health as named results, for cron and monitors. Every check runs and
 * reports (a check that cannot measure is `unknown`, with why); nothing here throws for a
 * cluster in trouble, only for bad input. Every number from the cluster is validated before it
 * is compared or printed: a broker's garbage is `unknown`, never a pass.
 */
import type { Admin } from '../core/client/admin.js';
import { Ops } from '../core/client/ops.js';
import { NotFoundError, ProtocolError } from '../core/errors.js';
import { RequestCode } from '../core/remoting/codes.js';
import { type ClusterInfo, decodeClusterInfo } from '../core/protocol/route.js';
import { type CheckState, dlqStateKey, loadCheckState, saveCheckState } from './check-state.js';
import { type CheckStatus, statusAbove, type Threshold, worstStatus } from './check-thresholds.js';
import { describeGroup } from './group.js';

export type CheckKind = 'namesrv' | 'brokers' | 'writable' | 'disk' | 'lag' | 'dlq-growth';

export interface CheckItem {
  /** kind:subject, e.g. `lag:orders`, `disk:broker-a/0:/data/store/commitlog`. */
  name: string;
  kind: CheckKind;
  /** What the check is about (address, broker, path, group): the labels of its metrics. */
  labels: Record<string, string>;
  status: CheckStatus;
  /** The measure: 1/0 for answering and writable, masters registered, used ratio, messages, messages per hour. */
  value: number | null;
  /** Levels the value was held to; `below`: the value must not fall under them (brokers expected). */
  threshold: (Threshold & { below?: boolean }) | null;
  message: string;
  /** dlq-growth only: messages ever written to the group's DLQ, as counted this run. */
  dlqMessages?: number;
}

export interface CheckResult {
  /** The worst status of all checks (critical > warning > unknown > ok). */
  status: CheckStatus;
  counts: Record<CheckStatus, number>;
  checks: CheckItem[];
  namesrv: string[];
  /** ISO time of the run. */
  checkedAt: string;
  warnings: string[];
}

export interface CheckInput {
  namesrv: string[];
  expectBrokers?: { count: number } | { names: string[] } | undefined;
  maxDisk?: Threshold | undefined;
  maxLag: { group: string; threshold: Threshold }[];
  /** group null: every group that has a DLQ. */
  maxDlqGrowth: { group: string | null; threshold: Threshold }[];
  statePath: string;
  now?: () => number;
}

const PERM_WRITE = 2;
const PERM_READ = 4;
const DLQ_PREFIX = '%DLQ%';

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A ratio from a runtime table: a plain decimal in [0, 1], or null. */
function ratioOf(text: string | undefined): number | null {
  if (text === undefined || !/^\s*(?:\d+(?:\.\d*)?|\.\d+)(?:[eE]-?\d+)?\s*$/.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : null;
}

const pct = (r: number): string => `${(r * 100).toFixed(1)}%`;
const levels = (t: Threshold, fmt: (n: number) => string): string =>
  t.warning === null
    ? `critical above ${fmt(t.critical)}`
    : `warning above ${fmt(t.warning)}, critical above ${fmt(t.critical)}`;

async function askNameServers(
  admin: Admin,
  addresses: string[],
): Promise<{ checks: CheckItem[]; info: ClusterInfo | null }> {
  const answers = await Promise.all(
    addresses.map(async (address) => {
      const started = Date.now();
      try {
        const res = await admin.client.call(address, RequestCode.GET_BROKER_CLUSTER_INFO, {});
        return { address, info: decodeClusterInfo(res.body), ms: Date.now() - started };
      } catch (err) {
        return { address, error: errorText(err) };
      }
    }),
  );
  const checks = answers.map((a): CheckItem => ({
    name: `namesrv:${a.address}`,
    kind: 'namesrv',
    labels: { address: a.address },
    status: 'info' in a ? 'ok' : 'critical',
    value: 'info' in a ? 1 : 0,
    threshold: null,
    message:
      'info' in a
        ? `name server ${a.address} answered in ${a.ms} ms`
        : `name server ${a.address} did not answer: ${a.error}`,
  }));
  const first = answers.find((a) => 'info' in a);
  return { checks, info: first && 'info' in first ? (first.info ?? null) : null };
}

function brokersCheck(info: ClusterInfo, expect: CheckInput['expectBrokers']): CheckItem {
  const masters = info.brokers.filter((b) => b.addrs.has(0)).map((b) => b.brokerName);
  const base = { name: 'brokers', kind: 'brokers' as const, labels: {}, value: masters.length };
  const list = masters.length > 0 ? masters.sort().join(', ') : 'none';
  if (expect && 'names' in expect) {
    const missing = expect.names.filter((n) => !masters.includes(n));
    return {
      ...base,
      status: missing.length > 0 ? 'critical' : 'ok',
      threshold: { warning: null, critical: expect.names.length, below: true },
      message:
        missing.length > 0
          ? `no master registered for ${missing.join(', ')} (masters: ${list})`
          : `every expected master is registered (${list})`,
    };
  }
  const want = expect?.count ?? 1;
  return {
    ...base,
    status: masters.length < want ? 'critical' : 'ok',
    threshold: { warning: null, critical: want, below: true },
    message: `${masters.length} master(s) registered, ${want} expected (${list})`,
  };
}

/** The permission the name server hands producers for a broker: that of its own topic (brokerName), if it has one. */
async function namesrvPerm(admin: Admin, brokerName: string): Promise<number | null> {
  try {
    const route = await admin.namesrv.getTopicRoute(brokerName);
    const q = route.queues.find((x) => x.brokerName === brokerName);
    return q && Number.isInteger(q.perm) ? q.perm : null;
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

async function writableCheck(
  admin: Admin,
  ops: Ops,
  brokerName: string,
  address: string,
): Promise<CheckItem> {
  const base = {
    name: `writable:${brokerName}`,
    kind: 'writable' as const,
    labels: { broker: brokerName, address },
  };
  let perm: number;
  let nsPerm: number | null;
  try {
    const config = await ops.brokerConfig(address);
    const text = config.get('brokerPermission') ?? '';
    if (!/^\d$/.test(text))
      throw new ProtocolError(`brokerPermission "${text.slice(0, 40)}" is not a permission`);
    perm = Number(text);
    nsPerm = await namesrvPerm(admin, brokerName);
  } catch (err) {
    return {
      ...base,
      status: 'critical',
      value: 0,
      threshold: null,
      message: `master ${brokerName} (${address}): ${errorText(err)}`,
    };
  }
  const brokerWrites = (perm & PERM_WRITE) !== 0;
  const nsWrites = nsPerm === null || (nsPerm & PERM_WRITE) !== 0;
  const reads = (perm & PERM_READ) !== 0;
  let message = `master ${brokerName} (${address}) is writable (brokerPermission ${perm})`;
  if (!brokerWrites) message = `master ${brokerName} (${address}) is read-only (brokerPermission ${perm})`;
  else if (!nsWrites)
    message = `the name server has wiped the write permission of ${brokerName} (perm ${nsPerm}; brokerPermission ${perm})`;
  else if (!reads) message += ', but not readable';
  return {
    ...base,
    status: brokerWrites && nsWrites ? 'ok' : 'critical',
    value: brokerWrites && nsWrites ? 1 : 0,
    threshold: null,
    message,
  };
}

async function diskChecks(
  ops: Ops,
  b: { brokerName: string; id: number; address: string },
  max: Threshold | undefined,
): Promise<CheckItem[]> {
  const who = `${b.brokerName}/${b.id}`;
  const labels = { broker: b.brokerName, broker_id: String(b.id), address: b.address };
  let table: Record<string, string>;
  try {
    ({ table } = await ops.brokerRuntimeInfo(b.address));
  } catch (err) {
    return [
      {
        name: `disk:${who}`,
        kind: 'disk',
        labels: { ...labels, path: '' },
        status: 'unknown',
        value: null,
        threshold: max ?? null,
        message: `broker ${who} (${b.address}) did not report its disk use: ${errorText(err)}`,
      },
    ];
  }
  const prefix = 'commitLogDiskRatio_';
  const paths = Object.keys(table)
    .filter((k) => k.startsWith(prefix))
    .sort()
    .map((k) => ({ path: k.slice(prefix.length), text: table[k] }));
  // A single store path is only in commitLogDiskRatio.
  if (paths.length === 0) paths.push({ path: '', text: table.commitLogDiskRatio });
  return paths.map(({ path, text }): CheckItem => {
    const ratio = ratioOf(text);
    const base = {
      name: `disk:${who}${path ? `:${path}` : ''}`,
      kind: 'disk' as const,
      labels: { ...labels, path },
      threshold: max ?? null,
    };
    const where = `broker ${who} ${path || 'commit log'}`;
    if (ratio === null) {
      return {
        ...base,
        status: 'unknown',
        value: null,
        message: `${where}: disk use reported as "${String(text).slice(0, 40)}", not a ratio`,
      };
    }
    const status = statusAbove(ratio, max ?? null);
    return {
      ...base,
      status,
      value: ratio,
      message: `${where}: disk ${pct(ratio)} used${max ? ` (${levels(max, pct)})` : ''}`,
    };
  });
}

async function lagCheck(admin: Admin, group: string, threshold: Threshold): Promise<CheckItem> {
  const base = { name: `lag:${group}`, kind: 'lag' as const, labels: { group }, threshold };
  try {
    const d = await describeGroup(admin, { group });
    const lag = d.totalLag;
    if (!Number.isSafeInteger(lag) || lag < 0) throw new ProtocolError(`lag ${lag} is not a count`);
    const status = statusAbove(lag, threshold);
    return {
      ...base,
      status,
      value: lag,
      message: `group ${group}: ${lag} messages behind (${levels(threshold, String)})`,
    };
  } catch (err) {
    // A group that should be watched but does not exist is a failure, not a gap in the data.
    const status = err instanceof NotFoundError ? 'critical' : 'unknown';
    return { ...base, status, value: null, message: `group ${group}: ${errorText(err)}` };
  }
}

/** Messages ever written to the group's DLQ: the sum of its queues' max offsets (0 without a DLQ). */
async function dlqTotal(admin: Admin, group: string): Promise<number> {
  let route;
  try {
    route = await admin.namesrv.getTopicRoute(DLQ_PREFIX + group);
  } catch (err) {
    if (err instanceof NotFoundError) return 0;
    throw err;
  }
  let total = 0;
  for (const b of route.brokers) {
    const master = b.addrs.get(0);
    if (!master) continue;
    for (const q of await admin.topicStats(master, DLQ_PREFIX + group)) {
      if (!Number.isSafeInteger(q.maxOffset) || q.maxOffset < 0) {
        throw new ProtocolError(`broker ${b.brokerName} reported max offset ${q.maxOffset} for the DLQ`);
      }
      total += q.maxOffset;
    }
  }
  return total;
}

async function dlqCheck(
  admin: Admin,
  state: CheckState,
  namesrv: string[],
  group: string,
  threshold: Threshold,
  now: number,
): Promise<CheckItem> {
  const base = { name: `dlq-growth:${group}`, kind: 'dlq-growth' as const, labels: { group }, threshold };
  let total: number;
  try {
    total = await dlqTotal(admin, group);
  } catch (err) {
    return {
      ...base,
      status: 'unknown',
      value: null,
      message: `group ${group}: DLQ not counted: ${errorText(err)}`,
    };
  }
  const key = dlqStateKey(namesrv, group);
  const prev = Object.hasOwn(state.dlq, key) ? state.dlq[key] : undefined;
  state.dlq[key] = { total, at: now };
  const unknown = (why: string): CheckItem => ({
    ...base,
    status: 'unknown',
    value: null,
    dlqMessages: total,
    message: `group ${group}: ${why}`,
  });
  if (!prev) return unknown(`${total} messages in the DLQ; the growth rate needs a second run`);
  if (total < prev.total)
    return unknown(
      `the DLQ count went down (${prev.total} → ${total}: recreated?); counting again from here`,
    );
  const elapsed = now - prev.at;
  if (elapsed <= 0)
    return unknown('the last observation is not older than this one; counting again from here');
  const perHour = Math.round(((total - prev.total) * 3_600_000 * 100) / elapsed) / 100;
  const status = statusAbove(perHour, threshold);
  const since = `${Math.round(elapsed / 1000)} s`;
  return {
    ...base,
    status,
    value: perHour,
    dlqMessages: total,
    message: `group ${group}: DLQ grew by ${total - prev.total} in ${since} (${perHour}/h; ${levels(threshold, (n) => `${n}/h`)})`,
  };
}

/** Groups with a DLQ, from the name server's topic list (for a --max-dlq-growth without a group). */
async function groupsWithDlq(admin: Admin): Promise<string[]> {
  const topics = await admin.namesrv.getTopicList();
  return topics
    .filter((t) => t.startsWith(DLQ_PREFIX) && t.length > DLQ_PREFIX.length)
    .map((t) => t.slice(DLQ_PREFIX.length));
}

export async function runCheck(admin: Admin, input: CheckInput): Promise<CheckResult> {
  const now = (input.now ?? Date.now)();
  const warnings: string[] = [];
  const { checks, info } = await askNameServers(admin, input.namesrv);
  const dlqRules = new Map<string, Threshold>();
  const everyDlq = input.maxDlqGrowth.find((r) => r.group === null)?.threshold;
  for (const r of input.maxDlqGrowth) if (r.group !== null) dlqRules.set(r.group, r.threshold);

  if (!info) {
    const why = 'no name server answered';
    checks.push({
      name: 'brokers',
      kind: 'brokers',
      labels: {},
      status: 'critical',
      value: null,
      threshold: null,
      message: why,
    });
    for (const { group, threshold } of input.maxLag)
      checks.push({
        name: `lag:${group}`,
        kind: 'lag',
        labels: { group },
        status: 'unknown',
        value: null,
        threshold,
        message: why,
      });
    for (const [group, threshold] of dlqRules)
      checks.push({
        name: `dlq-growth:${group}`,
        kind: 'dlq-growth',
        labels: { group },
        status: 'unknown',
        value: null,
        threshold,
        message: why,
      });
    return summarize(checks, input.namesrv, now, warnings);
  }

  checks.push(brokersCheck(info, input.expectBrokers));
  const ops = new Ops(admin.client);
  const masters = info.brokers.flatMap((b) =>
    b.addrs.has(0) ? [{ brokerName: b.brokerName, address: b.addrs.get(0)! }] : [],
  );
  const all = info.brokers.flatMap((b) =>
    [...b.addrs].map(([id, address]) => ({ brokerName: b.brokerName, id, address })),
  );
  const byName = (a: { brokerName: string }, b: { brokerName: string }) =>
    a.brokerName.localeCompare(b.brokerName);
  masters.sort(byName);
  all.sort((a, b) => byName(a, b) || a.id - b.id);

  if (everyDlq) {
    try {
      for (const g of await groupsWithDlq(admin)) if (!dlqRules.has(g)) dlqRules.set(g, everyDlq);
    } catch (err) {
      warnings.push(`could not list the groups that have a DLQ: ${errorText(err)}`);
    }
  }
  const { state, problem } =
    dlqRules.size > 0 ? await loadCheckState(input.statePath) : { state: null, problem: undefined };
  if (problem) warnings.push(problem);

  const [writable, disks, lags, dlqs] = await Promise.all([
    Promise.all(masters.map((m) => writableCheck(admin, ops, m.brokerName, m.address))),
    Promise.all(all.map((b) => diskChecks(ops, b, input.maxDisk))),
    Promise.all(input.maxLag.map((r) => lagCheck(admin, r.group, r.threshold))),
    state
      ? Promise.all(
          [...dlqRules]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([g, t]) => dlqCheck(admin, state, input.namesrv, g, t, now)),
        )
      : Promise.resolve([]),
  ]);
  checks.push(...writable, ...disks.flat(), ...lags, ...dlqs);
  if (state) {
    try {
      await saveCheckState(input.statePath, state, now);
    } catch (err) {
      warnings.push(`could not save ${input.statePath}: ${errorText(err)} (DLQ growth will stay unknown)`);
    }
  }
  return summarize(checks, input.namesrv, now, warnings);
}

export function summarize(
  checks: CheckItem[],
  namesrv: string[],
  now: number,
  warnings: string[],
): CheckResult {
  const counts: Record<CheckStatus, number> = { ok: 0, warning: 0, critical: 0, unknown: 0 };
  for (const c of checks) counts[c.status]++;
  return {
    status: worstStatus(checks.map((c) => c.status)),
    counts,
    checks,
    namesrv,
    checkedAt: new Date(now).toISOString(),
    warnings,
  };
}

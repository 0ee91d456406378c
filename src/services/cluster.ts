import type { Admin } from '../core/client/admin.js';
import { Ops } from '../core/client/ops.js';
import { addReplication, type Replication } from './cluster-ha.js';

export interface BrokerRow {
  cluster: string;
  brokerName: string;
  brokerId: number;
  role: 'MASTER' | 'SLAVE';
  /** As the broker advertises it (the name server's). */
  address: string;
  /** Where rmq dials it, when the broker address map sends it elsewhere. */
  mappedAddress?: string;
  version: string | null;
  /** Messages put per second (10 s average), as the broker reports it. */
  putTps: number | null;
  getTps: number | null;
  /** The name servers that list this broker (every one asked, unless it failed to register). */
  namesrvs: string[];
  /** How the group replicates and its state now (see cluster-ha.ts); absent when the broker did not say. */
  replication?: Replication;
  error?: string;
}

export interface NamesrvAnswer {
  address: string;
  /** Why it gave no cluster info; absent when it answered. */
  error?: string;
}

export interface ClusterListResult {
  clusters: { name: string; brokers: BrokerRow[] }[];
  /** Every name server asked, in the order given. */
  namesrvs: NamesrvAnswer[];
}

const firstNumber = (s: string | undefined): number | null => {
  const n = Number(s?.trim().split(/\s+/)[0]);
  return Number.isFinite(n) && s !== undefined ? Math.round(n * 100) / 100 : null;
};

/**
 * Every broker any name server lists, each with the name servers that list it: brokers register
 * with each name server on their own, so one that is missing from some of them (a firewall, a
 * name server added later, a registration that keeps failing) shows up here. The call fails only
 * when no name server answers.
 */
export async function listClusters(admin: Admin, clusterFilter?: string): Promise<ClusterListResult> {
  const answers = await admin.namesrv.clusterInfoEach();
  const answered = answers.filter((a) => a.info);
  if (answered.length === 0) {
    // The same error (and exit code) a single-server call gives, e.g. "no name server reachable".
    await admin.getClusterInfo();
  }
  const clusterNames = new Set<string>();
  const byKey = new Map<string, BrokerRow>();
  for (const { address: ns, info } of answered) {
    for (const name of info!.clusters.keys()) clusterNames.add(name);
    for (const b of info!.brokers) {
      if (clusterFilter && b.cluster !== clusterFilter) continue;
      for (const [id, address] of b.addrs) {
        const key = `${b.cluster}\u0000${b.brokerName}\u0000${id}\u0000${address}`;
        const known = byKey.get(key);
        if (known) {
          known.namesrvs.push(ns);
          continue;
        }
        const dialled = admin.client.dialAddress(address);
        byKey.set(key, {
          cluster: b.cluster,
          brokerName: b.brokerName,
          brokerId: id,
          role: id === 0 ? 'MASTER' : 'SLAVE',
          address,
          ...(dialled === address ? {} : { mappedAddress: dialled }),
          version: null,
          putTps: null,
          getTps: null,
          namesrvs: [ns],
        });
      }
    }
  }
  const rows = [...byKey.values()];
  await Promise.all(
    rows.map(async (row) => {
      try {
        const { table } = await admin.brokerRuntimeInfo(row.address);
        row.version = table.brokerVersionDesc ?? null;
        row.putTps = firstNumber(table.putTps);
        row.getTps = firstNumber(table.getTransferredTps ?? table.getTransferedTps);
      } catch (err) {
        row.error = (err as Error).message;
      }
    }),
  );
  await addReplication(new Ops(admin.client), rows);
  const names = [...new Set([...clusterNames, ...rows.map((r) => r.cluster)])]
    .filter((n) => !clusterFilter || n === clusterFilter)
    .sort();
  return {
    clusters: names.map((name) => ({
      name,
      brokers: rows
        .filter((r) => r.cluster === name)
        .sort((a, b) => a.brokerName.localeCompare(b.brokerName) || a.brokerId - b.brokerId),
    })),
    namesrvs: answers.map((a) =>
      a.info ? { address: a.address } : { address: a.address, error: (a.error as Error).message },
    ),
  };
}

/** Sentences about name servers that did not answer, or that miss a broker the others list. */
export function namesrvWarnings(result: ClusterListResult): string[] {
  const out: string[] = [];
  const up = result.namesrvs.filter((n) => !n.error).map((n) => n.address);
  for (const n of result.namesrvs)
    if (n.error) out.push(`name server ${n.address} did not answer: ${n.error}`);
  for (const c of result.clusters)
    for (const b of c.brokers) {
      const missing = up.filter((ns) => !b.namesrvs.includes(ns));
      if (missing.length > 0)
        out.push(
          `${b.brokerName} (id ${b.brokerId}, ${b.address}) is not registered with ${missing.join(', ')}: clients that ask only there do not see it`,
        );
    }
  return out;
}

/** An address for a table: the advertised one, and where it is dialled when mapped. */
export const shownAddress = (b: { address: string; mappedAddress?: string | undefined }): string =>
  b.mappedAddress ? `${b.address} → ${b.mappedAddress}` : b.address;

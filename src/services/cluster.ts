import type { Admin } from '../core/client/admin.js';

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
  error?: string;
}

export interface ClusterListResult {
  clusters: { name: string; brokers: BrokerRow[] }[];
}

const firstNumber = (s: string | undefined): number | null => {
  const n = Number(s?.trim().split(/\s+/)[0]);
  return Number.isFinite(n) && s !== undefined ? Math.round(n * 100) / 100 : null;
};

export async function listClusters(admin: Admin, clusterFilter?: string): Promise<ClusterListResult> {
  const info = await admin.getClusterInfo();
  const rows: BrokerRow[] = [];
  for (const b of info.brokers) {
    if (clusterFilter && b.cluster !== clusterFilter) continue;
    for (const [id, address] of [...b.addrs.entries()].sort((x, y) => x[0] - y[0])) {
      const dialled = admin.client.dialAddress(address);
      rows.push({
        cluster: b.cluster,
        brokerName: b.brokerName,
        brokerId: id,
        role: id === 0 ? 'MASTER' : 'SLAVE',
        address,
        ...(dialled === address ? {} : { mappedAddress: dialled }),
        version: null,
        putTps: null,
        getTps: null,
      });
    }
  }
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
  const names = [...new Set([...info.clusters.keys(), ...rows.map((r) => r.cluster)])]
    .filter((n) => !clusterFilter || n === clusterFilter)
    .sort();
  return {
    clusters: names.map((name) => ({
      name,
      brokers: rows
        .filter((r) => r.cluster === name)
        .sort((a, b) => a.brokerName.localeCompare(b.brokerName) || a.brokerId - b.brokerId),
    })),
  };
}

/** An address for a table: the advertised one, and where it is dialled when mapped. */
export const shownAddress = (b: { address: string; mappedAddress?: string | undefined }): string =>
  b.mappedAddress ? `${b.address} → ${b.mappedAddress}` : b.address;

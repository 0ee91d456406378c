/** `local status`: a state dir's processes, whether they are alive and answer, their logs and disk use. */
import { NameServerClient } from '../core/client/namesrv.js';
import { RemotingClient } from '../core/client/remoting-client.js';
import { logFiles } from './logs.js';
import { type NodeStatus, nodeStatuses, proxyStatus } from './nodes.js';
import { localLayout } from './paths.js';
import { diskUsage } from './process.js';
import { firstBroker, liveNodes, liveProcesses, type LocalState, probeTls, readState } from './state.js';

export interface ProcessStatus {
  pid: number | null;
  running: boolean;
}

export interface StatusResult {
  dir: string;
  state: 'running' | 'stopped' | 'partial';
  version: string | null;
  namesrvAddr: string | null;
  brokerAddr: string | null;
  clusterName: string | null;
  brokerName: string | null;
  ports: LocalState['ports'] | null;
  processes: { namesrv: ProcessStatus; broker: ProcessStatus };
  /** Whether the name server lists the broker right now; null when not both are running. */
  brokerRegistered: boolean | null;
  /** Whether the last `up` turned ACL / TLS on. */
  acl: boolean;
  tls: boolean;
  startedAt: string | null;
  uptimeMs: number | null;
  store: { dir: string; bytes: number };
  logs: { namesrv: string; broker: string };
  /**
   * A multi-node topology: every node, up or down, with the role the name servers give it now
   * (the proxy last, when there is one).
   */
  nodes?: NodeStatus[] | undefined;
  /** The 5.x proxy of a cluster started with --proxy: its remoting and gRPC addresses, pid, up or down. */
  proxy?: NodeStatus | undefined;
}

export async function status(opts: { dir: string }): Promise<StatusResult> {
  const layout = localLayout(opts.dir);
  const state = await readState(layout);
  const live = await liveProcesses(layout, state);
  const ns = live.get('namesrv');
  const br = live.get('broker');
  let cluster: StatusResult['state'] =
    ns !== undefined && br !== undefined ? 'running' : live.size > 0 ? 'partial' : 'stopped';
  let nodes: NodeStatus[] | undefined;
  let proxy: NodeStatus | undefined;
  if (state?.topology) {
    nodes = await nodeStatuses(state, await liveNodes(layout, state));
    proxy = nodes.find((n) => n.kind === 'proxy');
    const up = nodes.filter((n) => n.up).length;
    cluster = up === nodes.length ? 'running' : up > 0 ? 'partial' : 'stopped';
  } else if (state?.proxy) {
    proxy = proxyStatus(state, await liveNodes(layout, state));
    if (proxy && !proxy.up && cluster === 'running') cluster = 'partial';
    if (proxy?.up && cluster === 'stopped') cluster = 'partial';
  }

  let brokerRegistered: boolean | null = null;
  if (cluster === 'running' && state && !nodes) {
    const client = new RemotingClient({ timeoutMs: 2000, tls: probeTls(state.tls) });
    try {
      const info = await new NameServerClient(client, [state.namesrvAddr]).getClusterInfo();
      brokerRegistered = info.brokers.some((b) => b.brokerName === state.brokerName && b.addrs.has(0));
    } catch {
      brokerRegistered = false;
    } finally {
      client.close();
    }
  }
  const running = cluster !== 'stopped';
  const startedAt = running ? (state?.startedAt ?? null) : null;
  return {
    dir: layout.dir,
    state: cluster,
    version: state?.version ?? null,
    namesrvAddr: state?.namesrvAddr ?? null,
    brokerAddr: state?.brokerAddr ?? null,
    clusterName: state?.clusterName ?? null,
    brokerName: state?.brokerName ?? null,
    ports: state?.ports ?? null,
    processes: {
      namesrv: { pid: ns ?? null, running: ns !== undefined },
      broker: { pid: br ?? null, running: br !== undefined },
    },
    brokerRegistered,
    acl: state?.acl === true,
    tls: state?.tls === true,
    startedAt,
    uptimeMs: startedAt ? Date.now() - Date.parse(startedAt) : null,
    store: nodes
      ? { dir: layout.nodesDir, bytes: await diskUsage(layout.nodesDir) }
      : { dir: layout.storeDir, bytes: await diskUsage(layout.storeDir) },
    logs:
      nodes && state?.topology
        ? { namesrv: state.topology.nodes[0]!.mainLog, broker: firstBroker(state)!.mainLog }
        : { namesrv: logFiles(layout, 'namesrv').main, broker: logFiles(layout, 'broker').main },
    nodes,
    proxy,
  };
}

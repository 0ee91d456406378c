/**
 * Name-server client: cluster info, routes, topic list and name-server side deletes. Tries the
 * configured name servers in order and moves on when one cannot be reached.
 *
 * Name servers share nothing: each knows what the brokers registered with it, and one that was
 * restarted knows nothing until they register again (every 30 s), then only some of them for a
 * while. An answer that knows nothing (no topic at all) is therefore checked with the other name
 * servers, and believed only when none of them knows more; routes and cluster info, which may be
 * partial (a slave re-registered, its master not yet), are asked of every name server at once and
 * the answer that knows most is kept.
 */
import {
  BrokerResponseError,
  ConnectionError,
  NotANameServerError,
  NotFoundError,
  RocketMQError,
} from '../errors.js';
import {
  type BrokerData,
  type ClusterInfo,
  decodeClusterInfo,
  decodeTopicList,
  decodeTopicRoute,
  type TopicRoute,
} from '../protocol/route.js';
import { DELETE_TOPIC_ACCEPT, deleteTopicInNamesrvHeader } from '../protocol/delete-topic.js';
import { GET_ROUTEINFO_ACCEPT, getRouteInfoHeader } from '../protocol/get-routeinfo-by-topic.js';
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import type { RemotingCommand } from '../remoting/command.js';
import type { CallOptions, RemotingClient } from './remoting-client.js';

/** Splits `a:9876;b:9876` (RocketMQ's separator; commas accepted too). */
export function parseNamesrvList(value: string): string[] {
  return value
    .split(/[;,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** RequestCode's name for a code ("GET_BROKER_CLUSTER_INFO"), or the number. */
function requestName(code: number): string {
  return Object.entries(RequestCode).find(([, v]) => v === code)?.[0] ?? `request ${code}`;
}

/** What an answer knows: broker groups with a master count most, then groups, then nodes. */
function knowledge(brokers: readonly BrokerData[]): number {
  let masters = 0;
  let nodes = 0;
  for (const b of brokers) {
    if (b.addrs.has(0)) masters++;
    nodes += b.addrs.size;
  }
  return masters * 1e6 + brokers.length * 1e3 + Math.min(nodes, 999);
}

/** Every broker group has its master: nothing a re-registration could still add in the usual case. */
function hasEveryMaster(brokers: readonly BrokerData[]): boolean {
  return brokers.length > 0 && brokers.every((b) => b.addrs.has(0));
}

export class NameServerClient {
  private preferred = 0;

  constructor(
    readonly client: RemotingClient,
    readonly addresses: readonly string[],
  ) {
    if (addresses.length === 0) {
      throw new RocketMQError('invalid-argument', 'no name server address given', {
        reason: 'namesrv-missing',
      });
    }
    client.dialAsGiven(addresses);
  }

  /**
   * Asks every name server at once and keeps the answer of the highest `score` (the earliest name
   * server's on a tie); a single name server is simply asked. Once an answer is `complete`, the
   * others get GRACE_MS more: a name server that hangs must not hold up every route lookup.
   */
  private async askAll(
    code: number,
    ext: Record<string, string>,
    options: CallOptions | undefined,
    score: (res: RemotingCommand) => number,
    complete: (res: RemotingCommand) => boolean,
  ): Promise<RemotingCommand> {
    if (this.addresses.length === 1) return this.call(code, ext, options);
    const answers: (RemotingCommand | undefined)[] = this.addresses.map(() => undefined);
    const errors: unknown[] = [];
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      const all = this.addresses.map(async (address, i) => {
        try {
          const res = await this.client.call(address, code, ext, options);
          answers[i] = res;
          if (complete(res)) graceTimer ??= setTimeout(resolve, NameServerClient.GRACE_MS);
        } catch (err) {
          errors[i] = err;
        }
      });
      void Promise.all(all).then(() => resolve());
    });
    await grace;
    clearTimeout(graceTimer);
    let best = -1;
    for (let i = 0; i < answers.length; i++) {
      const res = answers[i];
      if (res && (best < 0 || score(res) > score(answers[best]!))) best = i;
    }
    if (best >= 0) {
      this.preferred = best;
      return answers[best]!;
    }
    const firstErr = errors.find((e) => e !== undefined);
    const other = errors.findIndex((e) => e !== undefined && !(e instanceof ConnectionError));
    if (other >= 0) throw this.translate(errors[other], this.addresses[other]!, code);
    return this.unreachable(firstErr);
  }

  /** How long the other name servers may still answer once one gave a complete answer. */
  static GRACE_MS = 300;

  /** A name server that does not know the request is no name server (a proxy, a broker). */
  private translate(err: unknown, address: string, code: number): unknown {
    if (err instanceof BrokerResponseError && err.responseCode === ResponseCode.REQUEST_CODE_NOT_SUPPORTED) {
      return new NotANameServerError(address, requestName(code), err.remark);
    }
    return err;
  }

  /** `uninformed`: an answer that may only mean this name server has not heard from the brokers yet. */
  private async call(
    code: number,
    ext: Record<string, string>,
    options?: CallOptions,
    uninformed: (res: RemotingCommand) => boolean = () => false,
  ): Promise<RemotingCommand> {
    let lastErr: unknown;
    let blank: RemotingCommand | undefined;
    for (let i = 0; i < this.addresses.length; i++) {
      const idx = (this.preferred + i) % this.addresses.length;
      try {
        const res = await this.client.call(this.addresses[idx]!, code, ext, options);
        if (uninformed(res)) {
          blank ??= res;
          continue;
        }
        this.preferred = idx;
        return res;
      } catch (err) {
        if (!(err instanceof ConnectionError)) throw this.translate(err, this.addresses[idx]!, code);
        lastErr = err;
      }
    }
    if (blank) return blank;
    return this.unreachable(lastErr);
  }

  private unreachable(lastErr: unknown): never {
    if (this.addresses.length > 1 && lastErr instanceof ConnectionError) {
      throw new ConnectionError(
        this.addresses.join(';'),
        `no name server reachable (${this.addresses.join(', ')}): ${lastErr.message}`,
        { cause: lastErr, reason: 'namesrv-unreachable', details: { addresses: this.addresses.length } },
      );
    }
    if (lastErr instanceof ConnectionError && !lastErr.reason && !lastErr.hint) {
      throw new ConnectionError(lastErr.address, lastErr.message, {
        cause: lastErr.cause,
        reason: 'namesrv-unreachable',
        details: { addresses: 1 },
      });
    }
    throw lastErr;
  }

  async getClusterInfo(): Promise<ClusterInfo> {
    const res = await this.askAll(
      RequestCode.GET_BROKER_CLUSTER_INFO,
      {},
      undefined,
      (r) => knowledge(decodeClusterInfo(r.body).brokers),
      (r) => hasEveryMaster(decodeClusterInfo(r.body).brokers),
    );
    return decodeClusterInfo(res.body);
  }

  /**
   * Cluster info as each name server has it. Name servers never talk to each other, so a broker
   * that failed to register with one of them is missing there only: asking one would hide it.
   */
  async clusterInfoEach(): Promise<{ address: string; info?: ClusterInfo; error?: unknown }[]> {
    return Promise.all(
      this.addresses.map(async (address) => {
        try {
          const res = await this.client.call(address, RequestCode.GET_BROKER_CLUSTER_INFO, {});
          return { address, info: decodeClusterInfo(res.body) };
        } catch (error) {
          return { address, error };
        }
      }),
    );
  }

  /** Route of a topic; NotFoundError when no broker serves it. */
  async getTopicRoute(topic: string): Promise<TopicRoute> {
    const route = (r: RemotingCommand) =>
      r.code === ResponseCode.TOPIC_NOT_EXIST ? undefined : decodeTopicRoute(r.body);
    const res = await this.askAll(
      RequestCode.GET_ROUTEINFO_BY_TOPIC,
      getRouteInfoHeader(topic),
      { accept: GET_ROUTEINFO_ACCEPT },
      (r) => {
        const rt = route(r);
        return rt ? knowledge(rt.brokers) : -1;
      },
      (r) => {
        const rt = route(r);
        return rt !== undefined && rt.queues.length > 0 && hasEveryMaster(rt.brokers);
      },
    );
    if (res.code === ResponseCode.TOPIC_NOT_EXIST) {
      throw new NotFoundError(`topic "${topic}" does not exist`, {
        reason: 'topic-not-found',
      });
    }
    return decodeTopicRoute(res.body);
  }

  async getTopicList(): Promise<string[]> {
    const res = await this.call(
      RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
      {},
      undefined,
      (r) => decodeTopicList(r.body).length === 0,
    );
    return decodeTopicList(res.body);
  }

  /**
   * Deletes the topic's route on every name server (each keeps its own copy). One that cannot be
   * reached is skipped when another took the delete: a name server keeps routes in memory only,
   * so a dead one holds none (one cut off by the network keeps its copy until deleted again).
   */
  async deleteTopic(topic: string, clusterName?: string): Promise<void> {
    const ext = deleteTopicInNamesrvHeader(topic, clusterName);
    let unreachable: unknown;
    let deleted = 0;
    for (const addr of this.addresses) {
      try {
        await this.client.call(addr, RequestCode.DELETE_TOPIC_IN_NAMESRV, ext, {
          accept: DELETE_TOPIC_ACCEPT,
        });
        deleted++;
      } catch (err) {
        if (
          err instanceof BrokerResponseError &&
          err.responseCode === ResponseCode.REQUEST_CODE_NOT_SUPPORTED
        ) {
          throw new NotANameServerError(addr, 'DELETE_TOPIC_IN_NAMESRV', err.remark);
        }
        if (!(err instanceof ConnectionError)) throw err;
        unreachable ??= err;
      }
    }
    if (deleted === 0) throw unreachable;
  }
}

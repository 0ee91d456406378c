/**
 * Name-server client: cluster info, routes, topic list and name-server side deletes. Tries the
 * configured name servers in order and moves on when one cannot be reached.
 */
import {
  BrokerResponseError,
  ConnectionError,
  NotANameServerError,
  NotFoundError,
  RocketMQError,
} from '../errors.js';
import {
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

  private async call(
    code: number,
    ext: Record<string, string>,
    options?: CallOptions,
  ): Promise<RemotingCommand> {
    let lastErr: unknown;
    for (let i = 0; i < this.addresses.length; i++) {
      const idx = (this.preferred + i) % this.addresses.length;
      try {
        const res = await this.client.call(this.addresses[idx]!, code, ext, options);
        this.preferred = idx;
        return res;
      } catch (err) {
        if (
          err instanceof BrokerResponseError &&
          err.responseCode === ResponseCode.REQUEST_CODE_NOT_SUPPORTED
        ) {
          throw new NotANameServerError(this.addresses[idx]!, requestName(code), err.remark);
        }
        if (!(err instanceof ConnectionError)) throw err;
        lastErr = err;
      }
    }
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
    const res = await this.call(RequestCode.GET_BROKER_CLUSTER_INFO, {});
    return decodeClusterInfo(res.body);
  }

  /** Route of a topic; NotFoundError when no broker serves it. */
  async getTopicRoute(topic: string): Promise<TopicRoute> {
    const res = await this.call(RequestCode.GET_ROUTEINFO_BY_TOPIC, getRouteInfoHeader(topic), {
      accept: GET_ROUTEINFO_ACCEPT,
    });
    if (res.code === ResponseCode.TOPIC_NOT_EXIST) {
      throw new NotFoundError(`topic "${topic}" does not exist`, {
        reason: 'topic-not-found',
      });
    }
    return decodeTopicRoute(res.body);
  }

  async getTopicList(): Promise<string[]> {
    const res = await this.call(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, {});
    return decodeTopicList(res.body);
  }

  /** Deletes the topic's route on every name server (each keeps its own copy). */
  async deleteTopic(topic: string, clusterName?: string): Promise<void> {
    const ext = deleteTopicInNamesrvHeader(topic, clusterName);
    for (const addr of this.addresses) {
      await this.client
        .call(addr, RequestCode.DELETE_TOPIC_IN_NAMESRV, ext, { accept: DELETE_TOPIC_ACCEPT })
        .catch((err: unknown) => {
          if (
            err instanceof BrokerResponseError &&
            err.responseCode === ResponseCode.REQUEST_CODE_NOT_SUPPORTED
          ) {
            throw new NotANameServerError(addr, 'DELETE_TOPIC_IN_NAMESRV', err.remark);
          }
          throw err;
        });
    }
  }
}

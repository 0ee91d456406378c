/**
 * Day-2 admin calls: broker runtime stats and configuration, name-server configuration and KV
 * config, and who is connected (consumer and producer connections, consumers' running info).
 * Each call sends one request whose wire layout lives in its own protocol module; this class
 * only addresses it and maps the accepted response codes to results.
 */
import { BrokerResponseError } from '../errors.js';
import { decodeRuntimeInfo } from '../protocol/broker-runtime-info.js';
import {
  type ClientConnection,
  type ConsumerConnectionList,
  decodeConsumerConnectionList,
  decodeProducerConnectionList,
} from '../protocol/connection-list.js';
import { type ConsumerRunningInfo, decodeConsumerRunningInfo } from '../protocol/consumer-running-info.js';
import { decodeBrokerConfig } from '../protocol/get-broker-config.js';
import { decodeNamesrvConfig } from '../protocol/get-namesrv-config.js';
import { encodeBrokerConfigUpdate } from '../protocol/update-broker-config.js';
import { encodeNamesrvConfigUpdate } from '../protocol/update-namesrv-config.js';
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import type { RemotingClient } from './remoting-client.js';

/** The broker waits 10 s for a client's running info; ours must outlast that to see its verdict. */
const RUNNING_INFO_TIMEOUT_MS = 15_000;

export type RunningInfoOutcome =
  { ok: true; info: ConsumerRunningInfo } | { ok: false; code: number; reason: string };

export class Ops {
  constructor(readonly client: RemotingClient) {}

  async brokerRuntimeInfo(
    address: string,
  ): Promise<{ table: Record<string, string>; serverVersion: number }> {
    const res = await this.client.call(address, RequestCode.GET_BROKER_RUNTIME_INFO, {});
    return { table: decodeRuntimeInfo(res.body), serverVersion: res.version };
  }

  async brokerConfig(address: string): Promise<Map<string, string>> {
    return decodeBrokerConfig(await this.client.call(address, RequestCode.GET_BROKER_CONFIG, {}));
  }

  async updateBrokerConfig(address: string, changes: ReadonlyMap<string, string>): Promise<void> {
    await this.client.call(
      address,
      RequestCode.UPDATE_BROKER_CONFIG,
      {},
      { body: encodeBrokerConfigUpdate(changes) },
    );
  }

  async namesrvConfig(address: string): Promise<Map<string, string>> {
    return decodeNamesrvConfig(await this.client.call(address, RequestCode.GET_NAMESRV_CONFIG, {}));
  }

  async updateNamesrvConfig(address: string, changes: ReadonlyMap<string, string>): Promise<void> {
    await this.client.call(
      address,
      RequestCode.UPDATE_NAMESRV_CONFIG,
      {},
      { body: encodeNamesrvConfigUpdate(changes) },
    );
  }

  /** Consumers of a group connected to one broker; undefined when none is. */
  async consumerConnections(address: string, group: string): Promise<ConsumerConnectionList | undefined> {
    const res = await this.client.call(
      address,
      RequestCode.GET_CONSUMER_CONNECTION_LIST,
      { consumerGroup: group },
      { accept: [ResponseCode.SUCCESS, ResponseCode.CONSUMER_NOT_ONLINE] },
    );
    return res.code === ResponseCode.SUCCESS ? decodeConsumerConnectionList(res.body) : undefined;
  }

  /** Producers of a group connected to one broker; empty when none is (the broker says SYSTEM_ERROR). */
  async producerConnections(address: string, group: string): Promise<ClientConnection[]> {
    const res = await this.client.call(
      address,
      RequestCode.GET_PRODUCER_CONNECTION_LIST,
      { producerGroup: group },
      { accept: [ResponseCode.SUCCESS, ResponseCode.SYSTEM_ERROR] },
    );
    return res.code === ResponseCode.SUCCESS ? decodeProducerConnectionList(res.body) : [];
  }

  /** Asks one client, through a broker it is connected to, for its running info. */
  async consumerRunningInfo(
    address: string,
    group: string,
    clientId: string,
    jstack: boolean,
  ): Promise<RunningInfoOutcome> {
    const res = await this.client.call(
      address,
      RequestCode.GET_CONSUMER_RUNNING_INFO,
      { consumerGroup: group, clientId, jstackEnable: String(jstack) },
      {
        timeoutMs: Math.max(this.client.timeoutMs, RUNNING_INFO_TIMEOUT_MS),
        accept: [
          ResponseCode.SUCCESS,
          ResponseCode.SYSTEM_ERROR,
          ResponseCode.CONSUME_MSG_TIMEOUT,
          ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
        ],
      },
    );
    if (res.code === ResponseCode.SUCCESS) return { ok: true, info: decodeConsumerRunningInfo(res.body) };
    return {
      ok: false,
      code: res.code,
      reason: new BrokerResponseError(res.code, res.remark, address).message,
    };
  }
}

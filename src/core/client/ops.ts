/**
 * Day-2 admin calls: broker runtime stats and configuration, name-server configuration and KV
 * config, and who is connected (consumer and producer connections, consumers' running info).
 * Each call sends one request whose wire layout lives in its own protocol module; this class
 * only addresses it and maps the accepted response codes to results.
 */
import { BrokerResponseError } from '../errors.js';
import { decodeHaStatus, type HaStatus } from '../protocol/broker-ha-status.js';
import { decodeRuntimeInfo } from '../protocol/broker-runtime-info.js';
import {
  decodeDLedgerMetadata,
  DLEDGER_METADATA,
  DLEDGER_METADATA_ACCEPT,
  dledgerMetadataBody,
} from '../protocol/dledger-metadata.js';
import {
  type ClientConnection,
  type ConsumerConnectionList,
  decodeConsumerConnectionList,
  decodeProducerConnectionList,
} from '../protocol/connection-list.js';
import { type ConsumerRunningInfo, decodeConsumerRunningInfo } from '../protocol/consumer-running-info.js';
import {
  CONSUME_MESSAGE_DIRECTLY_ACCEPT,
  type ConsumeMessageDirectlyResult,
  consumeMessageDirectlyHeader,
  decodeConsumeMessageDirectlyResult,
} from '../protocol/consume-message-directly.js';
import {
  decodeReplicaInfo,
  type ReplicaInfo,
  replicaInfoHeader,
} from '../protocol/controller-replica-info.js';
import { CREATE_TOPIC_ACCEPT, type CreateTopic, createTopicHeader } from '../protocol/create-topic.js';
import { decodeBrokerConfig } from '../protocol/get-broker-config.js';
import { GET_TOPIC_CONFIG_ACCEPT, getTopicConfigHeader } from '../protocol/get-topic-config.js';
import { decodeAllTopicConfig, decodeTopicConfig, type TopicConfig } from '../protocol/admin.js';
import { parseFastjson } from '../remoting/fastjson.js';
import { decodeNamesrvConfig } from '../protocol/get-namesrv-config.js';
import { encodeBrokerConfigUpdate } from '../protocol/update-broker-config.js';
import { encodeNamesrvConfigUpdate } from '../protocol/update-namesrv-config.js';
import { DELETE_KV_CONFIG_ACCEPT, deleteKvConfigHeader } from '../protocol/delete-kv-config.js';
import { decodeKvConfigValue, GET_KV_CONFIG_ACCEPT, getKvConfigHeader } from '../protocol/get-kv-config.js';
import {
  decodeKvList,
  GET_KVLIST_BY_NAMESPACE_ACCEPT,
  getKvListByNamespaceHeader,
} from '../protocol/get-kvlist-by-namespace.js';
import { PUT_KV_CONFIG_ACCEPT, putKvConfigHeader } from '../protocol/put-kv-config.js';
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import type { RemotingClient } from './remoting-client.js';

/**
 * The broker waits 10 s for a client's running info or direct consume; ours must outlast that to
 * see its verdict.
 */
const RUNNING_INFO_TIMEOUT_MS = 15_000;

export type ConsumeDirectlyOutcome =
  { ok: true; result: ConsumeMessageDirectlyResult } | { ok: false; code: number; reason: string };

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

  /** 5.x: replication as the broker sees it (see broker-ha-status.ts). */
  async haStatus(address: string): Promise<HaStatus> {
    return decodeHaStatus((await this.client.call(address, RequestCode.GET_BROKER_HA_STATUS, {})).body);
  }

  /** 5.x: a broker group as its controller sees it (see controller-replica-info.ts). */
  async replicaInfo(controller: string, brokerName: string): Promise<ReplicaInfo> {
    return decodeReplicaInfo(
      await this.client.call(
        controller,
        RequestCode.CONTROLLER_GET_REPLICA_INFO,
        replicaInfoHeader(brokerName),
      ),
    );
  }

  /** Who a DLedger node says leads its raft group (null while it elects). */
  async dledgerLeader(raftAddress: string, group: string, selfId: string): Promise<string | null> {
    const res = await this.client.call(
      raftAddress,
      DLEDGER_METADATA,
      {},
      { body: dledgerMetadataBody(group, selfId), accept: DLEDGER_METADATA_ACCEPT },
    );
    return decodeDLedgerMetadata(res).leaderId;
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

  /** One KV-config key on one name server; undefined when it has no such key. */
  async kvConfig(address: string, namespace: string, key: string): Promise<string | undefined> {
    const res = await this.client.call(
      address,
      RequestCode.GET_KV_CONFIG,
      getKvConfigHeader(namespace, key),
      {
        accept: GET_KV_CONFIG_ACCEPT,
      },
    );
    return decodeKvConfigValue(res);
  }

  /** A KV-config namespace on one name server; undefined when it has no such namespace. */
  async kvList(address: string, namespace: string): Promise<Record<string, string> | undefined> {
    const res = await this.client.call(
      address,
      RequestCode.GET_KVLIST_BY_NAMESPACE,
      getKvListByNamespaceHeader(namespace),
      { accept: GET_KVLIST_BY_NAMESPACE_ACCEPT },
    );
    return decodeKvList(res);
  }

  async putKvConfig(address: string, namespace: string, key: string, value: string): Promise<void> {
    await this.client.call(address, RequestCode.PUT_KV_CONFIG, putKvConfigHeader(namespace, key, value), {
      accept: PUT_KV_CONFIG_ACCEPT,
    });
  }

  async deleteKvConfig(address: string, namespace: string, key: string): Promise<void> {
    await this.client.call(address, RequestCode.DELETE_KV_CONFIG, deleteKvConfigHeader(namespace, key), {
      accept: DELETE_KV_CONFIG_ACCEPT,
    });
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

  /**
   * Has the broker that stores a message (`address`, by its offset id) deliver it to one client
   * of a group; the client's verdict, or why there is none.
   */
  async consumeMessageDirectly(
    address: string,
    input: { group: string; clientId: string; offsetMsgId: string; topic?: string | undefined },
  ): Promise<ConsumeDirectlyOutcome> {
    const res = await this.client.call(
      address,
      RequestCode.CONSUME_MESSAGE_DIRECTLY,
      consumeMessageDirectlyHeader({
        consumerGroup: input.group,
        clientId: input.clientId,
        msgId: input.offsetMsgId,
        topic: input.topic,
      }),
      {
        timeoutMs: Math.max(this.client.timeoutMs, RUNNING_INFO_TIMEOUT_MS),
        accept: CONSUME_MESSAGE_DIRECTLY_ACCEPT,
      },
    );
    if (res.code === ResponseCode.SUCCESS) {
      return { ok: true, result: decodeConsumeMessageDirectlyResult(res.body) };
    }
    return {
      ok: false,
      code: res.code,
      reason: new BrokerResponseError(res.code, res.remark, address).message,
    };
  }

  /**
   * One topic's config on one broker: GET_TOPIC_CONFIG (5.x), else the broker's whole topic
   * table (4.9 has no single-topic request). Undefined when the broker lacks the topic.
   */
  async topicConfig(address: string, topic: string): Promise<TopicConfig | undefined> {
    const res = await this.client.call(address, RequestCode.GET_TOPIC_CONFIG, getTopicConfigHeader(topic), {
      accept: GET_TOPIC_CONFIG_ACCEPT,
    });
    if (res.code === ResponseCode.SUCCESS && res.body) return decodeTopicConfig(parseFastjson(res.body));
    if (res.code === ResponseCode.TOPIC_NOT_EXIST) return undefined;
    const all = await this.client.call(address, RequestCode.GET_ALL_TOPIC_CONFIG, {});
    return decodeAllTopicConfig(all.body).find((t) => t.topicName === topic);
  }

  /** UPDATE_AND_CREATE_TOPIC to one broker: its config of the topic becomes `t`. */
  async updateTopic(address: string, t: CreateTopic): Promise<void> {
    await this.client.call(address, RequestCode.UPDATE_AND_CREATE_TOPIC, createTopicHeader(t), {
      accept: CREATE_TOPIC_ACCEPT,
    });
  }
}

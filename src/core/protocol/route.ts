/**
 * Name-server bodies: ClusterInfo (GET_BROKER_CLUSTER_INFO, 106), TopicRouteData
 * (GET_ROUTEINFO_BY_TOPIC, 105) and TopicList (206).
 *
 * ClusterInfo (fastjson, brokerAddrs keys are bare longs):
 *   {"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"127.0.0.1:10911"},"brokerName":"broker-a",
 *     "cluster":"DefaultCluster","enableActingMaster":false}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}
 * TopicRouteData:
 *   {"brokerDatas":[{"brokerAddrs":{"0":"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"C"}],
 *    "queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":8,"topicSysFlag":0,"writeQueueNums":8}],
 *    "orderTopicConf":"broker-a:8", "filterServerTable":{}}
 * TopicList: {"topicList":["A","B"],"brokerAddr":null}
 */
import { ProtocolError } from '../errors.js';
import { jsonNumber, jsonText, mapEntries, parseFastjson } from '../remoting/fastjson.js';

export interface BrokerData {
  cluster: string;
  brokerName: string;
  /** brokerId → address; id 0 is the master. */
  addrs: Map<number, string>;
}

export interface ClusterInfo {
  brokers: BrokerData[];
  /** cluster name → broker names */
  clusters: Map<string, string[]>;
}

export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

export interface TopicRoute {
  brokers: BrokerData[];
  queues: QueueData[];
  orderTopicConf?: string | undefined;
}

const obj = (v: unknown, what: string): Record<string, unknown> => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ProtocolError(`${what} is not an object`);
  return v as Record<string, unknown>;
};
const str = jsonText;
const num = (v: unknown): number => jsonNumber(v ?? 0);

function decodeBrokerData(v: unknown): BrokerData {
  const o = obj(v, 'broker data');
  const addrs = new Map<number, string>();
  for (const [k, a] of mapEntries(o.brokerAddrs)) addrs.set(Number(k), str(a));
  return { cluster: str(o.cluster), brokerName: str(o.brokerName), addrs };
}

export function decodeClusterInfo(body: Buffer | undefined): ClusterInfo {
  const root = obj(parseFastjson(body ?? '{}'), 'cluster info');
  const brokers = mapEntries(root.brokerAddrTable).map(([, v]) => decodeBrokerData(v));
  const clusters = new Map<string, string[]>();
  for (const [k, v] of mapEntries(root.clusterAddrTable)) {
    clusters.set(str(k), Array.isArray(v) ? v.map(str) : []);
  }
  return { brokers, clusters };
}

export function decodeTopicRoute(body: Buffer | undefined): TopicRoute {
  const root = obj(parseFastjson(body ?? '{}'), 'topic route');
  const brokers = (Array.isArray(root.brokerDatas) ? root.brokerDatas : []).map(decodeBrokerData);
  const queues = (Array.isArray(root.queueDatas) ? root.queueDatas : []).map((q) => {
    const o = obj(q, 'queue data');
    return {
      brokerName: str(o.brokerName),
      readQueueNums: num(o.readQueueNums),
      writeQueueNums: num(o.writeQueueNums),
      perm: num(o.perm),
      topicSysFlag: num(o.topicSysFlag),
    };
  });
  return {
    brokers,
    queues,
    orderTopicConf: typeof root.orderTopicConf === 'string' ? root.orderTopicConf : undefined,
  };
}

export function decodeTopicList(body: Buffer | undefined): string[] {
  const root = obj(parseFastjson(body ?? '{}'), 'topic list');
  return Array.isArray(root.topicList) ? root.topicList.map(str) : [];
}

/** Master (id 0) address of a broker, if it has one. */
export const masterAddress = (b: BrokerData): string | undefined => b.addrs.get(0);

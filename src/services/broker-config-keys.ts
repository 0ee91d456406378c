/**
 * Which broker config keys take effect on a running broker after UPDATE_BROKER_CONFIG.
 *
 * The broker sets every key on its config objects at once, but many are read only while it
 * starts (thread pools, ports, store layout, services it builds). A key is listed as applied at
 * run time only where RocketMQ 5.3's source reads it on each use (per request, or per round of
 * a periodic service); the place is noted. Every other key is reported as needing a restart: that
 * is the safe reading for keys not checked here, not a claim that each is read only at startup.
 */
export const HOT_BROKER_KEYS: Readonly<Record<string, string>> = {
  brokerPermission: 'AdminBrokerProcessor#updateBrokerConfig re-registers the broker at once',
  autoCreateTopicEnable: 'TopicConfigManager#createTopicInSendMessageMethod, per send',
  autoCreateSubscriptionGroup: 'SubscriptionGroupManager#findSubscriptionGroupConfig, per request',
  slaveReadEnable: 'PullMessageProcessor, per pull',
  longPollingEnable: 'DefaultPullMessageResultHandler and PullRequestHoldService, per pull',
  shortPollingTimeMills: 'DefaultPullMessageResultHandler, per pull',
  enablePropertyFilter: 'ClientManageProcessor and PullMessageProcessor, per request',
  rejectTransactionMessage: 'SendMessageProcessor, per send',
  transactionCheckInterval: 'TransactionalMessageCheckService, each round',
  fileReservedTime: 'DefaultMessageStore.CleanCommitLogService, each round',
  deleteWhen: 'DefaultMessageStore#isTimeToDelete, each round',
  diskMaxUsedSpaceRatio: 'DefaultMessageStore.CleanCommitLogService, each round',
  waitTimeMillsInSendQueue: 'BrokerFastFailure, each 10 ms sweep',
  recallMessageEnable: 'RecallMessageProcessor, per request (5.3.2+)',
  osPageCacheBusyTimeOutMills: 'DefaultMessageStore#isOSPageCacheBusy, per send',
  accessMessageInMemoryMaxRatio: 'DefaultMessageStore#getMessage, per pull',
  maxTransferCountOnMessageInMemory: 'DefaultMessageStore#isTheBatchFull, per pull',
  maxTransferBytesOnMessageInMemory: 'DefaultMessageStore#isTheBatchFull, per pull',
  maxTransferCountOnMessageInDisk: 'DefaultMessageStore#isTheBatchFull, per pull',
  maxTransferBytesOnMessageInDisk: 'DefaultMessageStore#isTheBatchFull, per pull',
};

/**
 * Keys whose value differs from machine to machine or names the broker itself: left out of a
 * diff between two brokers unless asked for, since they always differ.
 */
export const IDENTITY_BROKER_KEYS: ReadonlySet<string> = new Set([
  'brokerName',
  'brokerId',
  'brokerIP1',
  'brokerIP2',
  'listenPort',
  'haListenPort',
  'brokerConfigPath',
  'storePathRootDir',
  'storePathCommitLog',
  'storePathConsumeQueue',
  'storePathEpochFile',
  'storePathBrokerIdentity',
  'storePathDLedgerCommitLog',
  'timerStorePath',
  'rocketmqHome',
  'kvConfigPath',
  'configStorePath',
  'fastListenPort',
  'region',
  'namesrvAddr',
]);

export function appliesAtRunTime(key: string): boolean {
  return Object.hasOwn(HOT_BROKER_KEYS, key);
}

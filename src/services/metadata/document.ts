/**
 * The metadata document of `rmq export`, `rmq diff` and `rmq apply`: a cluster's topics and
 * consumer groups as data. schemas/metadata-document.json is generated from MetadataDocument
 * (scripts/json-schemas.mjs); ./validate.ts enforces the same rules with the file's line and
 * column in its messages, and test/unit/metadata.test.ts keeps the two in agreement.
 *
 * A field left out of a topic or group is not managed: diff ignores it and apply leaves the
 * cluster's value (or RocketMQ's default, on create). `rmq export` writes every field.
 */

export const API_VERSION = 'rmq/v1';
export const DOCUMENT_KIND = 'ClusterMetadata';

/** What `--include` may name (acl: ACL 2.0 users and policies, RocketMQ 5.3+). */
export const INCLUDES = ['topics', 'groups', 'acl'] as const;
export type Include = (typeof INCLUDES)[number];

/**
 * A whole number.
 * @minimum 0
 * @asType integer
 */
export type Integer = number;

export const PERMS = ['rw', 'r', 'w', '-'] as const;
export type PermText = (typeof PERMS)[number];

/**
 * The message types of 5.x (TopicMessageType; PRIORITY from 5.4). A newer broker's own (5.5's
 * LITE, …) is taken as written, so a document exported from it still reads.
 */
export const MESSAGE_TYPES = [
  'UNSPECIFIED',
  'NORMAL',
  'FIFO',
  'DELAY',
  'TRANSACTION',
  'PRIORITY',
  'MIXED',
] as const;
export const MESSAGE_TYPE_RE = /^[A-Z][A-Z_]{0,31}$/;

/** @pattern ^[a-zA-Z0-9_.:-]{1,127}$ */
export type BrokerName = string;

/** Where a topic or group is, when not on every master of the cluster alike. */
export interface TopicPlacement {
  /**
   * @minimum 1
   * @maximum 1024
   * @asType integer
   */
  readQueues?: number;
  /**
   * @minimum 1
   * @maximum 1024
   * @asType integer
   */
  writeQueues?: number;
  perm?: PermText;
}

export interface TopicSpec {
  /**
   * @minimum 1
   * @maximum 1024
   * @asType integer
   */
  readQueues?: number;
  /**
   * @minimum 1
   * @maximum 1024
   * @asType integer
   */
  writeQueues?: number;
  /** Read/write permission: rw, r (read-only), w (write-only) or - (neither). */
  perm?: PermText;
  /** Ordered topic (the name servers' ORDER_TOPIC_CONFIG). */
  order?: boolean;
  /**
   * 5.x topic attribute message.type: NORMAL, FIFO, DELAY, TRANSACTION, MIXED, UNSPECIFIED, or a
   * newer broker's own.
   * @pattern ^[A-Z][A-Z_]{0,31}$
   */
  messageType?: string;
  /**
   * Other 5.x topic attributes (queue.type, cleanup.policy, reserve.time, …), as the broker stores them.
   * @propertyNames {"pattern": "^[a-zA-Z0-9._]+$", "not": {"const": "message.type"}}
   */
  attributes?: Record<string, string>;
  /**
   * Per broker, when the topic is not on every master alike: it is on exactly these brokers,
   * each with these values (a value left out here is the topic's own).
   * @minProperties 1
   * @propertyNames {"pattern": "^[a-zA-Z0-9_.:-]{1,127}$"}
   */
  brokers?: Record<string, TopicPlacement>;
}

export interface CustomizedRetryPolicy {
  type: 'CUSTOMIZED';
  /** Delay before each redelivery, in milliseconds. */
  next?: Integer[];
}

export interface ExponentialRetryPolicy {
  type: 'EXPONENTIAL';
  /**
   * @minimum 0
   * @asType integer
   */
  initial?: number;
  /**
   * @minimum 0
   * @asType integer
   */
  max?: number;
  /**
   * @minimum 1
   * @asType integer
   */
  multiplier?: number;
}

export type RetryPolicy = CustomizedRetryPolicy | ExponentialRetryPolicy;

export interface GroupSpec {
  /**
   * Deliveries before a message goes to the group's DLQ.
   * @minimum 0
   * @maximum 1000
   * @asType integer
   */
  retryMaxTimes?: number;
  /**
   * @minimum 0
   * @maximum 1024
   * @asType integer
   */
  retryQueueNums?: number;
  /** consumeBroadcastEnable */
  broadcast?: boolean;
  /** consumeMessageOrderly (5.x) */
  orderly?: boolean;
  consumeEnable?: boolean;
  consumeFromMinEnable?: boolean;
  /**
   * @minimum 0
   * @asType integer
   */
  whichBrokerWhenConsumeSlowly?: number;
  notifyConsumerIdsChangedEnable?: boolean;
  /**
   * @minimum 0
   * @asType integer
   */
  brokerId?: number;
  /**
   * 5.x
   * @minimum 0
   * @asType integer
   */
  consumeTimeoutMinute?: number;
  /** groupRetryPolicy (5.x) */
  retryPolicy?: RetryPolicy;
  /**
   * The brokers the group is on, when not on every master of the cluster.
   * @minItems 1
   */
  brokers?: BrokerName[];
}

export interface DocumentMetadata {
  /** Where the document was exported from (informational: apply never reads it). */
  source?: {
    cluster?: string | null;
    namesrv?: string;
    brokerVersion?: string | null;
  };
  exportedAt?: string;
}

export interface DocumentScope {
  /**
   * The names this document manages: diff and apply look only at topics and groups whose names
   * start with it (what --prune may delete, too). `rmq export --prefix` writes it.
   * @pattern ^[%|a-zA-Z0-9_-]+$
   */
  prefix?: string;
}

/** An ACL 2.0 user (RocketMQ 5.3+). */
export interface AclUserSpec {
  type?: 'Super' | 'Normal';
  status?: 'enable' | 'disable';
  /**
   * Used when apply creates the user (one without it is refused); never compared with an existing
   * user's, which rmq does not read. `rmq export --with-secrets` writes it.
   * @minLength 1
   */
  password?: string;
}

/** One entry of a subject's policy: what it may (or may not) do with a resource. */
export interface AclPolicyEntrySpec {
  /** "Topic:orders", "Topic:ord*", "Group:billing", "Cluster:*", "*"… */
  resource: string;
  /** @minItems 1 */
  actions: ('All' | 'Pub' | 'Sub' | 'Create' | 'Update' | 'Delete' | 'Get' | 'List')[];
  decision: 'Allow' | 'Deny';
  sourceIps?: string[];
}

export interface AclSpec {
  /** @propertyNames {"pattern": "^[%|a-zA-Z0-9_.@-]{1,255}$"} */
  users?: Record<string, AclUserSpec>;
  /**
   * By subject ("User:alice"): its whole custom policy. Entries of other resources on the broker
   * are deleted by apply.
   * @propertyNames {"pattern": "^User:[%|a-zA-Z0-9_.@-]{1,255}$"}
   */
  policies?: Record<string, AclPolicyEntrySpec[]>;
}

/** The document as written by `rmq export` and read by `rmq diff` and `rmq apply`. */
export interface MetadataDocument {
  apiVersion: 'rmq/v1';
  kind: 'ClusterMetadata';
  metadata?: DocumentMetadata;
  scope?: DocumentScope;
  /** @propertyNames {"pattern": "^[%|a-zA-Z0-9_-]{1,127}$"} */
  topics?: Record<string, TopicSpec>;
  /** @propertyNames {"pattern": "^[%|a-zA-Z0-9_-]{1,120}$"} */
  groups?: Record<string, GroupSpec>;
  /** ACL 2.0 users and policies (`--include acl`, RocketMQ 5.3+). */
  acl?: AclSpec;
}

/**
 * The group fields only 5.x brokers have (4.x ignores them). Group attributes are left out of the
 * document: RocketMQ defines none (SubscriptionGroupAttributes is empty), so a broker refuses any.
 */
export const GROUP_FIELDS_5X = ['orderly', 'consumeTimeoutMinute', 'retryPolicy'] as const;
/** The topic fields only 5.x brokers have: 4.x topics carry no attributes. */
export const TOPIC_FIELDS_5X = ['messageType', 'attributes'] as const;

/**
 * `rmq broker perm <broker> --read-only | --read-write`: stop or restart writes to a master, as
 * for taking it out of service (consumers drain it while producers go elsewhere).
 *
 * mqadmin has two ways; this uses the broker's `brokerPermission` config (mqadmin
 * updateBrokerConfig -k brokerPermission), not wipeWritePerm/addWritePerm (WIPE_WRITE_PERM_OF_BROKER
 * 205 / ADD_WRITE_PERM_OF_BROKER 327, to each name server). In both, what stops producers is the
 * route: a RocketMQ broker does not check write permission on an ordinary send (msgCheck refuses
 * one only for an ordered topic, "the broker[…] sending message is forbidden"), so a producer
 * writes to a broker as long as its route says the queue is writable. Why brokerPermission, from
 * RocketMQ's source:
 * - The broker registers at once (it bumps its data version), reporting every topic's perm masked
 *   by brokerPermission, and again every 30 s: the routes stay read-only through name-server
 *   restarts and through topics created or changed on the broker. It is saved in the broker's
 *   config file, so it outlives a broker restart. The broker itself refuses sends to ordered
 *   topics and consumers' send-backs (retries then go through other brokers).
 * - wipeWritePerm only edits the name servers' in-memory routes: a name-server restart forgets it,
 *   and the broker's next registration with a new data version (any topic created or changed on
 *   it) puts write back. addWritePerm sets every topic of the broker to read-write in the routes,
 *   read-only topics too.
 * Setting brokerPermission also undoes an earlier wipeWritePerm: the registration rewrites the
 * routes from the broker's topic configs.
 *
 * Like `broker config set`, updateBrokerConfig makes the broker rewrite its whole config file.
 */
import type { Admin } from '../core/client/admin.js';
import { Ops } from '../core/client/ops.js';
import { InvalidArgumentError, ProtocolError } from '../core/errors.js';
import { Perm, permToString } from '../core/protocol/admin.js';
import { type BrokerRef, resolveBroker } from './broker.js';

export interface BrokerPermResult {
  broker: BrokerRef;
  mode: 'read-only' | 'read-write';
  /** brokerPermission as PermName bits, and as R/W/X letters. */
  permission: { old: number; new: number; oldText: string; newText: string };
  changed: boolean;
  dryRun: boolean;
  /** The file the broker rewrites with all its keys. */
  configFile: string | null;
  keysWritten: number;
  /** After applying: whether the broker reads back the new value. */
  applied?: boolean;
}

export async function planBrokerPerm(
  admin: Admin,
  input: { broker: string; mode: 'read-only' | 'read-write'; dryRun: boolean },
): Promise<{ plan: BrokerPermResult; apply: () => Promise<BrokerPermResult> }> {
  const broker = await resolveBroker(admin, input.broker);
  if (broker.role !== 'MASTER') {
    throw new InvalidArgumentError(
      `${broker.address} is a slave of ${broker.brokerName}: slaves take no writes anyway`,
      { hint: `name the master: \`rmq broker perm ${broker.brokerName}\`` },
    );
  }
  const ops = new Ops(admin.client);
  const config = await ops.brokerConfig(broker.address);
  const raw = config.get('brokerPermission');
  const old = Number(raw);
  if (raw === undefined || !Number.isInteger(old) || old < 0 || old > 15) {
    throw new ProtocolError(`broker ${broker.brokerName} reports brokerPermission "${raw ?? '(none)'}"`);
  }
  const next = input.mode === 'read-only' ? (old & ~Perm.WRITE) | Perm.READ : old | Perm.READ | Perm.WRITE;
  const plan: BrokerPermResult = {
    broker,
    mode: input.mode,
    permission: { old, new: next, oldText: permToString(old), newText: permToString(next) },
    changed: next !== old,
    dryRun: input.dryRun,
    configFile: config.get('brokerConfigPath') || null,
    keysWritten: config.size,
  };
  const apply = async (): Promise<BrokerPermResult> => {
    if (!plan.changed) return plan;
    await ops.updateBrokerConfig(broker.address, new Map([['brokerPermission', String(next)]]));
    const after = await ops.brokerConfig(broker.address);
    return { ...plan, applied: after.get('brokerPermission') === String(next) };
  };
  return { plan, apply };
}

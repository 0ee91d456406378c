/**
 * The CLI's advice for the core's errors. The core says what went wrong (`reason`, `details`)
 * and never names a flag, a command or an environment variable; this table says what an rmq
 * user can do about it, in rmq's words. test/unit/core-words.test.ts keeps the core clean.
 */
import { type ErrorReason, RocketMQError } from './core/errors.js';
import { VERSION_5_2_0, VERSION_5_3_0 } from './core/remoting/command.js';

const CREDENTIALS =
  'set RMQ_ACCESS_KEY and RMQ_SECRET_KEY (or --access-key/--secret-key, or a --profile that has them)';

const ADVICE: Partial<Record<ErrorReason, (err: RocketMQError) => string>> = {
  'namesrv-missing': () => 'pass --namesrv host:port or set NAMESRV_ADDR',
  'namesrv-unreachable': (e) =>
    Number(e.details?.addresses ?? 1) > 1
      ? 'check --namesrv / NAMESRV_ADDR, or start one with `rmq local up`'
      : 'check --namesrv / NAMESRV_ADDR, or start a local cluster with `rmq local up`',
  'no-master': () => 'start one with `rmq local up`, or check --namesrv',
  'unknown-broker': () => 'see `rmq cluster list` for broker names and addresses',
  'broker-unreachable': () =>
    'if the broker advertises an address only its own network reaches (a container, NAT), map it: --broker-address-map ADVERTISED=REACHABLE',
  'mapped-broker-unreachable': () =>
    'check --broker-address-map (RMQ_BROKER_ADDRESS_MAP, or the profile): nothing answers at the mapped address',
  'topic-not-found': () => 'list topics with `rmq topic list`, or create it with `rmq topic create`',
  'topic-not-writable': () => 'check the topic with `rmq topic describe`',
  'group-not-found': () => 'list groups with `rmq group list`, or create it with `rmq group create`',
  'topic-types-unsupported': () => 'drop --type (4.x topics carry any message type)',
  'timer-unsupported': () => 'use --delay-level 1..18 on 4.x brokers',
  'tls-untrusted-certificate': () =>
    "the server's certificate is not trusted: pass its CA with --tls-ca, or --tls-insecure for a server in TLS test mode (self-signed)",
  'tls-not-accepted': () => 'the server may not accept TLS on this port: try without --tls',
  'tls-required': () => 'the server may require TLS: try --tls (or it is shutting down)',
  'acl-no-credentials': () => CREDENTIALS,
  'acl-wrong-secret': () => 'check the secret key (RMQ_SECRET_KEY, --secret-key or the profile)',
  'acl-unknown-access-key': () => 'check the access key (RMQ_ACCESS_KEY, --access-key or the profile)',
  'acl2-unsupported': (e) =>
    Number(e.details?.serverVersion) < VERSION_5_2_0
      ? 'this broker has plain ACL accounts: use `rmq acl account` and `rmq acl whitelist`'
      : 'ACL 2.0 came with RocketMQ 5.3; 5.2 has plain ACL but no request that lists its accounts (edit its plain_acl.yml)',
  'not-a-namesrv': () =>
    'point --namesrv at a name server for this; a proxy serves send, consume, bench and smoke',
  'pop-through-proxy': () =>
    'consume through the proxy without --pop, or --pop with --namesrv at a name server',
  'request-unsupported': () =>
    'the server has no handler for this request: a broker too old for it, or a RocketMQ 5.x proxy, which serves no administration (point --namesrv at a name server)',
  'plain-acl-unsupported': (e) =>
    Number(e.details?.serverVersion) >= VERSION_5_3_0
      ? 'a 5.3+ broker has ACL 2.0: use `rmq acl user` and `rmq acl policy`'
      : 'RocketMQ 5.2 has plain ACL but no request that lists its accounts: edit its plain_acl.yml',
};

/** How deep into `cause` to look: wrappers nest a few levels, never more. */
const MAX_CAUSES = 8;

/**
 * One line of advice for a failure, or undefined. The outermost error that has something to say
 * wins: its reason's advice, else its own hint; otherwise its cause is asked, and so on (a
 * wrapper that adds context keeps the advice of what it wraps).
 */
export function hintFor(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth <= MAX_CAUSES && e instanceof Error; depth++) {
    if (e instanceof RocketMQError) {
      const advice = e.reason ? ADVICE[e.reason]?.(e) : undefined;
      if (advice) return advice;
      if (e.hint) return e.hint;
    }
    e = e.cause;
  }
  return undefined;
}

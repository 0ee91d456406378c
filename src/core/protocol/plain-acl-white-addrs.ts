/**
 * UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53), to a broker with plain ACL (4.x to 5.2): replace the
 * global white list, the remote addresses whose requests skip the signature check (Java:
 * UpdateGlobalWhiteAddrsConfigRequestHeader, PlainPermissionManager#updateGlobalWhiteAddrsConfig).
 *
 * Request extFields: `globalWhiteAddrs!` comma-separated ("10.10.*.*,192.168.0.1-20") |
 *   `aclFileFullPath!` the ACL file to write; "" means the broker's default
 *   ($ROCKETMQ_HOME/conf/plain_acl.yml). No body.
 * Patterns the broker takes: "*", an address, "10.10.*.*", "10.10.1.1-100" (and "{1,2}" sets,
 * left out here: their comma would split the list). The list is read back by
 * GET_BROKER_CLUSTER_ACL_CONFIG (plain-acl.ts). An empty list cannot be sent ("" splits to [""],
 * an entry matching nothing): it is what clearing the list sends.
 * Response: SUCCESS, or UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED (211).
 */
import { InvalidArgumentError } from '../errors.js';

const PATTERN = /^(\*|[0-9A-Fa-f:.*-]+)$/;

export function parseWhiteAddr(input: string): string {
  const s = input.trim();
  if (!PATTERN.test(s) || s.length > 100) {
    throw new InvalidArgumentError(`invalid white-list address "${input}"`, {
      hint: 'an address or a pattern: *, 10.10.1.5, 10.10.*.*, 10.10.1.1-100',
    });
  }
  return s;
}

export function whiteAddrsHeader(addrs: readonly string[]): Record<string, string> {
  return { globalWhiteAddrs: addrs.join(','), aclFileFullPath: '' };
}

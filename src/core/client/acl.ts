/**
 * ACL administration calls to one broker: ACL 2.0 users and policies (5.3+) and plain ACL
 * accounts and white list (4.x). Each call's wire layout lives in its protocol module; this class
 * addresses the request, checks that the broker has that kind of ACL at all, and maps the
 * accepted response codes to results.
 */
import { BrokerResponseError, InvalidArgumentError } from '../errors.js';
import {
  type AclInfo,
  decodeAclInfo,
  decodeAclList,
  deleteAclHeader,
  encodeAclInfo,
  listAclsHeader,
  type PolicyEntry,
  subjectHeader,
} from '../protocol/acl-policy.js';
import {
  ACL_ADMIN_ACCEPT,
  type AclUser,
  decodeUserInfo,
  decodeUserList,
  decodeUserSecrets,
  encodeUserInfo,
  listUsersHeader,
  type UserChange,
  userHeader,
} from '../protocol/acl-user.js';
import {
  accountHeader,
  decodePlainAclConfig,
  deleteAccountHeader,
  type PlainAccount,
  type PlainAclConfig,
} from '../protocol/plain-acl.js';
import { whiteAddrsHeader } from '../protocol/plain-acl-white-addrs.js';
import { RequestCode, ResponseCode } from '../remoting/codes.js';
import { type RemotingCommand, VERSION_5_0_0, VERSION_5_2_0, VERSION_5_3_0 } from '../remoting/command.js';
import type { RemotingClient } from './remoting-client.js';

/**
 * How 4.x answers a plain ACL change it could not make. The codes mean other things on 5.x
 * (POLLING_FULL, POLLING_TIMEOUT, BROKER_NOT_EXIST), so they are named here, not in codes.ts.
 */
const PLAIN_ACL_FAILURES: Record<number, string> = {
  209: 'UPDATE_AND_CREATE_ACL_CONFIG_FAILED',
  210: 'DELETE_ACL_CONFIG_FAILED',
  211: 'UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED',
};

/** A release line for a server's version ordinal, for messages. */
export function releaseLine(version: number): string {
  if (version < VERSION_5_0_0) return '4.x';
  if (version < VERSION_5_2_0) return '5.0–5.1';
  if (version < VERSION_5_3_0) return '5.2';
  return '5.3 or later';
}

/**
 * The ACL a broker speaks: 'acl2' (5.3+: users and policies) or 'plain' (4.x to 5.1: accounts;
 * 5.2 still has them but cannot list them, which every account command starts with).
 * Thrown when a request of one kind reaches a broker of the other; `needs` names the kind.
 */
export class AclKindError extends InvalidArgumentError {
  constructor(
    readonly needs: 'acl2' | 'plain',
    readonly address: string,
    readonly serverVersion: number,
  ) {
    super(
      needs === 'acl2'
        ? `broker ${address} runs RocketMQ ${releaseLine(serverVersion)}: users and policies (ACL 2.0) need RocketMQ 5.3 or later`
        : `broker ${address} runs RocketMQ ${releaseLine(serverVersion)}: plain ACL accounts and the white list need RocketMQ 4.x (up to 5.1)`,
      { reason: needs === 'acl2' ? 'acl2-unsupported' : 'plain-acl-unsupported', details: { serverVersion } },
    );
  }
}

export class AclAdmin {
  constructor(readonly client: RemotingClient) {}

  private async acl2(
    address: string,
    code: number,
    ext: Record<string, string>,
    body?: Buffer,
  ): Promise<RemotingCommand> {
    const res = await this.client.call(address, code, ext, { body, accept: ACL_ADMIN_ACCEPT });
    if (res.code === ResponseCode.REQUEST_CODE_NOT_SUPPORTED || res.version < VERSION_5_3_0) {
      throw new AclKindError('acl2', address, res.version);
    }
    return res;
  }

  private async plain(address: string, code: number, ext: Record<string, string>): Promise<RemotingCommand> {
    const res = await this.client.call(address, code, ext, {
      accept: [...ACL_ADMIN_ACCEPT, ...Object.keys(PLAIN_ACL_FAILURES).map(Number)],
    });
    if (res.code === ResponseCode.REQUEST_CODE_NOT_SUPPORTED || res.version >= VERSION_5_2_0) {
      throw new AclKindError('plain', address, res.version);
    }
    const failure = PLAIN_ACL_FAILURES[res.code];
    if (failure) {
      const err = new BrokerResponseError(res.code, res.remark, address);
      err.message = `${failure} (${res.code}): ${res.remark?.trim() || 'the broker did not make the change'}`;
      throw err;
    }
    return res;
  }

  async getUser(address: string, username: string): Promise<AclUser | undefined> {
    return decodeUserInfo((await this.acl2(address, RequestCode.AUTH_GET_USER, userHeader(username))).body);
  }

  async listUsers(address: string, filter?: string): Promise<AclUser[]> {
    return decodeUserList(
      (await this.acl2(address, RequestCode.AUTH_LIST_USER, listUsersHeader(filter))).body,
    );
  }

  /** Every user's password, in clear: only for an export asked to carry secrets. */
  async userSecrets(address: string): Promise<Map<string, string>> {
    return decodeUserSecrets(
      (await this.acl2(address, RequestCode.AUTH_LIST_USER, listUsersHeader(undefined))).body,
    );
  }

  async createUser(address: string, u: UserChange): Promise<void> {
    await this.acl2(address, RequestCode.AUTH_CREATE_USER, userHeader(u.username), encodeUserInfo(u));
  }

  async updateUser(address: string, u: UserChange): Promise<void> {
    await this.acl2(address, RequestCode.AUTH_UPDATE_USER, userHeader(u.username), encodeUserInfo(u));
  }

  async deleteUser(address: string, username: string): Promise<void> {
    await this.acl2(address, RequestCode.AUTH_DELETE_USER, userHeader(username));
  }

  /** The subject's ACL; undefined when it has none (the broker refuses an unknown user). */
  async getAcl(address: string, subject: string): Promise<AclInfo | undefined> {
    return decodeAclInfo((await this.acl2(address, RequestCode.AUTH_GET_ACL, subjectHeader(subject))).body);
  }

  async listAcls(address: string, subjectFilter?: string, resourceFilter?: string): Promise<AclInfo[]> {
    const res = await this.acl2(
      address,
      RequestCode.AUTH_LIST_ACL,
      listAclsHeader(subjectFilter, resourceFilter),
    );
    return decodeAclList(res.body);
  }

  /** Create and update do the same on the broker (entries replace those of the same resource). */
  async putAcl(
    address: string,
    subject: string,
    entries: readonly PolicyEntry[],
    update: boolean,
  ): Promise<void> {
    const code = update ? RequestCode.AUTH_UPDATE_ACL : RequestCode.AUTH_CREATE_ACL;
    await this.acl2(address, code, subjectHeader(subject), encodeAclInfo(subject, entries));
  }

  /** One entry (by resource), or the subject's whole ACL when `resource` is undefined. */
  async deleteAcl(address: string, subject: string, resource: string | undefined): Promise<void> {
    await this.acl2(address, RequestCode.AUTH_DELETE_ACL, deleteAclHeader(subject, resource));
  }

  async plainAclConfig(address: string): Promise<PlainAclConfig> {
    return decodePlainAclConfig(
      (await this.plain(address, RequestCode.GET_BROKER_CLUSTER_ACL_CONFIG, {})).body,
    );
  }

  async putAccount(address: string, account: PlainAccount & { secretKey: string }): Promise<void> {
    await this.plain(address, RequestCode.UPDATE_AND_CREATE_ACL_CONFIG, accountHeader(account));
  }

  async deleteAccount(address: string, accessKey: string): Promise<void> {
    await this.plain(address, RequestCode.DELETE_ACL_CONFIG, deleteAccountHeader(accessKey));
  }

  async setWhiteAddrs(address: string, addrs: readonly string[]): Promise<void> {
    await this.plain(address, RequestCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, whiteAddrsHeader(addrs));
  }
}

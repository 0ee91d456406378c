/**
 * Human output of `rmq acl …`: tables and plans. Names come from the wire: tables are drawn with
 * asIs and the caller escapes the whole text (logLines). No password or secret is ever among the
 * data these get.
 */
import type {
  AclAccountChangeResult,
  AclAccountListResult,
  AclWhitelistResult,
  AclWhitelistSetResult,
} from '../services/acl-accounts.js';
import type {
  AclPolicyChangeResult,
  AclPolicyGetResult,
  AclPolicyListResult,
  EntrySettings,
} from '../services/acl-policies.js';
import type { AclUserChangeResult, AclUserGetResult, AclUserListResult } from '../services/acl-users.js';
import type { PlainAccount } from '../core/protocol/plain-acl.js';
import type { PolicyEntry } from '../core/protocol/acl-policy.js';
import { asIs } from '../services/message-record.js';
import { renderTable } from './table.js';

const dash = (v: string | null | undefined): string => (v === null || v === undefined || v === '' ? '-' : v);
const change = (old: string | null, next: string | null): string =>
  (old ?? '-').toLowerCase() === (next ?? '-').toLowerCase() ? dash(next) : `${dash(old)} → ${dash(next)}`;
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
const list = (xs: readonly string[]): string => (xs.length === 0 ? '-' : xs.join(','));

const PAST: Record<string, string> = {
  create: 'created',
  update: 'updated',
  delete: 'deleted',
  add: 'added',
};

function outcome(action: string, applied: boolean | undefined, done: boolean): string {
  if (action === 'unchanged' || !done) return action;
  return applied ? (PAST[action] ?? action) : 'reads back otherwise';
}

export function renderUserList(r: AclUserListResult): string {
  if (r.users.length === 0) return 'no users';
  return renderTable(
    ['BROKER', 'USER', 'TYPE', 'STATUS'],
    r.users.map((u) => [u.brokerName, u.username, u.userType, u.userStatus]),
    { escape: asIs },
  );
}

export function renderUserGet(r: AclUserGetResult): string {
  return renderTable(
    ['BROKER', 'ADDRESS', 'USER', 'TYPE', 'STATUS'],
    r.brokers.map((b) => [
      b.brokerName,
      b.address,
      b.user ? r.username : '(none)',
      dash(b.user?.userType),
      dash(b.user?.userStatus),
    ]),
    { escape: asIs },
  );
}

export function renderUserChange(r: AclUserChangeResult, done: boolean): string {
  const lines = [
    renderTable(
      ['BROKER', 'ADDRESS', 'TYPE', 'STATUS', done ? 'RESULT' : 'ACTION'],
      r.brokers.map((b) => [
        b.brokerName,
        b.address,
        change(b.userType.old, b.userType.new),
        change(b.userStatus.old, b.userStatus.new),
        outcome(b.action, b.applied, done),
      ]),
      { escape: asIs },
    ),
  ];
  if (r.changes === 0) lines.push(`nothing to change: user ${r.username} is like that on every broker`);
  else if (!done) {
    const pw = r.setsPassword ? ' (with a new password)' : '';
    const extra = r.action === 'delete' ? '; its policies go with it' : '';
    lines.push(`Plan: ${r.action} user ${r.username}${pw} on ${plural(r.changes, 'broker')}${extra}.`);
  }
  return lines.join('\n');
}

const entryCells = (e: EntrySettings | null): [string, string, string] =>
  e === null ? ['-', '-', '-'] : [list(e.actions), e.decision, list(e.sourceIps)];

function entryRows(broker: string, subject: string, entries: readonly PolicyEntry[], policyType: string) {
  return entries.map((e) => [broker, subject, policyType, e.resource, ...entryCells(e)]);
}

export function renderPolicyList(r: AclPolicyListResult): string {
  const rows = r.acls.flatMap((a) =>
    a.policies.flatMap((p) => entryRows(a.brokerName, a.subject, p.entries, p.policyType)),
  );
  if (rows.length === 0) return 'no policies';
  return renderTable(['BROKER', 'SUBJECT', 'TYPE', 'RESOURCE', 'ACTIONS', 'DECISION', 'SOURCE IPS'], rows, {
    escape: asIs,
  });
}

export function renderPolicyGet(r: AclPolicyGetResult): string {
  const rows = r.brokers.flatMap((b) =>
    b.policies.flatMap((p) => entryRows(b.brokerName, r.subject, p.entries, p.policyType)),
  );
  if (rows.length === 0) return `${r.subject} has no policies`;
  return renderTable(['BROKER', 'SUBJECT', 'TYPE', 'RESOURCE', 'ACTIONS', 'DECISION', 'SOURCE IPS'], rows, {
    escape: asIs,
  });
}

export function renderPolicyChange(r: AclPolicyChangeResult, done: boolean): string {
  const lines = [
    renderTable(
      ['BROKER', 'RESOURCE', 'ACTIONS', 'DECISION', 'SOURCE IPS', done ? 'RESULT' : 'ACTION'],
      r.entries.map((e) => {
        const [oa, od, oi] = entryCells(e.old);
        const [na, nd, ni] = entryCells(e.new);
        const c = (o: string, n: string) =>
          o === n || e.old === null ? n : e.new === null ? o : `${o} → ${n}`;
        return [
          e.brokerName,
          e.resource,
          c(oa, na),
          c(od, nd),
          c(oi, ni),
          outcome(e.action, e.applied, done),
        ];
      }),
      { escape: asIs },
    ),
  ];
  if (r.changes === 0) lines.push(`nothing to change: ${r.subject}'s policies are like that already`);
  else if (!done)
    lines.push(
      `Plan: ${r.action} ${r.changes} policy ${r.changes === 1 ? 'entry' : 'entries'} of ${r.subject}.`,
    );
  return lines.join('\n');
}

const perms = (a: PlainAccount | null): string[] =>
  a === null
    ? ['-', '-', '-', '-', '-', '-']
    : [
        a.admin ? 'yes' : 'no',
        dash(a.whiteRemoteAddress),
        dash(a.defaultTopicPerm),
        dash(a.defaultGroupPerm),
        list(a.topicPerms),
        list(a.groupPerms),
      ];

const ACCOUNT_HEAD = [
  'ADMIN',
  'WHITE ADDRESS',
  'DEFAULT TOPIC',
  'DEFAULT GROUP',
  'TOPIC PERMS',
  'GROUP PERMS',
];

export function renderAccountList(r: AclAccountListResult): string {
  const lines = [
    r.accounts.length === 0
      ? 'no accounts'
      : renderTable(
          ['BROKER', 'ACCESS KEY', ...ACCOUNT_HEAD],
          r.accounts.map((a) => [a.brokerName, a.accessKey, ...perms(a)]),
          {
            escape: asIs,
          },
        ),
  ];
  for (const w of r.whitelists) lines.push(`global white list of ${w.brokerName}: ${list(w.addresses)}`);
  return lines.join('\n');
}

export function renderAccountChange(r: AclAccountChangeResult, done: boolean): string {
  const rows = r.brokers.flatMap((b) => {
    const status = outcome(b.action, b.applied, done);
    if (b.action === 'update' || b.action === 'unchanged') {
      return [
        [b.brokerName, 'before', ...perms(b.old), ''],
        [b.brokerName, 'after', ...perms(b.new), status],
      ];
    }
    return [[b.brokerName, b.action === 'delete' ? 'before' : 'after', ...perms(b.old ?? b.new), status]];
  });
  const lines = [
    renderTable(['BROKER', '', ...ACCOUNT_HEAD, done ? 'RESULT' : 'ACTION'], rows, { escape: asIs }),
  ];
  if (r.changes === 0) lines.push(`nothing to change: account ${r.accessKey} is like that on every broker`);
  else if (!done) {
    const secret = r.setsSecret ? ' (with a new secret key)' : '';
    lines.push(`Plan: ${r.action} account ${r.accessKey}${secret} on ${plural(r.changes, 'broker')}.`);
  }
  return lines.join('\n');
}

export function renderWhitelist(r: AclWhitelistResult): string {
  return renderTable(
    ['BROKER', 'ADDRESS', 'GLOBAL WHITE LIST'],
    r.brokers.map((b) => [b.brokerName, b.address, list(b.addresses)]),
    {
      escape: asIs,
    },
  );
}

export function renderWhitelistSet(r: AclWhitelistSetResult, done: boolean): string {
  const lines = [
    renderTable(
      ['BROKER', 'ADDRESS', 'GLOBAL WHITE LIST', done ? 'RESULT' : 'ACTION'],
      r.brokers.map((b) => [
        b.brokerName,
        b.address,
        b.changed ? `${list(b.old)} → ${list(b.new)}` : list(b.old),
        outcome(b.changed ? 'update' : 'unchanged', b.applied, done),
      ]),
      { escape: asIs },
    ),
  ];
  if (r.changes === 0) lines.push('nothing to change: the global white list is like that on every broker');
  else if (!done) {
    lines.push(
      `Plan: replace the global white list on ${plural(r.changes, 'broker')}; requests from these addresses skip the signature check.`,
    );
  }
  return lines.join('\n');
}

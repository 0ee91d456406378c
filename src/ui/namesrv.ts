/** Human rendering of the name servers' configuration and KV config: plans, tables, diffs. */
import type { ConfigChange } from '../services/config-plan.js';
import type { KvChangeResult, KvGetResult, KvListResult } from '../services/namesrv-kv.js';
import type {
  NamesrvConfigDiffResult,
  NamesrvConfigGetResult,
  NamesrvConfigSetResult,
} from '../services/namesrv.js';
import { asIs } from '../services/message-record.js';
import { renderTable } from './table.js';

const shown = (v: string | null): string => v ?? '(absent)';

/** One column per name server; with one, KEY VALUE. Failed ones are listed below. */
export function renderNamesrvConfig(r: NamesrvConfigGetResult): string {
  const ok = r.namesrvs.filter((n) => n.config);
  const keys = [...new Set(ok.flatMap((n) => Object.keys(n.config!)))];
  const head = ok.length === 1 ? ['KEY', 'VALUE'] : ['KEY', ...ok.map((n) => n.address)];
  const lines = [
    renderTable(
      head,
      keys.map((k) => [k, ...ok.map((n) => n.config![k] ?? '(absent)')]),
    ),
  ];
  for (const n of r.namesrvs) if (n.error) lines.push(`${n.address}: ${n.error}`);
  return lines.join('\n');
}

const effect = (c: ConfigChange): string => (c.appliesAtRunTime ? 'now' : 'after a restart');

export function renderNamesrvConfigPlan(p: NamesrvConfigSetResult, applied: boolean): string {
  if (p.changes === 0) return 'nothing to change: every name server has these values already';
  const rows = p.namesrvs.flatMap((n) =>
    n.changes.map((c) => {
      const result = n.applied?.find((a) => a.key === c.key);
      return [
        n.address,
        c.key,
        c.old,
        '→',
        c.new,
        applied ? (result?.ok ? 'applied' : `reads back ${result?.value ?? '?'}`) : effect(c),
      ];
    }),
  );
  const lines = [
    renderTable(['NAME SERVER', 'KEY', 'OLD', '', 'NEW', applied ? 'RESULT' : 'TAKES EFFECT'], rows, {
      escape: asIs,
    }),
  ];
  if (applied) return lines.join('\n');
  const same = p.namesrvs.filter((n) => n.changes.length === 0).map((n) => n.address);
  if (same.length > 0) lines.push(`unchanged (already set): ${same.join(', ')}`);
  for (const n of p.namesrvs.filter((x) => x.changes.length > 0)) {
    lines.push(
      `${n.address} then rewrites ${n.configFile ?? 'its config file (the one it was started with, -c)'} with all ${n.keysWritten} keys it knows, not only these (comments and order are lost).`,
    );
  }
  if (p.restartNeeded)
    lines.push('Keys marked "after a restart" are saved, but the running name server keeps the old value.');
  return lines.join('\n');
}

export function renderNamesrvConfigDiff(d: NamesrvConfigDiffResult): string {
  if (d.differences.length === 0) return `no differences in ${d.compared} keys`;
  return renderTable(
    ['KEY', d.a, d.b],
    d.differences.map((x) => [x.key, shown(x.a), shown(x.b)]),
  );
}

export function renderKvList(r: KvListResult): string {
  const lines: string[] = [];
  const cols = r.namesrvs.map((n) => n.address);
  if (r.entries.length === 0) lines.push(`KV namespace ${r.namespace} is empty`);
  else
    lines.push(
      renderTable(
        r.namesrvs.length === 1 ? ['KEY', 'VALUE'] : ['KEY', ...cols, 'SAME'],
        r.entries.map((e) =>
          r.namesrvs.length === 1
            ? [e.key, shown(e.values[0]!)]
            : [e.key, ...e.values.map(shown), e.same ? 'yes' : 'NO'],
        ),
      ),
    );
  for (const n of r.namesrvs) {
    if (n.error) lines.push(`${n.address}: ${n.error}`);
    else if (!n.found) lines.push(`${n.address} has no namespace ${r.namespace}`);
  }
  return lines.join('\n');
}

export function renderKvGet(r: KvGetResult): string {
  if (r.namesrvs.length === 1) return r.namesrvs[0]!.value ?? '';
  return renderTable(
    ['NAME SERVER', 'VALUE'],
    r.namesrvs.map((n) => [n.address, n.error ? `error: ${n.error}` : shown(n.value)]),
  );
}

export function renderKvChange(r: KvChangeResult, applied: boolean): string {
  const what = r.action === 'put' ? (r.value ?? '') : '(deleted)';
  const lines = [
    renderTable(
      ['NAME SERVER', 'OLD', '', 'NEW', applied ? 'RESULT' : 'ACTION'],
      r.namesrvs.map((n) => [
        n.address,
        shown(n.old),
        '→',
        n.changed ? what : shown(n.old),
        !n.changed
          ? 'unchanged'
          : applied
            ? n.applied
              ? r.action === 'put'
                ? 'put'
                : 'deleted'
              : 'reads back otherwise'
            : r.action,
      ]),
      { escape: asIs },
    ),
  ];
  if (!applied) {
    if (r.changes === 0)
      lines.push(`nothing to change: ${r.namespace}/${r.key} has that value on every name server`);
    else
      lines.push(
        `Plan: ${r.action} ${r.namespace}/${r.key} on ${r.changes} name server${r.changes === 1 ? '' : 's'} (each saves its kvConfig.json).`,
      );
    lines.push(...r.notes);
  }
  return lines.join('\n');
}

/** Human output of `rmq diff` and `rmq apply`: the plan as a diff, escaped by the caller as a whole. */
import type { IncludeSkipped } from '../services/metadata/cluster.js';
import type { MetadataPlan, PlanChange, PlanItem } from '../services/metadata/plan.js';

const value = (v: unknown): string =>
  v === null || v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v);

const SIGN: Record<PlanItem['action'], string> = { create: '+', update: '~', delete: '-', extra: '?' };

function brokersNote(c: PlanChange, all: string[]): string {
  return c.brokers.length === all.length ? '' : `  (${c.brokers.join(', ')})`;
}

function renderItem(item: PlanItem): string[] {
  const head = `${SIGN[item.action]} ${item.kind} ${item.name}`;
  switch (item.action) {
    case 'create':
      return [
        `${head}  (create on ${item.brokers.join(', ')})`,
        ...item.changes
          .filter((c) => c.field !== 'brokers')
          .map((c) => `    ${c.field}: ${value(c.new)}${brokersNote(c, item.brokers)}`),
      ];
    case 'update':
      return [
        `${head}  (update on ${item.brokers.join(', ')})`,
        ...item.changes.map((c) =>
          c.field === 'brokers'
            ? `    not yet on ${c.brokers.join(', ')}: created there`
            : `    ${c.field}: ${value(c.old)} → ${value(c.new)}${brokersNote(c, item.brokers)}`,
        ),
      ];
    case 'delete':
      return [`${head}  (delete from ${item.brokers.join(', ')}: not in the document, --prune)`];
    case 'extra':
      return [
        `${head}  (on ${item.brokers.join(', ')}, not in the document: left alone; ${item.kind === 'user' || item.kind === 'policy' ? 'ACL is never pruned' : '--prune deletes it'})`,
      ];
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function renderPlanSummary(plan: MetadataPlan): string {
  const count = (a: PlanItem['action']) => plan.items.filter((i) => i.action === a).length;
  const parts = [
    count('create') && `${count('create')} to create`,
    count('update') && `${count('update')} to update`,
    count('delete') && `${count('delete')} to delete`,
    count('extra') && `${count('extra')} extra on the cluster`,
  ].filter(Boolean);
  return `${parts.join(', ')}; ${plan.unchanged} unchanged.`;
}

export function renderPlan(plan: MetadataPlan, skipped: IncludeSkipped[], prefix: string | null): string {
  const lines: string[] = [];
  if (prefix !== null) lines.push(`scope: names starting with ${prefix}`);
  for (const s of skipped) lines.push(`${s.include}: ${s.reason}`);
  for (const item of plan.items) lines.push(...renderItem(item));
  for (const u of plan.unsupported) {
    lines.push(
      `! ${u.kind} ${u.name}: ${u.field} ${value(u.value)} not supported by ${u.version} (${u.brokers.join(', ')}), left out`,
    );
  }
  for (const n of plan.notes) lines.push(`! ${n}`);
  if (plan.drift === 0) {
    lines.push(
      `No drift: the cluster is as the document says (${plural(plan.unchanged, 'topic and group', 'topics and groups')} compared).`,
    );
  } else {
    lines.push(`Drift: ${renderPlanSummary(plan)}`);
  }
  return lines.join('\n');
}

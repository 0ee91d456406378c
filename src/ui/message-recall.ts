/** Human output of `rmq message recall`: the plan, then what happened. */
import type { RecallPlan } from '../services/message-recall.js';

const seconds = (ms: number): string =>
  ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;

export function renderRecall(p: RecallPlan, applied: boolean): string {
  const what = `message ${p.msgId} (topic ${p.topic}, broker ${p.brokerName} ${p.brokerAddress}), due at ${p.deliverAt}`;
  if (applied) return `recalled ${what}: it will not be delivered`;
  return `Plan: recall ${what}, in ${seconds(p.dueInMs)}.`;
}

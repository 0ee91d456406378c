/**
 * Capacity plan from a measured run, by Little's law (L = λ · W: requests in flight =
 * throughput × latency), with every step's arithmetic kept so the report can show it.
 *
 * What scales with what: in-flight requests with target rate × mean send latency; producers
 * with that over the in-flight limit each, and with the rate one producer reached; consumers
 * with the rate one consumer reached (and a queue serves one consumer of a group, so queues ≥
 * consumers); brokers with the rate per broker, which only means something when the broker,
 * not this client, was the limit of the run.
 */
import type { BenchResult, CapacityPlan, PlanStep } from './result.js';

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });

/** undefined when the run has too little to go on (no acknowledged send). */
export function capacityPlan(r: BenchResult, targetTps: number): CapacityPlan | undefined {
  const p = r.parameters;
  const tps = r.throughput.send.tps;
  const lat = r.latency.send_raw ?? r.latency.send;
  if (!(tps > 0) || !lat || !(targetTps > 0)) return undefined;
  const w = lat.mean / 1e6; // s
  const steps: PlanStep[] = [];
  const caveats: string[] = [];

  const measuredL = tps * w;
  steps.push({
    what: 'measured in flight',
    formula: `${fmt(tps)} msg/s × ${fmt(w * 1000, 3)} ms = ${fmt(measuredL, 1)}`,
    value: measuredL,
    note:
      p.rate === undefined
        ? `the run allowed ${fmt(p.inflight * p.producers)} (${p.producers} × ${p.inflight})`
        : `open loop at ${fmt(p.rate)} msg/s`,
  });
  const perMessage = p.batch > 1 ? p.batch : 1;
  const inflight = (targetTps * w) / perMessage;
  steps.push({
    what: 'in flight needed',
    formula: `${fmt(targetTps)} msg/s × ${fmt(w * 1000, 3)} ms${perMessage > 1 ? ` / ${perMessage} per batch` : ''} = ${fmt(inflight, 1)}`,
    value: Math.ceil(inflight),
  });
  const perProducerTps = tps / p.producers;
  const byInflight = Math.ceil(inflight / Math.max(1, p.inflight));
  const byRate = Math.ceil(targetTps / perProducerTps);
  const producers = Math.max(1, byInflight, byRate);
  steps.push({
    what: 'producers',
    formula: `max(⌈${fmt(inflight, 1)} / ${p.inflight} in flight each⌉ = ${byInflight}, ⌈${fmt(targetTps)} / ${fmt(perProducerTps)} msg/s each⌉ = ${byRate}) = ${producers}`,
    value: producers,
  });
  if (p.consumers > 0 && r.throughput.receive.tps > 0) {
    const perConsumer = r.throughput.receive.tps / (p.consumers * p.groups);
    const consumers = Math.max(1, Math.ceil(targetTps / perConsumer));
    steps.push({
      what: 'consumers per group',
      formula: `⌈${fmt(targetTps)} / ${fmt(perConsumer)} msg/s each⌉ = ${consumers}`,
      value: consumers,
    });
    const queues = Math.max(consumers, p.queues);
    steps.push({
      what: 'queues',
      formula: `max(${consumers} consumers, ${p.queues} now) = ${queues}`,
      value: queues,
      note: 'a queue is read by one consumer of a group',
    });
  }
  const brokers = r.environment?.brokers;
  if (brokers !== undefined && brokers > 0) {
    const perBroker = tps / brokers;
    const need = Math.max(1, Math.ceil(targetTps / perBroker));
    steps.push({
      what: 'brokers',
      formula: `⌈${fmt(targetTps)} / ${fmt(perBroker)} msg/s per broker⌉ = ${need}`,
      value: need,
    });
    const clientBound =
      r.eventLoop.p99Ms > 50 ||
      r.intervals.some((i) => i.phase === 'measure' && i.cpuPct >= 90) ||
      (p.rate !== undefined && tps >= p.rate * 0.95);
    if (clientBound) {
      caveats.push(
        p.rate !== undefined && tps >= p.rate * 0.95
          ? 'the run held its target rate, so the broker was not pushed to its limit: brokers needed is an upper bound'
          : 'this client was busy (CPU or event loop), so the broker may do more than measured: brokers needed is an upper bound',
      );
    }
  }
  const hosts = loadHosts(r, targetTps);
  if (hosts) {
    steps.push(hosts);
    if (p.rate !== undefined && tps >= p.rate * 0.95) {
      caveats.push(
        'CPU per message includes fixed costs (connections, timers) that a run below its ceiling spreads over few messages: agents needed is an upper bound; measure one agent near its ceiling to tighten it',
      );
    }
  }
  if (r.totals.sendErrors > 0) caveats.push(`the run had ${fmt(r.totals.sendErrors)} send errors`);
  caveats.push('latency grows as a broker nears its limit: rerun at the planned rate (--rate) to confirm');
  return { targetTps, latencyUs: lat.mean, steps, caveats };
}

/** A load process keeps this share of its core busy at most: beyond it, its event loop adds latency. */
export const AGENT_CORE_BUDGET = 0.7;

/**
 * Bench agents (one per core: an agent runs on one thread) for the target, from the CPU the run's
 * load processes spent per message: each message is sent once and received once per group.
 * With agents, their own figures (the slowest); else this process's.
 */
function loadHosts(r: BenchResult, targetTps: number): PlanStep | undefined {
  const p = r.parameters;
  const measured = r.agents
    ? r.agents.agents.map((a) => a.cpuUsPerMessage).filter((x): x is number => x !== null && x > 0)
    : r.cpu.usPerMessage !== null && r.cpu.usPerMessage > 0
      ? [r.cpu.usPerMessage]
      : [];
  if (measured.length === 0) return undefined;
  const us = Math.max(...measured);
  const handled = 1 + (p.consumers > 0 ? p.groups : 0);
  const perCore = (1e6 / us) * AGENT_CORE_BUDGET;
  const agents = Math.max(1, Math.ceil((targetTps * handled) / perCore));
  return {
    what: 'bench agents (one per core)',
    formula: `⌈${fmt(targetTps)} msg/s × ${handled} (send${handled > 1 ? ` + ${handled - 1} receive` : ''}) / (10⁶ / ${fmt(us, 2)} µs per message × ${AGENT_CORE_BUDGET})⌉ = ${agents}`,
    value: agents,
    note: `a core at ${AGENT_CORE_BUDGET * 100} % handles ${fmt(perCore)} messages/s${r.agents ? ' (the slowest agent of the run)' : " (this run's process)"}`,
  };
}

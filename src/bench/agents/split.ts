/**
 * A run's shares across bench agents: the --workers arithmetic (workers.ts's shares: producers
 * and consumers as even as possible, larger shares first, --rate and --messages in proportion
 * to producers, every share with at least one producer), each share numbered apart from the
 * others (producer and consumer indexes are global, so the agents' verification tables and
 * client ids never collide), with the agent's clock offset as measured so far.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { BenchParameters } from '../result.js';
import { shares } from '../workers.js';
import type { Assignment } from './codec.js';

export function assignShares(p: BenchParameters, agents: { id: string; offsetUs: number }[]): Assignment[] {
  const parts = shares(p, agents.length);
  if (parts.length < agents.length) {
    throw new InvalidArgumentError(
      `${agents.length} agents need at least ${agents.length} producers (one each), not ${p.producers}`,
    );
  }
  let producerBase = 0;
  let consumerBase = 0;
  return parts.map((params, i) => {
    const a: Assignment = {
      agent: agents[i]!.id,
      params,
      producerBase,
      consumerBase,
      offsetUs: agents[i]!.offsetUs,
    };
    producerBase += params.producers;
    consumerBase += params.consumers;
    return a;
  });
}

/**
 * What the `rmq acl` commands share: the brokers they go to (-b / -c, default every master, as
 * mqadmin's ACL commands), how a password or secret is taken (stdin, a prompt, or a flag that
 * warns), and the plan → confirm → apply → read back flow of every change.
 */
import { type Command, Flags } from '@oclif/core';
import { BaseCommand } from './base-command.js';
import { InvalidArgumentError } from './core/errors.js';
import { DECISIONS } from './core/protocol/acl-policy.js';
import { connectionFlags } from './flags.js';
import type { Planned } from './services/acl-common.js';
import { promptSecret } from './ui/secret-prompt.js';

export const aclTargetFlags = {
  ...connectionFlags,
  broker: Flags.string({
    char: 'b',
    summary: 'Only this broker (name or master address).',
    exclusive: ['cluster'],
  }),
  cluster: Flags.string({ char: 'c', summary: 'Every master of this cluster (default: every master).' }),
};

export const aclChangeFlags = {
  ...aclTargetFlags,
  yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation.' }),
  'dry-run': Flags.boolean({ summary: 'Print the plan only; change nothing.' }),
};

export const policyFlags = {
  resource: Flags.string({
    char: 'r',
    summary: 'Resource: *, Topic:name, Group:name, Topic:* (every topic), Topic:prefix* (repeatable).',
    multiple: true,
  }),
  actions: Flags.string({
    char: 'a',
    summary: 'Actions, comma-separated: Pub, Sub, Create, Update, Delete, Get, List, All.',
  }),
  decision: Flags.string({ char: 'd', summary: `Decision: ${DECISIONS.join(' or ')}.` }),
  'source-ip': Flags.string({
    summary: 'Only requests from this address or CIDR block (repeatable; default: from anywhere).',
    multiple: true,
  }),
};

/** The fields of a 4.x plain ACL account. */
export const accountFlags = {
  'white-remote-address': Flags.string({
    summary: 'Requests of this account only from these addresses (e.g. 10.0.0.*, 192.168.1.1-100).',
  }),
  admin: Flags.boolean({ summary: 'May send admin requests (create topics, change ACLs…).', allowNo: true }),
  'default-topic-perm': Flags.string({ summary: 'For topics not listed: DENY, PUB, SUB or PUB|SUB.' }),
  'default-group-perm': Flags.string({ summary: 'For groups not listed: DENY, PUB, SUB or PUB|SUB.' }),
  'topic-perm': Flags.string({ summary: 'TOPIC=PERM, e.g. orders=PUB (repeatable).', multiple: true }),
  'group-perm': Flags.string({ summary: 'GROUP=PERM, e.g. billing=SUB (repeatable).', multiple: true }),
};

export function passwordFlags(what: string) {
  return {
    'password-stdin': Flags.boolean({
      summary: `Read the ${what} from stdin (one line).`,
      exclusive: ['password', 'password-prompt'],
    }),
    'password-prompt': Flags.boolean({
      summary: `Ask for the ${what} on the terminal (no echo).`,
      exclusive: ['password', 'password-stdin'],
    }),
    password: Flags.string({
      summary: `The ${what}. Prefer --password-stdin: a flag lands in shell history and \`ps\`.`,
      exclusive: ['password-stdin', 'password-prompt'],
    }),
  };
}

/** A password longer than this is no password (and stdin might be a file by mistake). */
const MAX_PASSWORD_BYTES = 4096;

async function readStdinLine(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new InvalidArgumentError('--password-stdin reads a pipe, and stdin is a terminal', {
      hint: 'pipe the password in, or use --password-prompt',
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_PASSWORD_BYTES)
      throw new InvalidArgumentError(`the password on stdin is longer than ${MAX_PASSWORD_BYTES} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export abstract class AclCommand<T extends typeof Command> extends BaseCommand<T> {
  /**
   * The password the flags ask for; undefined when none is asked for and `required` is false.
   * When required and no flag names a source, a terminal is prompted.
   */
  protected async password(
    f: { 'password-stdin'?: boolean; 'password-prompt'?: boolean; password?: string | undefined },
    what: string,
    required: boolean,
  ): Promise<string | undefined> {
    if (f.password !== undefined) {
      this.note(
        `a ${what} passed as a flag lands in shell history and shows in \`ps\`: prefer --password-stdin`,
      );
      return f.password;
    }
    if (f['password-stdin']) return readStdinLine();
    if (f['password-prompt'] || required) {
      if (!process.stdin.isTTY) {
        throw new InvalidArgumentError(`a ${what} is needed`, {
          hint: 'pipe it to --password-stdin, or run on a terminal to be asked',
        });
      }
      const first = await promptSecret(`New ${what}: `);
      const again = await promptSecret(`Again: `);
      if (first !== again) throw new InvalidArgumentError(`the two ${what}s differ`);
      return first;
    }
    return undefined;
  }

  /**
   * Prints the plan and applies it when confirmed; the result after applying, the plan on a dry
   * run or when there is nothing to change, undefined when not confirmed. Exits CHECK_FAILED
   * when a broker reads back otherwise than planned.
   */
  protected async carryOut<R extends { changes: number; dryRun: boolean }>(
    planned: Planned<R>,
    render: (r: R, done: boolean) => string,
    o: { yes: boolean | undefined; dryRun: boolean; refusal: string; applied: (r: R) => boolean },
  ): Promise<R | undefined> {
    const { plan, apply } = planned;
    if (plan.changes === 0) {
      this.logLines(render(plan, false));
      return plan;
    }
    const go = await this.confirmPlan(render(plan, false), {
      yes: o.yes,
      dryRun: o.dryRun,
      refusal: o.refusal,
    });
    if (!go) return o.dryRun ? plan : undefined;
    const r = await apply();
    this.logLines(render(r, true));
    if (!o.applied(r)) this.setOutcome('check-failed');
    return r;
  }
}

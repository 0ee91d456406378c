/**
 * The one base command: shared flags, --json, client lifecycle, and errors → exit codes.
 * Commands stay thin: parse flags, call one service, return a typed result.
 */
import { Command, Flags, type Interfaces } from '@oclif/core';
import { readFileSync } from 'node:fs';
import { Admin } from './core/client/admin.js';
import { type BrokerAddressMap, parseAddressMap } from './core/client/address-map.js';
import { parseNamesrvList } from './core/client/namesrv.js';
import { InvalidArgumentError, RocketMQError } from './core/errors.js';
import type { Credentials } from './core/remoting/acl.js';
import type { TlsOptions } from './core/remoting/connection.js';
import { DEFAULT_NAMESRV } from './flags.js';
import { activeProfile, resolveConnection } from './services/profiles.js';
import { exitCodeFor, type Outcome } from './exit-codes.js';
import { hintFor } from './hints.js';
import { stderrColor } from './ui/color.js';
import { escapeFor } from './ui/terminal-text.js';
import { type Progress, startProgress } from './ui/progress.js';
import { confirm } from './ui/confirm.js';

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

export interface ConnectionSettings {
  namesrv: string[];
  timeoutMs: number;
  credentials?: Credentials | undefined;
  tls?: TlsOptions | undefined;
  /** Where brokers that advertise unreachable addresses are dialled; empty when none is mapped. */
  addressMap: BrokerAddressMap;
  /** The profile whose settings are used, if one was in force and is for these name servers. */
  profile?: string | undefined;
}

interface ConnectionFlagValues {
  namesrv?: string;
  timeout?: number;
  profile?: string;
  'access-key'?: string;
  'secret-key'?: string;
  tls?: boolean;
  'tls-ca'?: string;
  'tls-insecure'?: boolean;
  'broker-address-map'?: string[];
}

/**
 * Added to every --json document, success or error: the warnings the run printed on stderr
 * without --json (appended to a result's own `warnings`, where it has them).
 */
export interface DocumentWarnings {
  warnings: string[];
}

/** Warnings kept for one document; a run that warns per message must not fill memory. */
const MAX_WARNINGS = 1000;

export interface ErrorJson extends DocumentWarnings {
  error: {
    kind: string;
    name: string;
    message: string;
    hint?: string | undefined;
    exitCode: number;
    code?: number;
  };
}

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;
  static override baseFlags = {
    debug: Flags.boolean({
      summary: 'Print stack traces and details on errors.',
      env: 'RMQ_DEBUG',
      helpGroup: 'GLOBAL',
    }),
  };

  protected flags!: CommandFlags<T>;
  protected args!: CommandArgs<T>;
  private adminClient: Admin | undefined;
  private fromDefault = new Set<string>();
  private resolved: ConnectionSettings | undefined;
  /** Set once the command wrote its --json document itself: stdout holds one document, no more. */
  private documentWritten = false;
  private interrupt: { signal: AbortSignal; handler: () => void } | undefined;
  /** What note() said, for the --json document. */
  private warnings: string[] = [];
  private warningsDropped = 0;
  /**
   * How often each warning text came: a warning that repeats (a consumer retrying a dead
   * broker every second) is shown once on stderr and once in `warnings`, with its count.
   */
  private readonly repeats = new Map<string, number>();

  public override async init(): Promise<void> {
    await super.init();
    const { args, flags, metadata } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as CommandFlags<T>;
    this.args = args as CommandArgs<T>;
    for (const [name, m] of Object.entries(metadata.flags)) if (m?.setFromDefault) this.fromDefault.add(name);
    if (this.argv.some((a) => a === '--secret-key' || a.startsWith('--secret-key='))) {
      this.note(
        'a secret passed as a flag shows in `ps` and shell history: prefer RMQ_SECRET_KEY or a profile',
      );
    }
  }

  /**
   * Connection settings with their precedence applied: flag > environment > profile > default
   * (resolveConnection, which also keeps a profile's secrets and TLS settings to its own name
   * servers). oclif has applied flag, environment and default already; what was left at its
   * default counts as not given (NAMESRV_ADDR, which the default reads, counts as given).
   */
  protected async connection(): Promise<ConnectionSettings> {
    if (this.resolved) return this.resolved;
    const f = this.flags as ConnectionFlagValues;
    const active = await activeProfile(f.profile);
    const given = (name: keyof ConnectionFlagValues) => f[name] !== undefined && !this.fromDefault.has(name);
    let namesrv: string | undefined;
    let namesrvSource: string | undefined;
    if (given('namesrv')) {
      namesrv = f.namesrv;
      const onArgv = this.argv.some((a) => a === '-n' || a.startsWith('--namesrv') || /^-n./.test(a));
      namesrvSource = onArgv ? '--namesrv' : 'RMQ_NAMESRV';
    } else if (process.env.NAMESRV_ADDR) {
      namesrv = process.env.NAMESRV_ADDR;
      namesrvSource = 'NAMESRV_ADDR';
    }
    const r = resolveConnection({
      namesrv,
      namesrvSource,
      defaultNamesrv: DEFAULT_NAMESRV,
      timeoutMs: given('timeout') ? f.timeout : undefined,
      accessKey: f['access-key'],
      secretKey: f['secret-key'],
      tls: f.tls,
      tlsCa: f['tls-ca'],
      tlsInsecure: f['tls-insecure'],
      brokerAddressMap: f['broker-address-map'],
      brokerAddressMapEnv: process.env.RMQ_BROKER_ADDRESS_MAP,
      profile: active && { ...active, explicit: f.profile !== undefined },
    });
    if (r.warning) this.note(r.warning);
    let credentials: Credentials | undefined;
    if (r.accessKey || r.secretKey) {
      if (!r.accessKey || !r.secretKey) {
        throw new InvalidArgumentError('ACL needs both an access key and a secret key', {
          hint: 'set RMQ_ACCESS_KEY and RMQ_SECRET_KEY, or use a profile',
        });
      }
      credentials = { accessKey: r.accessKey, secretKey: r.secretKey, securityToken: r.securityToken };
    }
    let tls: TlsOptions | undefined;
    if (r.tls) {
      let ca: Buffer | undefined;
      if (r.tlsCa) {
        try {
          ca = readFileSync(r.tlsCa);
        } catch (err) {
          throw new InvalidArgumentError(`cannot read --tls-ca ${r.tlsCa}: ${(err as Error).message}`);
        }
      }
      tls = { ca, insecure: r.tlsInsecure };
    }
    this.resolved = {
      namesrv: parseNamesrvList(r.namesrv),
      timeoutMs: r.timeoutMs ?? f.timeout ?? 5000,
      credentials,
      tls,
      addressMap: r.brokerAddressMap
        ? parseAddressMap(r.brokerAddressMap.values, r.brokerAddressMap.source)
        : [],
      profile: r.profile,
    };
    return this.resolved;
  }

  /** The admin facade over the name servers of the connection, created on first use, closed at exit. */
  protected async admin(): Promise<Admin> {
    if (!this.adminClient) {
      const c = await this.connection();
      this.adminClient = new Admin({
        namesrv: c.namesrv,
        timeoutMs: c.timeoutMs,
        credentials: c.credentials,
        tls: c.tls,
        addressMap: c.addressMap,
      });
    }
    return this.adminClient;
  }

  /**
   * The gate of a command that changes the cluster, after it printed nothing yet: with --dry-run
   * the plan goes to stdout and nothing happens; with --yes the plan goes to stderr (not with
   * --json) and the change goes ahead; on a terminal the plan is shown and the user asked;
   * otherwise nothing happens and the run fails with `refusal` (exit 2). True: apply it.
   */
  protected async confirmPlan(
    plan: string,
    o: { yes: boolean | undefined; dryRun: boolean | undefined; refusal: string },
  ): Promise<boolean> {
    if (o.dryRun) {
      this.logLines(plan);
      return false;
    }
    if (o.yes) {
      if (!this.jsonEnabled()) process.stderr.write(`${escapeFor(process.stderr)(plan, true)}\n`);
      return true;
    }
    if (!process.stdin.isTTY || this.jsonEnabled()) {
      throw new InvalidArgumentError(o.refusal, {
        hint: 'pass --yes when running non-interactively, or --dry-run to see the plan',
      });
    }
    process.stderr.write(`${escapeFor(process.stderr)(plan, true)}\n`);
    if (await confirm('Apply?')) return true;
    this.log('aborted');
    return false;
  }

  protected progress(text: string): Promise<Progress> {
    return startProgress(text, { quiet: this.jsonEnabled() });
  }

  /**
   * Writes the --json document now rather than after run() returns (run() then returns
   * undefined), for a command with work left that must wait until the document is out, like
   * committing offsets. Resolves true once stdout took it, false if stdout failed. An error after
   * it is reported on stderr, as without --json.
   */
  protected writeDocument(result: unknown): Promise<boolean> {
    this.documentWritten = true;
    this.logJson(this.toSuccessJson(result));
    return new Promise((resolve) => process.stdout.write('', (err) => resolve(!err)));
  }

  /**
   * --json output, as oclif writes it minus the colorizer (no theme is set, so it only costs):
   * that tokenizes with a regex that overflows the stack on a long string full of escapes, so a
   * 2 MiB body of control characters made `--json` exit 1.
   */
  protected override logJson(json: unknown): void {
    console.log(JSON.stringify(json, null, 2));
  }

  /**
   * A signal that the first Ctrl-C (SIGINT) or SIGTERM aborts, for the command to stop
   * gracefully (in-flight requests finish, offsets are committed, what was started is stopped)
   * with its result standing. A second one exits at once with INTERRUPTED: a stop that hangs
   * must never hold the terminal. `onInterrupt` runs at the first one, after the abort (e.g. to
   * end a read of stdin that would never finish by itself). The handlers stay until the command
   * ends (finally()).
   */
  protected interruptSignal(onInterrupt?: () => void): AbortSignal {
    if (this.interrupt) throw new Error('interruptSignal() is called once per command');
    const controller = new AbortController();
    let signals = 0;
    const handler = (): void => {
      if (++signals > 1) process.exit(exitCodeFor('interrupted'));
      controller.abort(new Error('interrupted'));
      onInterrupt?.();
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    this.interrupt = { signal: controller.signal, handler };
    return controller.signal;
  }

  /**
   * The exit code of a run that returns a result: set here from how it ended (exitCodeFor), not
   * per command. Failures that throw get theirs in catch().
   */
  protected setOutcome(outcome: Outcome): void {
    process.exitCode = exitCodeFor(outcome);
  }

  /**
   * A warning: on stderr (never stdout), escaped on a terminal; with --json, in the document's
   * `warnings` instead (on stderr once the document is out).
   */
  protected note(text: string): void {
    const seen = this.repeats.get(text) ?? 0;
    if (seen > 0 || this.repeats.size < MAX_WARNINGS) this.repeats.set(text, seen + 1);
    if (seen > 0) return;
    if (this.jsonEnabled() && !this.documentWritten) {
      if (this.warnings.length < MAX_WARNINGS) this.warnings.push(text);
      else this.warningsDropped++;
      return;
    }
    this.writeWarning(text);
  }

  private writeWarning(text: string): void {
    process.stderr.write(`${stderrColor().yellow('!')} ${escapeFor(process.stderr)(text)}\n`);
  }

  private documentWarnings(): string[] {
    const times = (w: string) => this.repeats.get(w) ?? 1;
    const all = this.warnings.map((w) => (times(w) > 1 ? `${w} (${times(w)} times)` : w));
    if (this.warningsDropped > 0) all.push(`${this.warningsDropped} more warnings not shown`);
    return all;
  }

  /** The result with the run's warnings (see DocumentWarnings). */
  protected override toSuccessJson(result: unknown): unknown {
    if (result === null || typeof result !== 'object' || Array.isArray(result)) return result;
    const own = (result as Partial<DocumentWarnings>).warnings;
    return { ...result, warnings: [...(Array.isArray(own) ? own : []), ...this.documentWarnings()] };
  }

  /**
   * Logs rendered lines whose parts came from the wire unescaped (a plan, a table drawn with
   * asIs): control characters escaped on a terminal, its newlines kept.
   */
  protected logLines(text: string): void {
    this.log(escapeFor(process.stdout)(text, true));
  }

  /** A line for this.log with what came from the wire (names, remarks) escaped on a terminal. */
  protected forStdout(text: string): string {
    return escapeFor(process.stdout)(text);
  }

  protected override async catch(
    err: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<void> {
    const debug =
      Boolean((this.flags as { debug?: boolean } | undefined)?.debug) || process.env.RMQ_DEBUG === '1';
    let exitCode: number;
    let kind: string;
    let hint: string | undefined;
    let message = err.message ?? String(err);
    let responseCode: number | undefined;
    if (err instanceof RocketMQError) {
      exitCode = exitCodeFor(err.kind);
      kind = err.kind;
      hint = hintFor(err);
      responseCode = (err as { responseCode?: number }).responseCode;
    } else if (err.oclif?.exit !== undefined || typeof err.exitCode === 'number') {
      // oclif parse and validation errors: usage.
      exitCode = err.oclif?.exit ?? err.exitCode ?? exitCodeFor('usage');
      if (exitCode === 0) return; // --help / --version paths
      kind = 'usage';
      hint = `see \`rmq ${this.id?.replaceAll(':', ' ') ?? ''} --help\``;
    } else {
      exitCode = exitCodeFor('bug');
      kind = 'bug';
      hint = debug
        ? undefined
        : 'this looks like a bug in rmq: rerun with --debug and report the stack trace';
    }
    // Ctrl-C (or SIGTERM) came first and the command failed because of it (a wait cut short, a
    // connection closed): the run was interrupted, whatever the error says (exit 130, as a
    // result that ends interrupted). A bug stays a bug.
    if (this.interrupt?.signal.aborted && kind !== 'bug') {
      exitCode = exitCodeFor('interrupted');
      kind = 'interrupted';
      hint = undefined;
    }
    // One line: oclif wraps flag-parse failures in "Parsing --x\n\t…\nSee more help with --help".
    message = message
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.includes('See more help with'))
      .join(' ')
      .replace(/^The following errors? occurred:\s*/, '')
      .replace(/^Parsing (--[\w-]+)\s+/, '$1: ')
      .replace(/\s+/g, ' ')
      .trim();
    process.exitCode = exitCode;
    if (this.jsonEnabled() && !this.documentWritten) {
      const json: ErrorJson = {
        error: { kind, name: err.name, message, hint, exitCode },
        warnings: this.documentWarnings(),
      };
      if (responseCode !== undefined) json.error.code = responseCode;
      this.logJson(json);
    } else {
      // Messages carry broker remarks and names from the wire: escaped on a terminal.
      const c = stderrColor();
      const escape = escapeFor(process.stderr);
      process.stderr.write(
        `${c.red('Error:')} ${escape(message)}${hint ? c.dim(` — ${escape(hint)}`) : ''}\n`,
      );
    }
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    if (debug && err.cause instanceof Error && err.cause.stack)
      process.stderr.write(`caused by: ${err.cause.stack}\n`);
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    // Repeats of a warning shown on stderr: how many, once, at the end.
    if (!this.jsonEnabled()) {
      for (const [text, n] of this.repeats) if (n > 1) this.writeWarning(`${text} (${n} times in all)`);
    }
    if (this.interrupt) {
      process.off('SIGINT', this.interrupt.handler);
      process.off('SIGTERM', this.interrupt.handler);
    }
    this.adminClient?.close();
    await super.finally(err);
  }
}

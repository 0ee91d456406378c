/**
 * The one base command: shared flags, --json, client lifecycle, and errors → exit codes.
 * Commands stay thin: parse flags, call one service, return a typed result.
 */
import { Command, Flags, type Interfaces } from '@oclif/core';
import { Admin } from './core/client/admin.js';
import { parseNamesrvList } from './core/client/namesrv.js';
import { RocketMQError } from './core/errors.js';
import { ExitCode, exitCodeForKind } from './exit-codes.js';
import { stderrColor } from './ui/color.js';
import { type Progress, startProgress } from './ui/progress.js';

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

export interface ErrorJson {
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

  public override async init(): Promise<void> {
    await super.init();
    const { args, flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as CommandFlags<T>;
    this.args = args as CommandArgs<T>;
  }

  /** The admin facade over the name servers of --namesrv, created on first use, closed at exit. */
  protected admin(): Admin {
    if (!this.adminClient) {
      const f = this.flags as { namesrv?: string; timeout?: number };
      this.adminClient = new Admin({
        namesrv: parseNamesrvList(f.namesrv ?? ''),
        timeoutMs: f.timeout ?? 5000,
      });
    }
    return this.adminClient;
  }

  protected progress(text: string): Promise<Progress> {
    return startProgress(text, { quiet: this.jsonEnabled() });
  }

  /** A warning on stderr (never stdout), kept out of --json output. */
  protected note(text: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${stderrColor().yellow('!')} ${text}\n`);
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
      exitCode = exitCodeForKind(err.kind);
      kind = err.kind;
      hint = err.hint;
      responseCode = (err as { responseCode?: number }).responseCode;
    } else if (err.oclif?.exit !== undefined || typeof err.exitCode === 'number') {
      // oclif parse and validation errors: usage.
      exitCode = err.oclif?.exit ?? err.exitCode ?? ExitCode.USAGE;
      if (exitCode === 0) return; // --help / --version paths
      kind = 'usage';
      const lines = message.split('\n').filter((l) => l.trim() !== '' && !l.includes('See more help with'));
      message = lines.join(' ').replace(/\s+/g, ' ').trim();
      hint = `see \`rmq ${this.id?.replaceAll(':', ' ') ?? ''} --help\``;
    } else {
      exitCode = ExitCode.FAILURE;
      kind = 'bug';
      hint = debug
        ? undefined
        : 'this looks like a bug in rmq: rerun with --debug and report the stack trace';
    }
    process.exitCode = exitCode;
    if (this.jsonEnabled()) {
      const json: ErrorJson = { error: { kind, name: err.name, message, hint, exitCode } };
      if (responseCode !== undefined) json.error.code = responseCode;
      this.logJson(json);
    } else {
      const c = stderrColor();
      process.stderr.write(`${c.red('Error:')} ${message}${hint ? c.dim(` — ${hint}`) : ''}\n`);
    }
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    if (debug && err.cause instanceof Error && err.cause.stack)
      process.stderr.write(`caused by: ${err.cause.stack}\n`);
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    this.adminClient?.close();
    await super.finally(err);
  }
}

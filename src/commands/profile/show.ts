import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { NotFoundError } from '../../core/errors.js';
import { findProfile, loadProfiles, type Profile, redact } from '../../services/profiles.js';

/** What `rmq profile show --json` prints (secrets masked). */
export interface ProfileShowResult {
  name: string;
  /** Whether it is the current profile. */
  current: boolean;
  profile: Profile;
}

export default class ProfileShow extends BaseCommand<typeof ProfileShow> {
  static override summary = 'Show a profile (the current one by default); secrets are masked.';
  static override examples = ['<%= config.bin %> profile show', '<%= config.bin %> profile show prod --json'];
  static override args = { name: Args.string({ description: 'Profile name.' }) };

  async run(): Promise<ProfileShowResult> {
    const file = await loadProfiles();
    const name = this.args.name ?? file.current;
    const p = name ? findProfile(file, name) : undefined;
    if (!name || !p) {
      throw new NotFoundError(name ? `profile "${name}" does not exist` : 'no current profile', {
        hint: 'see `rmq profile list`, or create one with `rmq profile create`',
      });
    }
    const shown = redact(p);
    for (const [k, v] of Object.entries(shown)) if (v !== undefined) this.log(this.forStdout(`${k}: ${v}`));
    return { name, current: file.current === name, profile: shown };
  }
}

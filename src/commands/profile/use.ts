import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { NotFoundError } from '../../core/errors.js';
import { loadProfiles, saveProfiles } from '../../services/profiles.js';

/** What `rmq profile use --json` prints. */
export interface ProfileUseResult {
  /** The profile now current. */
  current: string;
}

export default class ProfileUse extends BaseCommand<typeof ProfileUse> {
  static override summary = 'Make a profile the current one.';
  static override examples = ['<%= config.bin %> profile use prod'];
  static override args = { name: Args.string({ required: true, description: 'Profile name.' }) };

  async run(): Promise<ProfileUseResult> {
    const file = await loadProfiles();
    if (!file.profiles[this.args.name]) {
      throw new NotFoundError(`profile "${this.args.name}" does not exist`, {
        hint: 'see `rmq profile list`',
      });
    }
    file.current = this.args.name;
    await saveProfiles(file);
    this.log(`current profile: ${this.args.name}`);
    return { current: this.args.name };
  }
}

import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { loadProfiles, requireProfile, saveProfiles } from '../../services/profiles.js';

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
    requireProfile(file, this.args.name);
    file.current = this.args.name;
    await saveProfiles(file);
    this.log(`current profile: ${this.args.name}`);
    return { current: this.args.name };
  }
}

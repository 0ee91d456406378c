import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { loadProfiles, requireProfile, saveProfiles } from '../../services/profiles.js';

/** What `rmq profile delete --json` prints. */
export interface ProfileDeleteResult {
  name: string;
  deleted: true;
}

export default class ProfileDelete extends BaseCommand<typeof ProfileDelete> {
  static override summary = 'Delete a connection profile.';
  static override examples = ['<%= config.bin %> profile delete staging'];
  static override args = { name: Args.string({ required: true, description: 'Profile name.' }) };

  async run(): Promise<ProfileDeleteResult> {
    const file = await loadProfiles();
    requireProfile(file, this.args.name);
    delete file.profiles[this.args.name];
    if (file.current === this.args.name) file.current = undefined;
    await saveProfiles(file);
    this.log(`deleted profile ${this.args.name}`);
    return { name: this.args.name, deleted: true };
  }
}

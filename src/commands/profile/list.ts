import { BaseCommand } from '../../base-command.js';
import { loadProfiles, profilesPath } from '../../services/profiles.js';
import { renderTable } from '../../ui/table.js';

/** One row of `rmq profile list --json`. */
export interface ProfileListItem {
  name: string;
  namesrv: string | null;
  /** Whether it holds ACL credentials. */
  acl: boolean;
  /** Whether it connects with TLS. */
  tls: boolean;
}

/** What `rmq profile list --json` prints. */
export interface ProfileListResult {
  /** The profiles file. */
  path: string;
  /** The current profile, if any. */
  current: string | null;
  profiles: ProfileListItem[];
}

export default class ProfileList extends BaseCommand<typeof ProfileList> {
  static override summary = 'List connection profiles.';
  static override examples = ['<%= config.bin %> profile list'];

  async run(): Promise<ProfileListResult> {
    const file = await loadProfiles();
    const profiles: ProfileListItem[] = Object.entries(file.profiles)
      .map(([name, p]) => ({
        name,
        namesrv: p.namesrv ?? null,
        acl: Boolean(p.accessKey),
        tls: Boolean(p.tls || p.tlsCa),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    this.log(
      renderTable(
        ['', 'PROFILE', 'NAMESRV', 'ACL', 'TLS'],
        profiles.map((p) => [p.name === file.current ? '*' : '', p.name, p.namesrv, p.acl, p.tls]),
      ),
    );
    return { path: profilesPath(), current: file.current ?? null, profiles };
  }
}

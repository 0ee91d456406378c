/**
 * DLedger METADATA (50000), to one broker's raft port (RocketMQ 4.9 with a DLedger commit log):
 * which node of its raft group leads. DLedger's own RPC (io.openmessaging.storage.dledger:
 * DLedgerRpcNettyService, MetadataRequest/MetadataResponse, DLedgerServer#handleMetadata) over
 * RocketMQ's remoting frames, with JSON bodies and no extFields.
 *
 * Request body: {"group": <dLegerGroup>, "remoteId": <the node's dLegerSelfId>}. A node whose
 *   group or id differ sends no response at all (its failed future is only logged), so a wrong
 *   pair shows as the caller's timeout.
 * Response: code 200 (DLedger's SUCCESS, not remoting's 0) and body
 *   {"code":200,"group":"g","leaderId":"n1"|null,"peers":{"n0":"127.0.0.1:40911",…},
 *    "term":-1,…}: leaderId is null while the group elects; term is not filled in by 4.9's DLedger.
 */
import { ProtocolError } from '../errors.js';
import { jsonText, mapEntries, parseFastjson } from '../remoting/fastjson.js';
import type { RemotingCommand } from '../remoting/command.js';

export const DLEDGER_METADATA = 50000;
/** DLedgerResponseCode.SUCCESS, the remoting code of every DLedger response. */
export const DLEDGER_SUCCESS = 200;
export const DLEDGER_METADATA_ACCEPT: readonly number[] = [DLEDGER_SUCCESS];

/** A reply is a few hundred bytes; anything near this is not DLedger's. */
const MAX_BODY = 64 * 1024;

export function dledgerMetadataBody(group: string, selfId: string): Buffer {
  return Buffer.from(JSON.stringify({ group, remoteId: selfId }));
}

export interface DLedgerMetadata {
  group: string;
  /** null while the group elects a leader. */
  leaderId: string | null;
  /** raft id → its peer address. */
  peers: Record<string, string>;
}

export function decodeDLedgerMetadata(res: RemotingCommand): DLedgerMetadata {
  const root = parseFastjson(res.body ?? '{}', { maxLength: MAX_BODY, maxDepth: 4 });
  if (!root || typeof root !== 'object' || Array.isArray(root)) {
    throw new ProtocolError('DLedger metadata is not an object');
  }
  const o = root as Record<string, unknown>;
  // The body repeats DLedger's code: an error reply still comes with the remoting code 200.
  if (o.code !== undefined && jsonText(o.code) !== String(DLEDGER_SUCCESS)) {
    throw new ProtocolError(`DLedger answered code ${jsonText(o.code)} to a metadata request`);
  }
  const leader = jsonText(o.leaderId);
  return {
    group: jsonText(o.group),
    leaderId: leader === '' ? null : leader,
    peers: Object.fromEntries(mapEntries(o.peers).map(([k, v]) => [jsonText(k), jsonText(v)])),
  };
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeDLedgerMetadata,
  DLEDGER_SUCCESS,
  dledgerMetadataBody,
} from '../../src/core/protocol/dledger-metadata.js';
import { ProtocolError } from '../../src/core/errors.js';
import { type RemotingCommand, SerializeType } from '../../src/core/remoting/command.js';

const reply = (body: string | Buffer): RemotingCommand => ({
  code: DLEDGER_SUCCESS,
  language: 0,
  version: 0,
  opaque: 1,
  flag: 1,
  extFields: {},
  body: Buffer.isBuffer(body) ? body : Buffer.from(body),
  serializeType: SerializeType.JSON,
});

describe('DLedger METADATA', () => {
  it('asks a node by its group and raft id', () => {
    assert.deepEqual(JSON.parse(dledgerMetadataBody('broker-a', 'n1').toString()), {
      group: 'broker-a',
      remoteId: 'n1',
    });
  });

  it('reads the leader and peers as 4.9.7 DLedger writes them, and no leader while electing', () => {
    const m = decodeDLedgerMetadata(
      reply(
        '{"code":200,"group":"broker-a","leaderId":"n2","peers":{"n0":"127.0.0.1:30021","n1":"127.0.0.1:30025","n2":"127.0.0.1:30029"},"term":-1}',
      ),
    );
    assert.deepEqual(m, {
      group: 'broker-a',
      leaderId: 'n2',
      peers: { n0: '127.0.0.1:30021', n1: '127.0.0.1:30025', n2: '127.0.0.1:30029' },
    });
    assert.equal(decodeDLedgerMetadata(reply('{"code":200,"group":"g","peers":{}}')).leaderId, null);
  });

  it('refuses an error code in the body, a body that is no object, a deep or oversized one', () => {
    assert.throws(() => decodeDLedgerMetadata(reply('{"code":401,"group":"g"}')), ProtocolError);
    assert.throws(() => decodeDLedgerMetadata(reply('[1,2]')), ProtocolError);
    assert.throws(
      () => decodeDLedgerMetadata(reply(`{"peers":${'['.repeat(50)}${']'.repeat(50)}}`)),
      ProtocolError,
    );
    assert.throws(() => decodeDLedgerMetadata(reply(Buffer.alloc(100 * 1024, 0x20))), ProtocolError);
  });
});

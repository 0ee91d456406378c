/** A group's consume mode (5.x): the bodies of SET_MESSAGE_REQUEST_MODE and QUERY_ASSIGNMENT. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../src/core/errors.js';
import {
  decodeAssignmentMode,
  queryAssignmentBody,
  setMessageRequestModeBody,
} from '../../src/core/protocol/message-request-mode.js';

describe('consume mode bodies', () => {
  it('SET_MESSAGE_REQUEST_MODE and QUERY_ASSIGNMENT bodies carry what the broker reads', () => {
    assert.deepEqual(
      JSON.parse(
        setMessageRequestModeBody({
          topic: 'T',
          consumerGroup: 'G',
          mode: 'POP',
          popShareQueueNum: 0,
        }).toString(),
      ),
      { topic: 'T', consumerGroup: 'G', mode: 'POP', popShareQueueNum: 0 },
    );
    const q = JSON.parse(queryAssignmentBody('T', 'G').toString()) as Record<string, string>;
    assert.equal(q.topic, 'T');
    assert.equal(q.consumerGroup, 'G');
    assert.equal(q.messageModel, 'BROADCASTING');
  });

  it("reads the mode of a QUERY_ASSIGNMENT answer's queues", () => {
    const answer = (mode: unknown, n = 2) =>
      Buffer.from(
        JSON.stringify({
          messageQueueAssignments: Array.from({ length: n }, (_, i) => ({
            messageQueue: { topic: 'T', brokerName: 'b', queueId: i },
            mode,
            attachments: {},
          })),
        }),
      );
    assert.equal(decodeAssignmentMode(answer('POP')), 'POP');
    assert.equal(decodeAssignmentMode(answer('PULL')), 'PULL');
    assert.equal(decodeAssignmentMode(Buffer.from('{}')), undefined, 'a topic the broker does not know');
    assert.equal(decodeAssignmentMode(undefined), undefined);
    assert.throws(() => decodeAssignmentMode(answer('PUSH')), ProtocolError);
    assert.throws(() => decodeAssignmentMode(Buffer.from('[1]')), ProtocolError);
    assert.throws(() => decodeAssignmentMode(Buffer.from('{"messageQueueAssignments":3}')), ProtocolError);
    const mixed = Buffer.from(
      JSON.stringify({ messageQueueAssignments: [{ mode: 'POP' }, { mode: 'PULL' }] }),
    );
    assert.throws(() => decodeAssignmentMode(mixed), /disagree/);
    assert.throws(() => decodeAssignmentMode(Buffer.from('{"messageQueueAssignments":[')), ProtocolError);
  });
});

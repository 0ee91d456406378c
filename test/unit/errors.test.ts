import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BrokerResponseError,
  ConnectionClosedError,
  ConnectionError,
  ProtocolError,
  RocketMQError,
  TimeoutError,
} from '../../src/core/errors.js';
import { ResponseCode, responseCodeInfo } from '../../src/core/remoting/codes.js';

describe('BrokerResponseError', () => {
  it('takes name, retriable and message from the code table when there is no remark', () => {
    const err = new BrokerResponseError(14, undefined, '127.0.0.1:10911');
    assert.equal(err.name, 'BrokerResponseError');
    assert.equal(err.codeName, 'SERVICE_NOT_AVAILABLE');
    assert.equal(err.responseCode, 14);
    assert.equal(err.retriable, true);
    assert.equal(err.kind, 'broker');
    assert.equal(err.address, '127.0.0.1:10911');
    assert.equal(
      err.message,
      'SERVICE_NOT_AVAILABLE (14): service not available (disk full, slave, or shutting down)',
    );
    assert.ok(err instanceof RocketMQError);
    assert.ok(err instanceof Error);
  });

  it('prefers the trimmed server remark and keeps the raw one', () => {
    const remark = ' request type 9999 not supported';
    const err = new BrokerResponseError(3, remark);
    assert.equal(err.message, 'REQUEST_CODE_NOT_SUPPORTED (3): request type 9999 not supported');
    assert.equal(err.remark, remark);
    assert.equal(err.retriable, false);
    assert.equal(err.address, undefined);
  });

  it('falls back to the table message for a blank remark', () => {
    assert.equal(
      new BrokerResponseError(2, '   ').message,
      'SYSTEM_BUSY (2): the server is busy (flow control)',
    );
  });

  it('maps TOPIC_NOT_EXIST (17) to kind not-found, retriable', () => {
    const err = new BrokerResponseError(17, 'No topic route info in name server for the topic: T');
    assert.equal(err.kind, 'not-found');
    assert.equal(err.retriable, true);
    assert.equal(err.codeName, 'TOPIC_NOT_EXIST');
  });

  it('marks the codes Java producers retry as retriable, and the stored-but statuses as not', () => {
    for (const code of [1, 2, 14, 16, 17, 204, 205, 1500]) {
      assert.equal(new BrokerResponseError(code, undefined).retriable, true, `code ${code}`);
    }
    for (const code of [3, 10, 11, 12, 13, 18, 26, 206]) {
      assert.equal(new BrokerResponseError(code, undefined).retriable, false, `code ${code}`);
    }
  });

  it('falls back to UNKNOWN_<code> for codes outside the table, without throwing', () => {
    const err = new BrokerResponseError(4242, undefined);
    assert.equal(err.codeName, 'UNKNOWN_4242');
    assert.equal(err.retriable, false);
    assert.equal(err.kind, 'broker');
    assert.equal(err.message, 'UNKNOWN_4242 (4242): unknown response code 4242');
    const negative = new BrokerResponseError(-7, 'odd');
    assert.equal(negative.codeName, 'UNKNOWN_-7');
    assert.equal(negative.message, 'UNKNOWN_-7 (-7): odd');
  });

  it('lets options override retriable and carry a cause and hint', () => {
    const cause = new Error('root');
    const err = new BrokerResponseError(3, undefined, undefined, { retriable: true, cause, hint: 'upgrade' });
    assert.equal(err.retriable, true);
    assert.equal(err.cause, cause);
    assert.equal(err.hint, 'upgrade');
  });
});

describe('responseCodeInfo', () => {
  it('names every code the client refers to by the same name', () => {
    for (const [name, code] of Object.entries(ResponseCode)) {
      assert.equal(responseCodeInfo(code).name, name, `code ${code}`);
    }
  });

  it('knows the 5.x-only codes', () => {
    assert.deepEqual(
      [215, 501, 1500].map((c) => responseCodeInfo(c).name),
      ['FLOW_CONTROL', 'NOT_LEADER_FOR_QUEUE', 'GO_AWAY'],
    );
  });
});

describe('error taxonomy', () => {
  it('gives each class its own name, kind and retriable default', () => {
    const conn = new ConnectionError('h:1', 'refused');
    const closed = new ConnectionClosedError('h:1', 'closed');
    const timeout = new TimeoutError('slow', 250);
    const proto = new ProtocolError('bad frame');
    assert.deepEqual(
      [conn, closed, timeout, proto].map((e) => [e.name, e.kind, e.retriable]),
      [
        ['ConnectionError', 'connection', true],
        ['ConnectionClosedError', 'connection', true],
        ['TimeoutError', 'timeout', true],
        ['ProtocolError', 'protocol', false],
      ],
    );
    assert.ok(closed instanceof ConnectionError);
    assert.equal(closed.address, 'h:1');
    assert.equal(timeout.timeoutMs, 250);
    assert.equal(new ConnectionError('h:1', 'x', { retriable: false }).retriable, false);
  });

  it('leaves cause unset unless one is given', () => {
    assert.equal('cause' in new ProtocolError('x'), false);
    const cause = new Error('inner');
    assert.equal(new ProtocolError('x', { cause }).cause, cause);
  });
});

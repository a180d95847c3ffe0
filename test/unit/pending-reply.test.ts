import { describe, expect, it } from 'vitest';
import { AssertionError, RingcacheError } from '../../src/runtime/index.js';
import { PendingReply, REPLIES } from '../../src/resp/index.js';
import type { PendingReplyWaiter } from '../../src/resp/index.js';

function recorder(): PendingReplyWaiter & { heard: string[] } {
  const heard: string[] = [];
  return {
    heard,
    onPendingSettled: (pending) => { heard.push(pending.failed ? `failed: ${pending.failure?.message ?? ''}` : `reply: ${pending.reply.kind}`); },
  };
}

describe('PendingReply', () => {
  it('tells its waiter once, whether it settles before or after the waiter arrives', () => {
    const early = new PendingReply();
    early.resolve(REPLIES.ok);
    const first = recorder();
    early.wait(first);
    expect(first.heard).toEqual(['reply: raw']);

    const late = new PendingReply();
    const second = recorder();
    late.wait(second);
    expect(second.heard).toEqual([]);
    late.reject(new RingcacheError('RC_ERR_TIMEOUT', 'slow'));
    late.resolve(REPLIES.ok);
    expect(second.heard).toEqual(['failed: slow']);
    expect(late.settled).toBe(true);
  });

  it('has one waiter, and the reply only once resolved', () => {
    const pending = new PendingReply();
    pending.wait(recorder());
    expect(() => { pending.wait(recorder()); }).toThrow(AssertionError);
    expect(() => pending.reply).toThrow(AssertionError);
  });

  it('is awaitable like the promise it replaces', async () => {
    const resolved = new PendingReply();
    setTimeout(() => { resolved.resolve(REPLIES.pong); }, 1);
    expect(await resolved).toBe(REPLIES.pong);
    const rejected = new PendingReply();
    rejected.reject(new RingcacheError('RC_ERR_QUORUM_READ', 'no quorum'));
    await expect(Promise.resolve(rejected)).rejects.toThrow('no quorum');
  });
});

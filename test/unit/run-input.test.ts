/** The run's input: what `sagent start` accepts, and the one-line error it prints otherwise. */
import { checkRunInput } from '../../src/shared/run-input';

describe('checkRunInput', () => {
  it('accepts the minimal input, an agent and a task', () => {
    expect(checkRunInput({ agent: 'travel', task: 'Book Lisbon' })).toEqual({ success: true, data: { agent: 'travel', task: 'Book Lisbon' } });
  });

  it('trims the task', () => {
    expect(checkRunInput({ agent: 'travel', task: '  Book Lisbon \n' })).toEqual({ success: true, data: { agent: 'travel', task: 'Book Lisbon' } });
  });

  it('accepts a full input', () => {
    const input = {
      agent: 'travel',
      task: 'Book Lisbon',
      approval: {
        approvers: ['alice'],
        requireFor: ['book_hotel'],
        timeoutMs: 60_000,
        onExpiry: 'escalate',
        rejectionIsFatal: true,
        escalationTimeoutMs: 1000,
      },
      budget: { maxSteps: 10, maxCostUsd: 0.5, maxWallClockMs: 60_000 },
      allowedTools: ['search_hotels'],
      model: 'claude-sonnet-4-6',
      escalationModel: 'claude-opus-4-6',
      maxTokens: 4096,
      context: { keepTurns: 2, stubBytes: 80 },
      continueAsNewAfterTurns: 50,
      blockAfterCompensationFailures: 2,
    };
    expect(checkRunInput(input)).toEqual({ success: true, data: input });
  });

  it.each([
    ['an empty task', { agent: 'travel', task: '' }, 'task: the task is empty'],
    ['a blank task', { agent: 'travel', task: '   \n\t' }, 'task: the task is empty'],
    ['a task over 20,000 characters', { agent: 'travel', task: 'x'.repeat(20_001) }, 'task: the task is longer than 20,000 characters'],
    ['an empty agent name', { agent: '', task: 'Book Lisbon' }, 'agent: name an agent'],
  ])('refuses %s', (_label, input, error) => {
    expect(checkRunInput(input)).toEqual({ success: false, error });
  });

  it('refuses unknown keys at the top level and inside nested settings', () => {
    expect(checkRunInput({ agent: 'travel', task: 'Book Lisbon', taks: 'typo' })).toEqual({ success: false, error: 'input: Unrecognized key: "taks"' });
    expect(checkRunInput({ agent: 'travel', task: 'Book Lisbon', budget: { maxCost: 1 } })).toEqual({
      success: false,
      error: 'budget: Unrecognized key: "maxCost"',
    });
    expect(checkRunInput({ agent: 'travel', task: 'Book Lisbon', approval: { approver: ['alice'] } })).toMatchObject({
      success: false,
      error: expect.stringMatching(/^approval: .*"approver"/),
    });
  });

  it.each([
    ['a negative cost', { maxCostUsd: -1 }, 'budget.maxCostUsd'],
    ['zero steps', { maxSteps: 0 }, 'budget.maxSteps'],
    ['fractional steps', { maxSteps: 2.5 }, 'budget.maxSteps'],
    ['an infinite cost', { maxCostUsd: Number.POSITIVE_INFINITY }, 'budget.maxCostUsd'],
    ['a cost given as a string', { maxCostUsd: '5' }, 'budget.maxCostUsd'],
  ])('refuses a budget with %s, naming the field', (_label, budget, field) => {
    const check = checkRunInput({ agent: 'travel', task: 'Book Lisbon', budget });
    expect(check.success).toBe(false);
    if (check.success) return;
    expect(check.error.startsWith(`${field}: `)).toBe(true);
    expect(check.error).not.toContain('\n');
    expect(check.error.split('; ')).toHaveLength(1);
  });

  it('lists every problem on one line, separated by semicolons', () => {
    const check = checkRunInput({ agent: 'travel', task: ' ', budget: { maxSteps: -1 }, approval: { onExpiry: 'ignore' } });
    expect(check.success).toBe(false);
    if (check.success) return;
    expect(check.error).not.toContain('\n');
    expect(check.error.split('; ').map((problem) => problem.split(':')[0])).toEqual(['task', 'approval.onExpiry', 'budget.maxSteps']);
  });

  it('refuses something that is not an object', () => {
    expect(checkRunInput(null)).toEqual({ success: false, error: 'input: Invalid input: expected object, received null' });
    expect(checkRunInput('Book Lisbon')).toMatchObject({ success: false, error: expect.stringMatching(/^input: /) });
  });

  it('refuses maxTokens above 128,000', () => {
    expect(checkRunInput({ agent: 'travel', task: 'Book Lisbon', maxTokens: 128_000 }).success).toBe(true);
    expect(checkRunInput({ agent: 'travel', task: 'Book Lisbon', maxTokens: 128_001 })).toMatchObject({
      success: false,
      error: expect.stringMatching(/^maxTokens: /),
    });
  });
});

// Persisted inputs are a contract: an input of an earlier version that still names context.maxToolResultBytes
// (now each tool's maxResultBytes cuts its results) is accepted, not refused.
test('an earlier input with context.maxToolResultBytes is still accepted', () => {
  expect(checkRunInput({ agent: 'travel', task: 'Book Lisbon', context: { maxToolResultBytes: 1000 } } as never).success).toBe(true);
});

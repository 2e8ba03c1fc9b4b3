/**
 * The client's pure parts: a run's input built and checked before anything is started, and its errors told apart
 * by name (domain failures from infrastructure failures), as the CLI and apps tell them apart.
 */
import { CLIENT_ERRORS, isClientError } from '../../src/index';
import { buildRunInput, newWorkflowId } from '../../src/operations/start';
import {
  DecisionRefusedError,
  DecisionUnconfirmedError,
  EffectNotFoundError,
  InvalidRunInputError,
  OperationRefusedError,
  QueryUnansweredError,
  RunAlreadyExistsError,
  RunEndedError,
  RunInputRefusedError,
  RunNotCompletedError,
  RunNotFoundError,
} from '../../src/operations/errors';

describe('buildRunInput', () => {
  test('maps the flat options onto the run input, models from the environment', () => {
    const input = buildRunInput(
      { agent: 'travel', task: 'Book Lisbon', approver: ['alice'], requireApproval: ['book_hotel'], maxSteps: 10, budgetUsd: 2 },
      { SAGENT_MODEL: 'claude-haiku-4-5', SAGENT_ESCALATION_MODEL: 'claude-opus-4-6' },
    );
    expect(input).toMatchObject({
      agent: 'travel',
      task: 'Book Lisbon',
      approval: { approvers: ['alice'], requireFor: ['book_hotel'] },
      budget: { maxSteps: 10, maxCostUsd: 2 },
      model: 'claude-haiku-4-5',
      escalationModel: 'claude-opus-4-6',
    });
  });

  test('an explicit model wins over SAGENT_MODEL; no options, no optional fields', () => {
    expect(buildRunInput({ agent: 'travel', task: 'x', model: 'claude-sonnet-4-6' }, { SAGENT_MODEL: 'other' }).model).toBe('claude-sonnet-4-6');
    const bare = buildRunInput({ agent: 'travel', task: 'x' }, {});
    expect(Object.keys(bare).sort()).toEqual(['agent', 'task']);
  });

  test('an empty task is an InvalidRunInputError naming the field', () => {
    let thrown: unknown;
    try {
      buildRunInput({ agent: 'travel', task: '   ' }, {});
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ name: 'InvalidRunInputError', message: 'invalid run input: task: the task is empty' });
  });
});

test('workflow ids are the agent and 8 random hex digits', () => {
  expect(newWorkflowId('travel')).toMatch(/^travel-[0-9a-f]{8}$/);
  expect(newWorkflowId('travel')).not.toBe(newWorkflowId('travel'));
});

describe('client errors', () => {
  const samples = [
    new RunNotFoundError('r', 'default'),
    new RunAlreadyExistsError('r', 'default'),
    new InvalidRunInputError('task: empty'),
    new RunInputRefusedError('r', 'unknown agent'),
    new RunEndedError('r'),
    new DecisionRefusedError('hash_mismatch', 'r', 'call-4', 'not the one you reviewed'),
    new OperationRefusedError('abort', 'r', 'already compensating'),
    new EffectNotFoundError('r', 'r/effect-9', 'no effect'),
    new QueryUnansweredError('no worker answered'),
    new DecisionUnconfirmedError('r', 'call-4', 'not recorded'),
    new RunNotCompletedError('r', 'compensated', 'Claude aborted'),
  ];

  test('each class has its own name, and the closed table lists exactly those names', () => {
    expect(samples.map((err) => err.name).sort()).toEqual(Object.keys(CLIENT_ERRORS).sort());
    for (const err of samples) expect(isClientError(err)).toBe(true);
  });

  test('no worker answering and an unconfirmed signal are infrastructure; the rest are domain failures', () => {
    const infrastructure = Object.entries(CLIENT_ERRORS)
      .filter(([, kind]) => kind === 'infrastructure')
      .map(([name]) => name);
    expect(infrastructure.sort()).toEqual(['DecisionUnconfirmedError', 'QueryUnansweredError']);
  });

  test("Temporal's and plain errors are not client errors", () => {
    expect(isClientError(Object.assign(new Error('x'), { name: 'WorkflowNotFoundError' }))).toBe(false);
    expect(isClientError(new Error('x'))).toBe(false);
    expect(isClientError(null)).toBe(false);
  });

  test('a refusal carries its code and what it refers to; messages are one line for a person', () => {
    expect(samples[5]).toMatchObject({ code: 'hash_mismatch', workflowId: 'r', callId: 'call-4' });
    expect(samples[0].message).toBe('no run "r" in namespace default: check the id (sagent pending lists waiting runs)');
    expect(samples[6].message).toBe('the run refused the abort: already compensating');
  });
});

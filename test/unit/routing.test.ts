/** Model routing: the escalation model takes over after repeated tool errors. */
import { chooseModel, type RoutingPolicy } from '../../src/policies/routing';

const POLICY: RoutingPolicy = { defaultModel: 'claude-sonnet-4-6', escalationModel: 'claude-opus-4-6', escalateAfterToolErrors: 2 };

describe('chooseModel', () => {
  it('uses the default model while tool errors stay under the threshold', () => {
    expect(chooseModel(POLICY, 0)).toEqual({ model: 'claude-sonnet-4-6', escalated: false, reason: null });
    expect(chooseModel(POLICY, 1)).toEqual({ model: 'claude-sonnet-4-6', escalated: false, reason: null });
  });

  it('escalates at the threshold and above, saying why', () => {
    expect(chooseModel(POLICY, 2)).toEqual({ model: 'claude-opus-4-6', escalated: true, reason: '2 tool errors in a row' });
    expect(chooseModel(POLICY, 5)).toEqual({ model: 'claude-opus-4-6', escalated: true, reason: '5 tool errors in a row' });
  });

  it('does not report an escalation when both models are the same', () => {
    const same = { ...POLICY, escalationModel: 'claude-sonnet-4-6' };
    expect(chooseModel(same, 10)).toEqual({ model: 'claude-sonnet-4-6', escalated: false, reason: null });
  });

  it('follows the configured threshold', () => {
    expect(chooseModel({ ...POLICY, escalateAfterToolErrors: 4 }, 3).escalated).toBe(false);
    expect(chooseModel({ ...POLICY, escalateAfterToolErrors: 4 }, 4).escalated).toBe(true);
  });
});

/** Typed results: how Claude's final text is read as the agent's output, and what it is told when it does not validate. */
import { z } from 'zod';
import { checkFinalOutput, outputInstruction, reaskNote } from '../../src/policies/output';
import { defineAgent } from '../../src/tools/define';

const schema = z.object({ city: z.string(), temperatureC: z.number() });

describe('checkFinalOutput', () => {
  it.each([
    ['bare JSON', '{"city":"Lisbon","temperatureC":24}'],
    ['a fenced block', 'Here it is:\n```json\n{"city":"Lisbon","temperatureC":24}\n```'],
    ['JSON inside prose', 'The forecast: {"city":"Lisbon","temperatureC":24}. Enjoy.'],
  ])('reads %s', (_label, text) => {
    expect(checkFinalOutput(text, schema)).toEqual({ kind: 'valid', value: { city: 'Lisbon', temperatureC: 24 } });
  });

  it('names every field that does not validate, by path', () => {
    const check = checkFinalOutput('{"city":3}', schema);
    expect(check.kind).toBe('invalid');
    const errors = check.kind === 'invalid' ? check.errors : '';
    expect(errors).toMatch(/^city: .*string/m);
    expect(errors).toMatch(/^temperatureC: .*number/m);
  });

  it('says when the answer is not JSON at all, or empty', () => {
    expect(checkFinalOutput('It is sunny.', schema)).toEqual({ kind: 'invalid', errors: 'the answer is not JSON: give only a JSON value' });
    expect(checkFinalOutput('  ', schema)).toEqual({ kind: 'invalid', errors: 'the answer is empty: a JSON value is required' });
  });

  it('bounds the errors it shows, however many there are', () => {
    const wide = z.object(Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`field_${i}`, z.string()])));
    const check = checkFinalOutput('{}', wide);
    expect(check.kind === 'invalid' && Buffer.byteLength(check.errors) <= 2100).toBe(true);
  });

  it('keeps what the schema transforms', () => {
    const trimmed = z.object({ city: z.string().trim() });
    expect(checkFinalOutput('{"city":"  Lisbon "}', trimmed)).toEqual({ kind: 'valid', value: { city: 'Lisbon' } });
  });
});

describe('what Claude reads', () => {
  it('gets the schema as JSON Schema in its instructions, and the errors when it asks again', () => {
    expect(outputInstruction(schema)).toContain('{"type":"object","properties":{"city":{"type":"string"},"temperatureC":{"type":"number"}}');
    expect(reaskNote('city: expected string')).toMatch(/does not match the required output schema:\ncity: expected string\nAnswer again/);
  });
});

describe('defineAgent with an output', () => {
  it('refuses an output that is not a zod schema and attempts out of range', () => {
    const base = { name: 'typed', description: 'x', system: 'x', tools: [] };
    expect(() => defineAgent({ ...base, output: { type: 'object' } as unknown as z.ZodType })).toThrow(/output must be a zod schema/);
    expect(() => defineAgent({ ...base, output: schema, outputAttempts: 0 })).toThrow(/outputAttempts must be a whole number from 1 to 10, got 0/);
    expect(defineAgent({ ...base, output: schema, outputAttempts: 2 }).outputAttempts).toBe(2);
  });
});

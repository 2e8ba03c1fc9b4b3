/** Canonical JSON and hashing: an approval is bound to exactly one tool, input and effect. */
import { argsHashOf, byteLength, canonicalJson, sha256Hex } from '../../src/policies/canonical';

describe('canonicalJson', () => {
  it('sorts object keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }, 'x'], c: { z: null, y: true } })).toBe('{"a":[{"c":2,"d":1},"x"],"b":1,"c":{"y":true,"z":null}}');
  });

  it('gives the same text for the same value in any key order', () => {
    expect(canonicalJson({ to: 'LIS', from: 'LHR' })).toBe(canonicalJson({ from: 'LHR', to: 'LIS' }));
  });

  it('writes numbers the RFC 8785 way and has no whitespace', () => {
    expect(canonicalJson([1.0, 1e21, 0.5, -0])).toBe('[1,1e+21,0.5,0]');
  });

  it('writes null for a value with no JSON form', () => {
    expect(canonicalJson(undefined)).toBe('null');
  });
});

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 test vectors', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes the UTF-8 bytes of the text', () => {
    // UTF-8 'é' is c3 a9; hashing the Latin-1 byte e9 would give de2e331d….
    expect(sha256Hex('é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
    expect(sha256Hex('é')).not.toBe(sha256Hex('e\u0301'));
  });
});

describe('argsHashOf', () => {
  const call = { tool: 'charge_card', input: { amount: 120, currency: 'EUR' }, effectId: 'run-1/3' };
  const hash = argsHashOf(call);

  it('is the SHA-256 of the canonical {tool, input, effectId}', () => {
    expect(hash).toBe(sha256Hex('{"effectId":"run-1/3","input":{"amount":120,"currency":"EUR"},"tool":"charge_card"}'));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on key order', () => {
    expect(argsHashOf({ effectId: 'run-1/3', input: { currency: 'EUR', amount: 120 }, tool: 'charge_card' })).toBe(hash);
  });

  it('changes with the tool, the input, or the effect id', () => {
    expect(argsHashOf({ ...call, tool: 'refund_card' })).not.toBe(hash);
    expect(argsHashOf({ ...call, input: { amount: 121, currency: 'EUR' } })).not.toBe(hash);
    expect(argsHashOf({ ...call, effectId: 'run-1/4' })).not.toBe(hash);
  });
});

describe('byteLength', () => {
  it('counts UTF-8 bytes', () => {
    expect(byteLength('')).toBe(0);
    expect(byteLength('abc')).toBe(3);
    expect(byteLength('é')).toBe(2);
    expect(byteLength('€')).toBe(3);
    expect(byteLength('😀')).toBe(4);
  });
});

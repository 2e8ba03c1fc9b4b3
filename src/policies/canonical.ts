/** Canonical JSON (RFC 8785) and SHA-256, in pure JS so the workflow sandbox can hash calls. */
import canonicalize from 'canonicalize';
import { sha256 } from '@noble/hashes/sha256';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';

export function canonicalJson(value: unknown): string {
  return canonicalize(value) ?? 'null';
}

export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

/** The hash an approval is bound to: the tool, its normalised input and its effect id. */
export function argsHashOf(call: { tool: string; input: unknown; effectId: string }): string {
  return sha256Hex(canonicalJson({ tool: call.tool, input: call.input, effectId: call.effectId }));
}

/** UTF-8 byte length, without Node's Buffer. */
export function byteLength(text: string): number {
  return utf8ToBytes(text).length;
}

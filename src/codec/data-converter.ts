/** The data converter every sagent client and worker uses: the encryption codec when a key is configured. */
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec } from './encryption-codec';
import { loadKeyring } from './keys';

/**
 * `{ payloadCodecs: [encryption codec] }` with the keys from SAGENT_CODEC_KEYS or SAGENT_CODEC_KEY_FILE, or
 * undefined when neither is set. Throws {@link CodecKeyError} (one line) for a malformed key.
 */
export function codecDataConverter(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const keyring = loadKeyring(env);
  return keyring ? { payloadCodecs: [new EncryptionCodec(keyring)] } : undefined;
}

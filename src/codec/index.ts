/** Encrypted histories: the payload codec, its keys, the data converter that uses it, and the codec server. */
export { codecDataConverter } from './data-converter';
export { CIPHER, ENCRYPTED_ENCODING, EncryptionCodec, CodecDecryptError, CodecUnknownKeyError, KEY_ID_METADATA, isSealed, keyIdOf } from './encryption-codec';
export { decodeHistory } from './history';
export { CodecKeyError, KEY_BYTES, formatKeyList, loadKeyring, parseKeyList, readKeyFile, type CodecKey, type CodecKeyring } from './keys';
export { DEFAULT_CODEC_PORT, generateToken, startCodecServer, uiOrigins, type CodecServer, type CodecServerOptions } from './server';

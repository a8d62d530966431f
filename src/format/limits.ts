/** Constants of format version 1 (docs/FORMAT.md). Changing any of them is a new format version. */
export const MAGIC = Buffer.from('SGUARD\n\x1a', 'latin1'); // 8 bytes; \n and ^Z catch text-mode mangling
export const FORMAT_VERSION = 1;

/** Fixed preamble: magic (8) + version (2) + header length (4). */
export const PREAMBLE_LENGTH = 14;
export const HEADER_MAC_LENGTH = 32;
export const MAX_HEADER_LENGTH = 65536;
/**
 * The smallest header that can be valid: preamble 14, segment size 4, created-at 8, three empty str16
 * texts 6, key count 1, one wrapped key with a 1-byte provider, an empty key id and a 1-byte blob 7, MAC 32.
 */
export const MIN_HEADER_LENGTH = 72;

export const MIN_SEGMENT_SIZE = 128;
export const MAX_SEGMENT_SIZE = 64 * 1024 * 1024;
export const DEFAULT_SEGMENT_SIZE = 1024 * 1024;

export const MAX_INSTANCE_LENGTH = 255;
export const MAX_SET_ID_LENGTH = 255;
export const MAX_FILE_NAME_LENGTH = 1024;
export const MAX_WRAPPED_KEYS = 16;
export const MAX_PROVIDER_LENGTH = 32;
export const MAX_KEY_ID_LENGTH = 2048;
export const MAX_WRAPPED_BLOB_LENGTH = 8192;

/** Tink AES-GCM-HKDF streaming parameters for AES-256 (docs/FORMAT.md, "Payload"). */
export const DATA_KEY_LENGTH = 32;
export const SALT_LENGTH = 32;
export const NONCE_PREFIX_LENGTH = 7;
export const TAG_LENGTH = 16;
export const STREAM_HEADER_LENGTH = 1 + SALT_LENGTH + NONCE_PREFIX_LENGTH; // 40
export const MAX_SEGMENTS = 2 ** 32;

export const HEADER_MAC_INFO = Buffer.from('snapshot-guard v1 header mac', 'latin1');

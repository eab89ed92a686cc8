import { closeSync, openSync, readSync, writeSync } from "node:fs"
import { CipherError, KEY_ID_BYTES, open, seal } from "./cipher"

// An encrypted backup is the database file cut into 1 MiB chunks, each sealed as an ordinary hive envelope
// (docs/envelope.md) with the backup sub-key:
//   "HIVEBAK1" | file id (16 bytes) | per chunk: length (4 bytes, big-endian) | envelope
// Each envelope's additional data names the file id, the chunk's index and whether it is the last one,
// so chunks cannot be reordered, dropped, cut short or spliced in from another backup without failing.
export const MAGIC = new TextEncoder().encode("HIVEBAK1")
const FILE_ID_BYTES = 16
const CHUNK = 1 << 20

const where = (fileId: Uint8Array, index: number, last: boolean) => ({
  table: "backup",
  row: `${Buffer.from(fileId).toString("hex")}:${index}`,
  column: last ? "last" : "chunk",
})

/** Whether a file starts like an encrypted backup (so restore knows to decrypt it first). */
export function isEncryptedBackup(path: string): boolean {
  const fd = openSync(path, "r")
  try {
    const head = new Uint8Array(MAGIC.length)
    return readSync(fd, head, 0, head.length, 0) === head.length && head.every((b, i) => b === MAGIC[i])
  } finally {
    closeSync(fd)
  }
}

function readFully(fd: number, length: number, position: number): Uint8Array {
  const buf = new Uint8Array(length)
  let got = 0
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got)
    if (n === 0) break
    got += n
  }
  return buf.subarray(0, got)
}

/** Encrypts `source` into `target` (which must not exist) with `key`, whose id is `keyId` (hex). */
export function encryptFile(source: string, target: string, key: Uint8Array, keyId: string) {
  const id = Buffer.from(keyId, "hex")
  if (id.length !== KEY_ID_BYTES) throw new RangeError(`a key id is ${KEY_ID_BYTES} bytes`)
  const fileId = crypto.getRandomValues(new Uint8Array(FILE_ID_BYTES))
  const input = openSync(source, "r")
  const output = openSync(target, "wx", 0o600)
  try {
    writeSync(output, MAGIC)
    writeSync(output, fileId)
    let position = 0
    let chunk = readFully(input, CHUNK, position)
    for (let index = 0; ; index++) {
      const next = chunk.length === CHUNK ? readFully(input, CHUNK, position + CHUNK) : new Uint8Array(0)
      const last = next.length === 0
      const envelope = seal(key, id, chunk, where(fileId, index, last))
      const length = new Uint8Array(4)
      new DataView(length.buffer).setUint32(0, envelope.length)
      writeSync(output, length)
      writeSync(output, envelope)
      if (last) break
      position += CHUNK
      chunk = next
    }
  } finally {
    closeSync(input)
    closeSync(output)
  }
}

/** Decrypts an encrypted backup into `target` (which must not exist); throws CipherError on any tampering. */
export function decryptFile(source: string, target: string, keyFor: (keyId: string) => Uint8Array | undefined) {
  const input = openSync(source, "r")
  const output = openSync(target, "wx", 0o600)
  try {
    const head = readFully(input, MAGIC.length + FILE_ID_BYTES, 0)
    if (head.length < MAGIC.length + FILE_ID_BYTES || !MAGIC.every((b, i) => b === head[i])) throw new CipherError("malformed", "not an encrypted hive backup")
    const fileId = head.subarray(MAGIC.length)
    let position = head.length
    for (let index = 0; ; index++) {
      const lengthBytes = readFully(input, 4, position)
      if (lengthBytes.length < 4) throw new CipherError("corrupted", "the backup ends before its last chunk: it was cut short")
      const length = new DataView(lengthBytes.buffer, lengthBytes.byteOffset).getUint32(0)
      if (length > CHUNK + 64) throw new CipherError("corrupted", "a chunk of the backup has an impossible length")
      const envelope = readFully(input, length, position + 4)
      if (envelope.length < length) throw new CipherError("corrupted", "the backup ends inside a chunk: it was cut short")
      position += 4 + length
      const atEnd = readFully(input, 1, position).length === 0
      writeSync(output, open(keyFor, envelope, where(fileId, index, atEnd)))
      if (atEnd) break
    }
  } finally {
    closeSync(input)
    closeSync(output)
  }
}

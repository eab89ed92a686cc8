// `bun scripts/make-icons.ts`: writes src/web/icon-192.png and icon-512.png, the page's icon as PNG for what will
// not take the SVG (iOS's home screen, installers that want 192 and 512 px). Drawn from icon.svg's shapes: a
// rounded dark square and three amber hexagons, 4x4 supersampled. Run it again after changing icon.svg.
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { deflateSync } from "node:zlib"

const BG = [0x1f, 0x29, 0x37]
const HONEY = [0xfb, 0xbf, 0x24]
// icon.svg's hexagons, in its 512-unit box.
const HEXAGONS = [
  [256, 96, 320, 133, 320, 207, 256, 244, 192, 207, 192, 133],
  [176, 232, 240, 269, 240, 343, 176, 380, 112, 343, 112, 269],
  [336, 232, 400, 269, 400, 343, 336, 380, 272, 343, 272, 269],
].map((flat) => Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i]!, flat[2 * i + 1]!] as const))
// Each hexagon's bounding box: most samples are outside all three, and this says so at once.
const BOXES = HEXAGONS.map((h) => [
  Math.min(...h.map((p) => p[0])),
  Math.min(...h.map((p) => p[1])),
  Math.max(...h.map((p) => p[0])),
  Math.max(...h.map((p) => p[1])),
])

/** Inside a convex polygon whose points go round one way. */
function inside(x: number, y: number, poly: readonly (readonly [number, number])[]): boolean {
  let sign = 0
  for (let i = 0; i < poly.length; i++) {
    const [ax, ay] = poly[i]!
    const [bx, by] = poly[(i + 1) % poly.length]!
    const cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax)
    if (cross !== 0) {
      if (sign !== 0 && Math.sign(cross) !== sign) return false
      sign = Math.sign(cross)
    }
  }
  return true
}

function inRoundedSquare(x: number, y: number): boolean {
  const r = 96
  const cx = Math.min(Math.max(x, r), 512 - r)
  const cy = Math.min(Math.max(y, r), 512 - r)
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length)
  out.set(new TextEncoder().encode(type), 4)
  out.set(data, 8)
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)))
  return out
}

function draw(size: number): Uint8Array {
  const rows = new Uint8Array(size * (1 + 4 * size))
  const scale = 512 / size
  for (let y = 0; y < size; y++) {
    const row = y * (1 + 4 * size)
    rows[row] = 0 // no filter
    for (let x = 0; x < size; x++) {
      let bg = 0
      let honey = 0
      for (let sy = 0; sy < 4; sy++)
        for (let sx = 0; sx < 4; sx++) {
          const px = (x + (sx + 0.5) / 4) * scale
          const py = (y + (sy + 0.5) / 4) * scale
          if (!inRoundedSquare(px, py)) continue
          if (HEXAGONS.some((h, i) => px >= BOXES[i]![0]! && px <= BOXES[i]![2]! && py >= BOXES[i]![1]! && py <= BOXES[i]![3]! && inside(px, py, h))) honey++
          else bg++
        }
      const cover = bg + honey
      const at = row + 1 + 4 * x
      for (let c = 0; c < 3; c++) rows[at + c] = cover ? Math.round((BG[c]! * bg + HONEY[c]! * honey) / cover) : 0
      rows[at + 3] = Math.round((255 * cover) / 16)
    }
  }
  const header = new Uint8Array(13)
  const view = new DataView(header.buffer)
  view.setUint32(0, size)
  view.setUint32(4, size)
  header.set([8, 6, 0, 0, 0], 8) // 8 bits, RGBA, deflate, no filter method, no interlace
  const signature = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  const parts = [signature, chunk("IHDR", header), chunk("IDAT", new Uint8Array(deflateSync(rows))), chunk("IEND", new Uint8Array())]
  return new Uint8Array(Buffer.concat(parts))
}

for (const size of [192, 512]) writeFileSync(join(import.meta.dir, "..", "src", "web", `icon-${size}.png`), draw(size))

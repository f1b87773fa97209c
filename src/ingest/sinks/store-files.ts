// File steps of the embedded store: a complete append, a directory sync, the repair of a file a
// crash cut off mid-line, and reads of its complete lines (all of them, or the last ones).
import { createReadStream } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';

/** Buffers per writev call (the system limit is 1024). */
const WRITEV_BATCH = 512;

export async function writeAll(
  handle: FileHandle,
  buffers: readonly Buffer[],
  total: number,
): Promise<void> {
  let written = 0;
  let index = 0;
  let offset = 0; // into buffers[index], after a short write
  while (written < total) {
    const group: Buffer[] = [];
    for (let k = index; k < buffers.length && group.length < WRITEV_BATCH; k++) {
      group.push(k === index && offset > 0 ? buffers[k]!.subarray(offset) : buffers[k]!);
    }
    const { bytesWritten } = await handle.writev(group);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    written += bytesWritten;
    // Advance past what was written.
    let left = bytesWritten;
    while (left > 0 && index < buffers.length) {
      const rest = buffers[index]!.length - offset;
      if (left >= rest) {
        left -= rest;
        index++;
        offset = 0;
      } else {
        offset += left;
        left = 0;
      }
    }
  }
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Cuts a file back to its last newline (a crash can leave half a line); returns its size. */
export async function repairTail(path: string): Promise<number> {
  const { size } = await stat(path);
  if (size === 0) return 0;
  const handle = await open(path, 'r+');
  try {
    const block = Buffer.alloc(Math.min(size, 64 * 1024));
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - block.length);
      const { bytesRead } = await handle.read(block, 0, end - start, start);
      const nl = block.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl >= 0) {
        const keep = start + nl + 1;
        if (keep < size) await handle.truncate(keep);
        return keep;
      }
      end = start;
    }
    await handle.truncate(0);
    return 0;
  } finally {
    await handle.close();
  }
}

/** The newline-terminated lines of a file (a last line still being written is left out). */
export async function* readCompleteLines(path: string): AsyncGenerator<string> {
  let rest = '';
  try {
    for await (const chunk of createReadStream(path, { encoding: 'utf8' })) {
      const text = rest + (chunk as string);
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      yield* lines;
    }
  } catch (error) {
    // A file removed by retention while being read simply ends.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * The complete lines in the last `maxBytes` of a file (the first, cut-off one left out unless
 * the read starts at the file's beginning); empty when the file cannot be read.
 */
export async function readLastLines(path: string, maxBytes: number): Promise<Buffer> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const { size } = await handle.stat();
    const start = Math.max(0, size - maxBytes);
    const block = Buffer.alloc(size - start);
    const { bytesRead } = await handle.read(block, 0, block.length, start);
    let text = block.subarray(0, bytesRead);
    if (start > 0) text = text.subarray(text.indexOf(0x0a) + 1);
    return text.subarray(0, text.lastIndexOf(0x0a) + 1);
  } catch {
    return Buffer.alloc(0);
  } finally {
    await handle?.close().catch(() => {});
  }
}

/**
 * safetensors: an 8-byte little-endian header length N, N bytes of JSON, then the tensor data. The format holds no
 * code; a valid file has no issues. A file that claims the format but breaks it (N larger than the file or than the
 * 100 MB the format allows, a header that is not a JSON object of `dtype`/`shape`/`data_offsets` entries, offsets
 * outside the data, overlapping or leaving holes) gets an `invalid-safetensors` warning: the library refuses it, and a
 * `.safetensors` name on something else is a disguise worth a look.
 */
import type { Collector } from './collect';
import type { ByteSource } from './source';
import { shown } from './text';

/** The largest header the format allows. */
export const SAFETENSORS_MAX_HEADER = 100 * 1024 * 1024;

/** Bytes per element of the dtypes whose size is whole; sub-byte types (F4, F6_*) are not size-checked. */
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8, C64: 8,
};

function headerLength(head: Uint8Array): number {
  let n = 0;
  for (let i = 7; i >= 0; i--) n = n * 256 + head[i];
  return n;
}

/** Whether the first bytes look like a safetensors file (a sane header length followed by `{`). */
export function looksLikeSafetensors(head: Uint8Array, size?: number): boolean {
  if (head.length < 10) return false;
  const n = headerLength(head);
  if (n < 2 || n > SAFETENSORS_MAX_HEADER || (size !== undefined && n > size - 8)) return false;
  return head[8] === 0x7b && (head[9] === 0x22 || head[9] === 0x7d || head[9] === 0x20);
}

/** Why a parsed header is invalid, or undefined when it is valid. */
export function safetensorsHeaderProblem(header: unknown, dataBytes: number): string | undefined {
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return 'the header is not a JSON object';
  const spans: Array<[number, number, string]> = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return '`__metadata__` is not an object';
      if (Object.values(entry).some((v) => typeof v !== 'string')) return '`__metadata__` holds a value that is not a string';
      continue;
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return `the entry \`${shown(name)}\` is not an object`;
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (typeof dtype !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(dtype)) return `the tensor \`${shown(name)}\` has no valid \`dtype\``;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return `the tensor \`${shown(name)}\` has no valid \`shape\``;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0)) return `the tensor \`${shown(name)}\` has no valid \`data_offsets\``;
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataBytes) return `the tensor \`${shown(name)}\` has \`data_offsets\` [${begin}, ${end}] outside the ${dataBytes} bytes of data`;
    const per = DTYPE_BYTES[dtype];
    if (per !== undefined) {
      const count = (shape as number[]).reduce((a, b) => a * b, 1);
      if (count * per !== end - begin) return `the tensor \`${shown(name)}\` has ${end - begin} bytes of data for a ${dtype} shape [${shape.join(', ')}]`;
    }
    spans.push([begin, end, name]);
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let at = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== at) return begin < at ? `the tensor \`${shown(name)}\` overlaps another` : `the data has a hole before the tensor \`${shown(name)}\``;
    at = end;
  }
  if (at !== dataBytes) return `the tensors cover ${at} of the ${dataBytes} bytes of data`;
  return undefined;
}

/** Check a safetensors file (a random-access source of `size` bytes). */
export async function checkSafetensors(src: ByteSource, size: number, col: Collector): Promise<void> {
  const invalid = (why: string) =>
    col.issue(
      'invalid-safetensors',
      'warning',
      `The file is not valid safetensors (${why}), so the safetensors library refuses it and it may be another format in disguise.`,
      `its safetensors header is invalid (${why})`,
    );
  if (size < 8) return invalid('it is shorter than the 8-byte header length');
  const head = (await src.read(0, 8)).bytes;
  if (head.length < 8) return invalid('it is shorter than the 8-byte header length');
  const n = headerLength(head);
  if (n > size - 8) return invalid(`the header length ${n} runs past the end of the file`);
  if (n > SAFETENSORS_MAX_HEADER) return invalid(`the header length ${n} is over the 100 MB the format allows`);
  if (n < 2) return invalid('the header is empty');
  const bytes = (await src.read(8, n)).bytes.subarray(0, n);
  if (bytes.length < n) return invalid('the header could not be read whole');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return invalid('the header is not UTF-8 JSON');
  }
  const problem = safetensorsHeaderProblem(header, size - 8 - n);
  if (problem) invalid(problem);
}

// Writes an interaction file as Apache Parquet (for the load benchmark; hyparquet-writer is a
// devDependency): the rows as loaded (ids as INT32 when every id is a non-negative integer, else
// STRING; rating DOUBLE; timestamp INT64 when integral, else DOUBLE), in row groups of 100,000;
// columns REQUIRED (no nulls) unless --nullable (OPTIONAL, as pandas / pyarrow write them).
//
//   node dist/bench/to-parquet.js IN OUT.parquet [--columns 0,1,-,2] [--nullable]
//
// The file is for measurements in a scratch folder (MovieLens 1M must not be copied into the repo).
import { parquetWriteFile } from 'hyparquet-writer';
import { loadInteractions } from '../src/data/load.js';
import type { ColumnSpec } from '../src/data/types.js';

const [input, output] = process.argv.slice(2);
if (input === undefined || output === undefined || !output.endsWith('.parquet')) {
  process.stderr.write('usage: node dist/bench/to-parquet.js IN OUT.parquet [--columns 0,1,-,2]\n');
  process.exit(2);
}
const c = process.argv.indexOf('--columns');
const columns: ColumnSpec[] | undefined = c < 0 ? undefined : process.argv[c + 1].split(',').map((p) => (p === '-' ? null : /^\d+$/.test(p) ? Number(p) : p));
const data = await loadInteractions(input, columns === undefined ? {} : { columns });
const s = data.summary;
if (s.duplicates + s.badLines + s.belowMinRating + s.kcoreRemoved > 0) process.stderr.write(`note: rows dropped on loading (${s.duplicates} duplicates…): the Parquet file holds the kept rows only\n`);

/** One id column: INT32 when every id is a canonical non-negative integer below 2^31, else strings. */
function idColumn(name: string, index: Int32Array, ids: string[]): { name: string; data: Int32Array | string[]; type: string; nullable: boolean } {
  if (ids.every((id) => /^(0|[1-9]\d{0,9})$/.test(id) && Number(id) < 2 ** 31)) {
    const asInt = Int32Array.from(ids, Number);
    return { name, data: Int32Array.from(index, (k) => asInt[k]), type: 'INT32', nullable: false };
  }
  return { name, data: Array.from(index, (k) => ids[k]), type: 'STRING', nullable: false };
}

const columnData: { name: string; data: ArrayLike<unknown>; type: string; nullable?: boolean }[] = [
  idColumn(s.columns?.user.name ?? 'user', data.user, data.users.ids()),
  idColumn(s.columns?.item.name ?? 'item', data.item, data.items.ids()),
];
if (data.rating !== null) columnData.push({ name: s.columns?.rating?.name ?? 'rating', data: Float64Array.from(data.rating), type: 'DOUBLE', nullable: false });
if (data.timestamp !== null) {
  const ts = data.timestamp;
  const integral = ts.every((t) => Number.isSafeInteger(t));
  columnData.push({ name: s.columns?.timestamp?.name ?? 'timestamp', data: integral ? BigInt64Array.from(ts, (t) => BigInt(t)) : ts, type: integral ? 'INT64' : 'DOUBLE', nullable: false });
}
if (process.argv.includes('--nullable')) for (const col of columnData) col.nullable = true;
parquetWriteFile({ filename: output, columnData, rowGroupSize: 100000 } as never);
process.stdout.write(`${output}: ${data.user.length} rows, columns ${columnData.map((x) => `${x.name} ${x.type}`).join(', ')}\n`);

import fs from 'node:fs';

/**
 * Where a process's resident memory is, from /proc/<pid>/smaps: the C heap's main arena
 * (`[heap]`, brk), anonymous mappings (V8's heap pages, the other malloc arenas, large
 * allocations), and file mappings (node's code, libraries). Tells memory a process still
 * holds (anonymous) from what the allocator kept (`[heap]` after a burst).
 */
export interface MemMap {
  heapMb: number;
  anonMb: number;
  fileMb: number;
}

export function memMap(pid: number): MemMap | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return undefined;
  }
  const out = { heapMb: 0, anonMb: 0, fileMb: 0 };
  let kind: 'heap' | 'anon' | 'file' | 'other' = 'other';
  for (const line of text.split('\n')) {
    const first = line.split(' ', 1)[0];
    if (first.includes('-') && !first.endsWith(':')) {
      // a mapping's header: range perms offset dev inode [path]
      const parts = line.split(' ').filter((p) => p !== '');
      const name = parts[5] ?? '';
      kind = name === '[heap]' ? 'heap' : name === '' ? 'anon' : name.startsWith('/') ? 'file' : 'other';
    } else if (first === 'Rss:') {
      const kb = Number(line.slice(4).trim().split(' ')[0]);
      if (kind === 'heap') out.heapMb += kb / 1024;
      else if (kind === 'anon') out.anonMb += kb / 1024;
      else if (kind === 'file') out.fileMb += kb / 1024;
    }
  }
  return out;
}

export function memMapText(m: MemMap | undefined): string {
  if (!m) return 'n/a';
  const r = (x: number): string => `${x.toFixed(0)} MB`;
  return `[heap] ${r(m.heapMb)}, anonymous ${r(m.anonMb)}, files ${r(m.fileMb)}`;
}

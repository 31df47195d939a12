import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SCENARIO_DIR } from '../../support/sipp';

/**
 * sipp scenarios for consultation hold and swap, generated from core-hold.xml and
 * core-uas-hold.xml: a caller that holds and resumes `cycles` times (a pause between
 * each step), and a callee that answers that many hold/resume re-INVITEs. Written to a
 * temporary folder; returns the two file paths and a cleanup.
 */
export function swapScenarios(cycles: number): { caller: string; callee: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swap-'));
  const hold = fs.readFileSync(path.join(SCENARIO_DIR, 'core-hold.xml'), 'utf8');
  const start = hold.indexOf('  <!-- re-INVITE 1: hold -->');
  const mid = hold.indexOf('  <!-- re-INVITE 2: resume -->');
  const end = hold.indexOf('<send retrans="500" start_txn="bye">');
  const byeStart = hold.lastIndexOf('\n', end);
  const holdBlock = hold.slice(start, mid);
  const resumeBlock = hold.slice(mid, byeStart);
  let body = hold.slice(0, start);
  for (let i = 1; i <= cycles; i++) {
    body += holdBlock.replace(/reinvite1/g, `hold${i}`);
    body += resumeBlock.replace(/reinvite2/g, `resume${i}`) + '\n  <pause/>\n';
  }
  body += hold.slice(byeStart);
  const caller = path.join(dir, 'swap-caller.xml');
  fs.writeFileSync(caller, body.replace('<scenario name="core-hold">', '<scenario name="swap-caller">'));

  const uas = fs.readFileSync(path.join(SCENARIO_DIR, 'core-uas-hold.xml'), 'utf8');
  const first = uas.indexOf('  <recv request="INVITE">');
  const second = uas.indexOf('  <recv request="INVITE">', first + 10);
  const bye = uas.indexOf('  <recv request="BYE"/>');
  let callee = uas.slice(0, first);
  const block = uas.slice(first, second);
  for (let i = 0; i < 2 * cycles; i++) callee += block;
  callee += uas.slice(bye);
  const calleePath = path.join(dir, 'swap-callee.xml');
  fs.writeFileSync(calleePath, callee.replace('<scenario name="core-uas-hold">', '<scenario name="swap-callee">'));
  return { caller, callee: calleePath, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

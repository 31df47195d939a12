import { FRAME_SAMPLES } from './jitter-buffer';
import type { Member } from './member';
import { mixMinus } from './mix-minus';

/**
 * One conference: its members and the 32-bit sum they share. The engine calls mix() once
 * per 20 ms tick; members join and leave between ticks (the worker is single threaded, so
 * a change never lands inside a mix).
 */
export class Bridge {
  readonly members: Member[] = [];
  /** its slot of the 20 ms period (PhaseSlots) */
  phase = 0;
  private readonly sum = new Int32Array(FRAME_SAMPLES);

  constructor(readonly id: string) {}

  add(member: Member): void {
    this.members.push(member);
  }

  remove(member: Member): void {
    const i = this.members.indexOf(member);
    if (i >= 0) this.members.splice(i, 1);
  }

  /** Take every member's next frame, mix minus, and send each member its packet for `frame`. */
  mix(frame: number): void {
    const members = this.members;
    for (let m = 0; m < members.length; m++) {
      members[m].takeFrame();
      members[m].prepareOut();
    }
    mixMinus(members, this.sum);
    for (let m = 0; m < members.length; m++) members[m].send(frame);
  }
}

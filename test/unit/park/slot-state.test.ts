import assert from 'node:assert/strict';
import { IllegalSlotTransition, SlotMachine } from '../../../features/park/slot-state';

describe('park slot state machine', () => {
  const at = (...steps: Parameters<SlotMachine['to']>[0][]): SlotMachine => {
    const m = new SlotMachine();
    for (const s of steps) m.to(s);
    return m;
  };

  it('a failed retrieve goes back to parked; a second retrieve meanwhile is refused', () => {
    const m = at('parked', 'retrieving');
    assert.equal(m.try('retrieving'), false, 'one retrieve at a time');
    assert.equal(m.can('returning'), false, 'the timeout waits for the retrieve');
    m.to('parked');
    m.to('retrieving');
    m.to('retrieved');
    assert.equal(m.state, 'retrieved');
  });

  it('ends from parked, retrieving and returning; nothing leaves retrieved or ended', () => {
    for (const from of [['parked'], ['parked', 'retrieving'], ['parked', 'returning']] as const) assert.ok(at(...from).try('ended'), from.join('>'));
    for (const end of ['retrieved', 'ended'] as const) {
      const m = end === 'retrieved' ? at('parked', 'retrieving', 'retrieved') : at('parked', 'ended');
      for (const next of ['free', 'parked', 'retrieving', 'returning', 'retrieved', 'ended'] as const) assert.equal(m.can(next), false, `${end} -> ${next}`);
    }
  });

  it('an illegal step throws and changes nothing', () => {
    const m = new SlotMachine();
    assert.throws(() => m.to('retrieving'), IllegalSlotTransition);
    assert.equal(m.state, 'free');
    assert.equal(m.try('retrieved'), false);
    assert.equal(m.state, 'free');
  });
});

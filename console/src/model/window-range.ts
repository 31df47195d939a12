/** Which rows of a long list a scrolled box shows, and the room the others take. */
export interface WindowRange {
  /** the first row rendered */
  first: number;
  /** one past the last row rendered */
  last: number;
  /** pixels above the first row (the rows not rendered there) */
  padTop: number;
  /** pixels below the last row */
  padBottom: number;
}

/**
 * The rows of a windowed list with a fixed row height: those in view plus `overscan` on
 * each side (so a short scroll shows rows already there), never past either end. The
 * rows left out are replaced by padding of their height, so the scroll bar is that of the
 * whole list.
 */
export function windowRange(total: number, rowHeight: number, scrollTop: number, viewport: number, overscan = 6): WindowRange {
  if (total <= 0 || rowHeight <= 0) return { first: 0, last: 0, padTop: 0, padBottom: 0 };
  const maxTop = Math.max(0, total * rowHeight - viewport);
  const top = Math.min(Math.max(0, scrollTop), maxTop);
  const first = Math.max(0, Math.floor(top / rowHeight) - overscan);
  const last = Math.min(total, Math.ceil((top + Math.max(0, viewport)) / rowHeight) + overscan);
  return { first, last, padTop: first * rowHeight, padBottom: (total - last) * rowHeight };
}

import type { Scheduler } from './model/frame-batch';

/** The next animation frame, or 250 ms where none comes (a tab in the background gets no frames). */
export const nextFrame: Scheduler = (cb) => {
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    cancelAnimationFrame(frame);
    clearTimeout(timer);
    cb();
  };
  const frame = requestAnimationFrame(once);
  const timer = setTimeout(once, 250);
  return () => {
    done = true;
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
};

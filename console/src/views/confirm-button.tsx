import type { ComponentChildren, RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * The focus around a question (WCAG 2.4.3, focus order): while `asking`, on its safe
 * answer (`no`); after `answeredNo()`, back on what asked it (`asker`), so a keyboard user
 * is never left on a button that went away.
 */
export function useQuestionFocus(asking: boolean): {
  no: RefObject<HTMLButtonElement | null>; asker: RefObject<HTMLButtonElement | null>; answeredNo(): void;
} {
  const no = useRef<HTMLButtonElement>(null);
  const asker = useRef<HTMLButtonElement>(null);
  const refocus = useRef(false);
  useEffect(() => {
    if (asking) no.current?.focus();
    else if (refocus.current) asker.current?.focus();
    refocus.current = false;
  }, [asking]);
  return { no, asker, answeredNo: () => { refocus.current = true; } };
}

export interface ConfirmButtonProps {
  /** the button's class (the question's buttons are `<class>-yes` and `<class>-no`) */
  class: string;
  label: ComponentChildren;
  title?: string;
  /** what the question is, for assistive technology ("confirm hang-up") */
  groupLabel: string;
  question: ComponentChildren;
  yes: string;
  onYes(): void;
}

/**
 * A destructive action asked twice, in place: the button becomes "question? Yes / No".
 * For the keyboard, the question takes the focus on its safe answer (No), Escape answers
 * No, and No gives the focus back to the button (useQuestionFocus).
 */
export function ConfirmButton(props: ConfirmButtonProps) {
  const [asking, setAsking] = useState(false);
  const { no, asker, answeredNo } = useQuestionFocus(asking);
  const cancel = (): void => {
    answeredNo();
    setAsking(false);
  };
  if (!asking) {
    return <button ref={asker} class={`${props.class} danger`} title={props.title} onClick={() => setAsking(true)}>{props.label}</button>;
  }
  return (
    <span class="confirm" role="group" aria-label={props.groupLabel}
      onKeyDown={(e) => { if (e.key === 'Escape') { e.stopPropagation(); cancel(); } }}>
      {props.question}{' '}
      <button class={`${props.class}-yes danger`} onClick={() => { setAsking(false); props.onYes(); }}>{props.yes}</button>
      <button ref={no} class={`${props.class}-no`} onClick={cancel}>No</button>
    </span>
  );
}

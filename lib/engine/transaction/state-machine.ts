/**
 * Explicit transition tables for the four transaction machines. An illegal transition
 * is a bug in the engine, so it throws; the caller's error boundary logs it.
 */
export class StateMachine<S extends string> {
  constructor(private current: S, private readonly legal: Readonly<Record<S, readonly S[]>>, private readonly label: string) {}

  get state(): S {
    return this.current;
  }

  is(...states: S[]): boolean {
    return states.includes(this.current);
  }

  to(next: S): void {
    if (!this.legal[this.current].includes(next)) {
      throw new Error(`${this.label}: illegal transition ${this.current} -> ${next}`);
    }
    this.current = next;
  }
}

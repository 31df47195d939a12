import type { Feature, FeatureCode } from '../feature';

/**
 * Which feature owns a dialed string. The codes come from the features themselves, so
 * adding a feature never edits this file (STYLE: no central switch).
 */
export class FeatureCodeDispatcher {
  private readonly codes: Array<{ feature: string; code: FeatureCode }> = [];

  register(feature: Feature): void {
    for (const code of feature.codes ?? []) {
      const clash = this.codes.find((c) => c.code.pattern.source === code.pattern.source);
      if (clash) throw new Error(`feature code ${code.pattern} of ${feature.name} is already taken by ${clash.feature}`);
      this.codes.push({ feature: feature.name, code });
    }
  }

  match(dialed: string): { feature: string; code: FeatureCode; match: RegExpMatchArray } | undefined {
    for (const c of this.codes) {
      const m = dialed.match(c.code.pattern);
      if (m) return { ...c, match: m };
    }
    return undefined;
  }
}

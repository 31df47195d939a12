import type { UserCallHook } from '../calls';
import type { EventPackage, Feature, FeatureCode, InternalService, PublishHandler, ReplacesHandler } from '../feature';

/**
 * Which feature owns a dialed string. The codes come from the features themselves, so
 * adding a feature never edits this file (STYLE: no central switch).
 */
export class FeatureCodeDispatcher {
  private readonly codes: Array<{ feature: string; code: FeatureCode }> = [];
  private readonly services: Array<{ feature: string; service: InternalService }> = [];
  private readonly packages: Array<{ feature: string; pkg: EventPackage }> = [];
  private readonly replacers: Array<{ feature: string; handler: ReplacesHandler }> = [];
  private readonly callHooks: UserCallHook[] = [];
  private readonly publishers: Array<{ feature: string; handler: PublishHandler }> = [];

  register(feature: Feature): void {
    for (const service of feature.services ?? []) this.services.push({ feature: feature.name, service });
    for (const pkg of feature.events ?? []) this.packages.push({ feature: feature.name, pkg });
    for (const handler of feature.publish ?? []) {
      const clash = this.publishers.find((p) => p.handler.event === handler.event);
      if (clash) throw new Error(`PUBLISH of ${handler.event} by ${feature.name} is already served by ${clash.feature}`);
      this.publishers.push({ feature: feature.name, handler });
    }
    if (feature.replaces) this.replacers.push({ feature: feature.name, handler: feature.replaces });
    if (feature.userCalls) this.callHooks.push(feature.userCalls);
    for (const code of feature.codes ?? []) {
      const clash = this.codes.find((c) => c.code.pattern.source === code.pattern.source);
      if (clash) throw new Error(`feature code ${code.pattern} of ${feature.name} is already taken by ${clash.feature}`);
      this.codes.push({ feature: feature.name, code });
    }
  }

  eventPackages(event: string): Array<{ feature: string; pkg: EventPackage }> {
    return this.packages.filter((p) => p.pkg.event === event.toLowerCase());
  }

  /** Every package some feature takes SUBSCRIBEs for (Allow-Events of a 489, RFC 6665 8.2.2). */
  subscribableEvents(): string[] {
    return [...new Set(this.packages.map((p) => p.pkg.event))];
  }

  /** The compositor of an event package's PUBLISHes (RFC 3903 4), if any feature serves it. */
  publisher(event: string): { feature: string; handler: PublishHandler } | undefined {
    return this.publishers.find((p) => p.handler.event === event.toLowerCase());
  }

  /** Every package some feature takes PUBLISHes for (Allow-Events of a 489). */
  publishedEvents(): string[] {
    return this.publishers.map((p) => p.handler.event);
  }

  service(user: string): { feature: string; service: InternalService } | undefined {
    return this.services.find((s) => s.service.user.test(user));
  }

  replacesHandlers(): ReadonlyArray<{ feature: string; handler: ReplacesHandler }> {
    return this.replacers;
  }

  /** The call services' hooks, in feature order (the first that decides wins). */
  userCallHooks(): readonly UserCallHook[] {
    return this.callHooks;
  }

  /** Every code matching, in registration order: a handler that declines (false) lets the next one try. */
  matches(dialed: string): Array<{ feature: string; code: FeatureCode; match: RegExpMatchArray }> {
    const out: Array<{ feature: string; code: FeatureCode; match: RegExpMatchArray }> = [];
    for (const c of this.codes) {
      const m = dialed.match(c.code.pattern);
      if (m) out.push({ ...c, match: m });
    }
    return out;
  }
}

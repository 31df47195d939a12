/** What happens to a new INVITE: authentication, feature codes, user calls. */
export { createRouter, type RouterDeps } from './router';
export { FeatureCodeDispatcher } from './feature-codes';
export { contactTarget } from './contact-target';
export { createSubscribeRouter, type SubscribeRouterDeps } from './subscribe-router';
export { createPublishRouter, type PublishRouterDeps } from './publish-router';
export { mayWatchDialogs, type Watched, type Watcher } from './dialog-watch-policy';
export { Admission } from './admission';

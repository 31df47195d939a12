/** Authentication of phones and what protects it: digest checks, failure counting, bans. */
export { AuthFailures, type AuthFailuresOptions } from './auth-failures';
export { clientAddress } from './client-address';
export { BAN_TOPIC, banChanged, BanList, type Ban, type BanBus, type BanChange, type BanListOptions } from './ban-list';
export { SipAuthenticator, type AuthenticateOptions, type SipAuthenticatorDeps } from './sip-authenticator';

import type { Config } from '../config';

/**
 * What an operator reads once the server is up (issue #15: a first start said nothing
 * about where to go next): the REST base URL, where the token is, and how to add a user
 * and register a phone. Plain text for a person at a terminal (stderr), not a log entry.
 */
export function nextSteps(config: Config, httpPort: number, apiTokenFile: string | undefined): string {
  const host = config.httpHost.includes(':') ? `[${config.httpHost}]` : config.httpHost;
  const base = `http://${host}:${httpPort}`;
  const token = apiTokenFile ? `$(cat ${apiTokenFile})` : '$API_TOKEN';
  const sip = `${config.sipAdvertisedHost ?? config.sipHost}:${config.sipPort}`;
  return [
    `feature server ready: SIP ${sip} (UDP and TCP), REST ${base}/v1`,
    `  operator API token: ${apiTokenFile ? `in ${apiTokenFile} (generated once, kept across restarts)` : 'the API_TOKEN you set'}`,
    `  API description (OpenAPI): ${base}/docs/json    health: ${base}/health`,
    '  add a user (a tenant is a SIP domain; it exists as soon as it has a user):',
    `    curl -X PUT ${base}/v1/tenants/example.com/users/1001 -H "Authorization: Bearer ${token}" \\`,
    `      -H 'Content-Type: application/json' -d '{"password":"change-me-1001"}'`,
    `  then register a phone: user 1001, password change-me-1001, domain example.com, registrar/proxy ${sip}`,
    '',
  ].join('\n');
}

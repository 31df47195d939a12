import type { ApiRouter } from '../../lib/api';
import { apiSchemas, tenantFrom } from '../../lib/api';
import type { OutboundRoutes, OutboundRouteStore } from './settings';

const gatewayIn = {
  type: 'object', additionalProperties: false, required: ['uri'],
  properties: {
    uri: { type: 'string', maxLength: 300, pattern: '^sip:([A-Za-z0-9.-]{1,253}|\\[[0-9A-Fa-f:.]{2,45}\\])(:[0-9]{1,5})?(;transport=(udp|tcp))?$' },
    username: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[^"\\\\\\r\\n]+$' },
    password: { type: 'string', minLength: 1, maxLength: 128 },
  },
} as const;

/** What GET shows: never the trunk's password (the serializer drops what is not declared). */
const gatewayOut = { type: 'object', properties: { uri: gatewayIn.properties.uri, username: gatewayIn.properties.username } } as const;

const routesSchema = (gateway: object) => ({
  type: 'object', additionalProperties: false, required: ['routes'],
  properties: {
    routes: {
      type: 'array', maxItems: 100,
      items: {
        type: 'object', additionalProperties: false, required: ['pattern', 'gateways'],
        properties: {
          pattern: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9*?.+#_~-]+$' },
          gateways: { type: 'array', minItems: 1, maxItems: 10, items: gateway },
        },
      },
    },
  },
});

/** GET/PUT/DELETE /v1/tenants/{d}/routes (issue 17 item 6). */
export function outboundRoutes(api: ApiRouter, store: () => OutboundRouteStore): void {
  api.get<{ Params: { domain: string } }>('/tenants/:domain/routes', {
    tenant: tenantFrom.domainParam,
    schema: { summary: "A tenant's outbound routes (passwords left out)", tags: ['routes'], params: apiSchemas.tenantParams, response: { 200: routesSchema(gatewayOut) } },
  }, async (req) => store().get(req.params.domain));

  api.put<{ Params: { domain: string }; Body: OutboundRoutes }>('/tenants/:domain/routes', {
    tenant: tenantFrom.domainParam,
    schema: {
      summary: "Set a tenant's outbound routes: destinations that are no user go to the first matching route's gateways in order (failover on 503/408)",
      tags: ['routes'], params: apiSchemas.tenantParams, body: routesSchema(gatewayIn), response: { 200: routesSchema(gatewayOut) },
    },
  }, async (req) => {
    await store().put(req.params.domain, req.body);
    return req.body;
  });

  api.delete<{ Params: { domain: string } }>('/tenants/:domain/routes', {
    tenant: tenantFrom.domainParam,
    schema: { summary: "Remove a tenant's outbound routes", tags: ['routes'], params: apiSchemas.tenantParams },
  }, async (req, reply) => {
    await store().delete(req.params.domain);
    void reply.code(204);
  });
}

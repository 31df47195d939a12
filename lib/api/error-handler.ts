import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'winston';
import { isStoreUnavailable } from '../store';
import { ApiError, errors } from './errors';

/** ajv's error objects, as far as we read them. */
interface SchemaError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * fastify's schemaErrorFormatter: one readable sentence naming the field, e.g.
 * "body/password must NOT have fewer than 4 characters" or "body has unknown property 'pasword'".
 */
export function validationMessage(errs: SchemaError[], dataVar: string): string {
  const e = errs[0];
  if (!e) return `${dataVar} is invalid`;
  const where = `${dataVar}${e.instancePath}`;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where} has unknown property '${String(e.params.additionalProperty)}'`;
    case 'format':
      return `${where} must be a valid ${String(e.params.format)}`;
    case 'pattern':
      return `${where} contains characters not allowed here (must match ${String(e.params.pattern)})`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}

/** Every failure becomes `{code, message}` with a catalogued status; only 5xx are logged as errors. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const fe = err as Partial<FastifyError>;
  if (fe.validation) return errors.E_BAD_REQUEST(fe.message);
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return errors.E_UNSUPPORTED_MEDIA_TYPE();
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return errors.E_PAYLOAD_TOO_LARGE();
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return errors.E_BAD_REQUEST('body must not be empty with content-type application/json');
    case 'FST_ERR_CTP_INVALID_JSON_BODY': return errors.E_BAD_REQUEST('body is not valid JSON');
  }
  if (isStoreUnavailable(err)) return errors.E_UNAVAILABLE('state store unavailable');
  // Other 4xx errors fastify raises (bad content-length, malformed URL) carry a message
  // written for clients; anything else may describe internals and stays in the log.
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500 && fe.code?.startsWith('FST_')) {
    return errors.E_BAD_REQUEST(fe.message);
  }
  return errors.E_INTERNAL();
}

/**
 * Errors fastify raises before routing (a malformed or over-long URL) bypass the error
 * handler; this keeps them in the catalogue's `{code, message}` shape too.
 */
export function frameworkError(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const apiErr = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? errors.E_URI_TOO_LONG()
    : err.code === 'FST_ERR_BAD_URL' ? errors.E_BAD_REQUEST('malformed URL')
      : toApiError(err);
  void reply.code(apiErr.status).type('application/json').send(apiErr.toJSON());
}

export function installErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler(async (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const apiErr = toApiError(err);
    const meta = { reqId: req.id, method: req.method, url: req.url, code: apiErr.code, status: apiErr.status };
    if (apiErr.status >= 500) {
      logger.error('api request failed', { ...meta, error: (err as Error)?.message, stack: (err as Error)?.stack });
    } else {
      logger.debug('api request rejected', { ...meta, message: apiErr.message });
    }
    return reply.code(apiErr.status).type('application/json').send(apiErr.toJSON());
  });

  app.setNotFoundHandler(async (req, reply) => {
    const apiErr = errors.E_NOT_FOUND(`no route ${req.method} ${req.url.split('?')[0]}`);
    return reply.code(apiErr.status).send(apiErr.toJSON());
  });
}

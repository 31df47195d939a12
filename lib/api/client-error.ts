import http from 'node:http';
import type { Socket } from 'node:net';
import { errors, type ErrorFactory } from './errors';

/**
 * fastify's clientErrorHandler: what Node's HTTP parser refuses before any route runs
 * (a 20,000-character URL overflows the header limit, a request that never completes
 * times out, garbage is not HTTP) gets the same `{code, message}` body as every other
 * error, not fastify's own `{error, message, statusCode}`.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  // a reset connection has no one left to answer (Node's documentation of 'clientError')
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const factory: ErrorFactory = err.code === 'HPE_HEADER_OVERFLOW' ? errors.E_HEADERS_TOO_LARGE
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? errors.E_REQUEST_TIMEOUT : errors.E_BAD_REQUEST;
  const e = factory(factory === errors.E_BAD_REQUEST ? 'malformed HTTP request' : undefined);
  const body = JSON.stringify({ code: e.code, message: e.message });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${e.status} ${http.STATUS_CODES[e.status] ?? ''}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

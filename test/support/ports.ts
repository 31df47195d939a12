import dgram from 'node:dgram';
import net from 'node:net';

const handedOut = new Set<number>();

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A port free on 127.0.0.1 for the given transports, never one handed out before in this process. */
export async function freePort(kind: 'udp' | 'tcp' | 'both' = 'both'): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    if (handedOut.has(port)) continue;
    const ok = (kind === 'udp' || (await tcpFree(port))) && (kind === 'tcp' || (await udpFree(port)));
    if (ok) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port found');
}

/** Resolves once something has bound this UDP port (sipp gives no ready signal). */
export async function waitUdpBound(port: number, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!(await udpFree(port))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing bound udp port ${port} within ${timeoutMs} ms`);
}

import type { SipMessage } from '../sip/message';
import { isRfc3261Branch, type Via } from '../sip/via';
import { tagOf } from '../sip/name-addr';
import type { ClientTransaction } from './client-transactions';
import type { ServerTransaction } from './server-transactions';

/**
 * The transaction tables and their matching rules (RFC 3261 17.1.3 and 17.2.3).
 * Transactions remove themselves when they terminate.
 */
export class TransactionLayer {
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly serversById = new Map<string, ServerTransaction>();
  /** out-of-dialog requests by Call-ID, From tag and CSeq, for merged-request detection */
  private readonly byRequest = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly clientsById = new Map<string, ClientTransaction>();
  private requestBytes = 0;

  get serverCount(): number {
    return this.servers.size;
  }

  /** octets of the requests the live server transactions hold */
  get serverBytes(): number {
    return this.requestBytes;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Transactions still waiting for a final response (the rest only absorb retransmissions). */
  get activeCount(): number {
    let n = 0;
    for (const t of this.servers.values()) if (!t.done) n++;
    for (const t of this.clients.values()) if (!t.isFinal) n++;
    return n;
  }

  /**
   * RFC 3261 17.2.3: branch + sent-by + method, with ACK matching its INVITE. Requests
   * without the magic cookie (RFC 2543 peers, RFC 4475 inv2543/badbranch) fall back to
   * Call-ID, From tag, CSeq number and the top Via.
   */
  static serverKey(msg: SipMessage, via: Via, methodOverride?: string): string {
    const method = methodOverride ?? (msg.method === 'ACK' ? 'INVITE' : msg.method);
    const branch = via.params.get('branch') ?? '';
    const sentBy = `${via.host}:${via.port ?? ''}`;
    if (isRfc3261Branch(branch)) return `${branch}|${sentBy}|${method}`;
    return `2543|${msg.callId}|${tagOf(msg.get('from')) ?? ''}|${msg.cseq.seq}|${sentBy}|${method}`;
  }

  /** RFC 3261 17.1.3: branch of the top Via + the CSeq method. */
  static clientKey(branch: string, method: string): string {
    return `${branch}|${method === 'ACK' ? 'INVITE' : method}`;
  }

  addServer(t: ServerTransaction): void {
    this.servers.set(t.key, t);
    if (!this.serversById.has(t.id)) this.requestBytes += t.requestBytes;
    this.serversById.set(t.id, t);
    const rk = TransactionLayer.requestKey(t.request);
    if (rk && !this.byRequest.has(rk)) this.byRequest.set(rk, t);
  }

  removeServer(t: ServerTransaction): void {
    if (this.servers.get(t.key) === t) this.servers.delete(t.key);
    if (this.serversById.delete(t.id)) this.requestBytes -= t.requestBytes;
    const rk = TransactionLayer.requestKey(t.request);
    if (rk && this.byRequest.get(rk) === t) this.byRequest.delete(rk);
  }

  /**
   * RFC 3261 8.2.2.2: a request without a To tag whose Call-ID, From tag and CSeq match
   * a transaction in progress but which is not a retransmission of it (another branch)
   * reached us twice, e.g. forked back through a loop: it gets 482.
   */
  merged(msg: SipMessage, key: string): boolean {
    const rk = TransactionLayer.requestKey(msg);
    const other = rk ? this.byRequest.get(rk) : undefined;
    return !!other && other.key !== key;
  }

  private static requestKey(msg: SipMessage): string | undefined {
    if (tagOf(msg.get('to')) || msg.method === 'ACK' || msg.method === 'CANCEL') return undefined;
    return `${msg.callId}|${tagOf(msg.get('from')) ?? ''}|${msg.get('cseq') ?? ''}`;
  }

  server(key: string): ServerTransaction | undefined {
    return this.servers.get(key);
  }

  serverById(id: string): ServerTransaction | undefined {
    return this.serversById.get(id);
  }

  addClient(t: ClientTransaction): void {
    this.clients.set(t.key, t);
    this.clientsById.set(t.id, t);
  }

  removeClient(t: ClientTransaction): void {
    if (this.clients.get(t.key) === t) this.clients.delete(t.key);
    if (this.clientsById.get(t.id) === t) this.clientsById.delete(t.id);
  }

  client(key: string): ClientTransaction | undefined {
    return this.clients.get(key);
  }

  clientById(id: string): ClientTransaction | undefined {
    return this.clientsById.get(id);
  }

  /** Every live transaction, for shutdown. */
  all(): Array<ServerTransaction | ClientTransaction> {
    return [...this.servers.values(), ...this.clients.values()];
  }
}

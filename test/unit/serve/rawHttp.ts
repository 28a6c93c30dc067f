// A raw HTTP/1.1 client over one TCP socket for serve's tests: it writes exactly the bytes a test
// gives (Expect: 100-continue, chunked bodies, a body written whole before reading), records
// every byte the server sends and how the connection ended (clean close or a socket error).
import * as net from 'net';

export interface Response {
  /** Every status line, interim (100 Continue) ones included. */
  statusLines: string[];
  headers: Record<string, string>;
  body: string;
}

export class RawConnection {
  readonly socket: net.Socket;
  private received = '';
  private waiters: (() => void)[] = [];
  /** Resolves when the socket has closed: with the error it met, if any. */
  readonly closed: Promise<Error | undefined>;

  constructor(url: string) {
    const u = new URL(url);
    this.socket = net.connect(Number(u.port), u.hostname);
    let error: Error | undefined;
    this.socket.on('error', (e) => (error = e));
    this.closed = new Promise((resolve) => this.socket.on('close', () => resolve(error)));
    this.socket.on('data', (c: Buffer) => {
      this.received += c.toString('latin1');
      this.notify();
    });
    this.socket.on('close', () => this.notify());
  }

  /** Resolves once the bytes are handed to the kernel; rejects if the socket fails. */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (e) => (e ? reject(e) : resolve())));
  }

  /** The responses received so far, interim ones included; the last one may be partial. */
  get text(): string {
    return this.received;
  }

  /** Waits for a complete final response (after any 1xx), by its content-length. */
  async response(timeoutMs = 5000): Promise<Response> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.parse();
      if (r) return r;
      if (this.socket.destroyed) throw new Error(`the connection closed before a whole response: ${JSON.stringify(this.received)}`);
      if (Date.now() > deadline) throw new Error(`no whole response within ${timeoutMs} ms: ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  private parse(): Response | undefined {
    const statusLines: string[] = [];
    let at = 0;
    for (;;) {
      const end = this.received.indexOf('\r\n\r\n', at);
      if (end < 0) return undefined;
      const [status, ...lines] = this.received.slice(at, end).split('\r\n');
      statusLines.push(status);
      at = end + 4;
      if (/^HTTP\/1\.1 1\d\d /.test(status)) continue;
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length']);
      if (this.received.length - at < length) return undefined;
      return { statusLines, headers, body: this.received.slice(at, at + length) };
    }
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }
}

/** The head of a POST to `path` with `headers`, ready to write. */
export const head = (path: string, headers: Record<string, string | number>) =>
  `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

/** One chunk of a chunked body. */
export const chunk = (data: string) => `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`;

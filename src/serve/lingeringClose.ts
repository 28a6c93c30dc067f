// Refusing a request whose body has not been read (too large, unauthorized, wrong path): the
// answer goes out whole with `connection: close`, then the rest of the body is read and dropped
// until it ends, the client hangs up, or `lingerMs` pass, and only then does the connection close
// (RFC 9112 9.6, "lingering close"). Closing at once with unread bytes in the socket makes the
// kernel send a reset, and a client still writing its body sees a broken pipe instead of the answer.
import * as http from 'http';

export function answerAndClose(req: http.IncomingMessage, res: http.ServerResponse, status: number, body: unknown, lingerMs: number): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' });
  res.write(text);
  const close = () => {
    clearTimeout(timer);
    if (!res.destroyed && !res.writableEnded) res.end();
  };
  const timer = setTimeout(close, lingerMs);
  if (req.complete) return close();
  req.once('end', close);
  req.once('close', close);
  req.resume();
}

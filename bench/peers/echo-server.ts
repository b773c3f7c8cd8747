import { createServer } from 'node:net';

/**
 * The ceiling of this I/O path on this machine: a TCP server that returns every byte it
 * receives, unparsed. Usage: node dist/bench/peers/echo-server.js PORT
 */
const port = Number(process.argv[2] ?? 0);
const server = createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', (chunk) => {
    if (!socket.write(chunk)) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  });
  socket.on('error', () => {});
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`));
process.on('SIGTERM', () => process.exit(0));

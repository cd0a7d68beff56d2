import net from 'node:net';

/**
 * A round-robin TCP balancer on loopback: the one public URL in front of several media gateways, as a
 * load balancer is in production (`npm run bench -- --gateways 2`, the deployment tests).
 */
export async function startRoundRobin(backends: () => number[]): Promise<{ port: number; close(): Promise<void> }> {
  let next = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const ports = backends();
    if (ports.length === 0) return void client.destroy();
    const port = ports[next++ % ports.length]!;
    const upstream = net.connect(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined); // a gateway that dies resets its connections
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}


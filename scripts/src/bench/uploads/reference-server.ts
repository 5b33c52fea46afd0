import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

// The floor the API's memory is compared with in bench:uploads: a bare Node HTTP server that does
// the least an upload needs (hash the body while writing it to a file, answer 201), with no
// framework, parser or database. What it grows by under the same load is the runtime's share
// (socket read buffers waiting for the garbage collector), not Mehrdesk's.
//
//   node --import tsx scripts/src/bench/uploads/reference-server.ts <port> <folder>

const [port, dir] = [Number(process.argv[2]), process.argv[3]!];
fs.mkdirSync(dir, { recursive: true });
http
  .createServer((req, res) => {
    const hash = createHash('sha256');
    const file = path.join(dir, randomUUID());
    pipeline(
      req,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          yield chunk;
        }
      },
      fs.createWriteStream(file),
    ).then(
      () => {
        fs.rmSync(file, { force: true });
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: null, sha256: hash.digest('hex') }));
      },
      () => res.writeHead(500).end(),
    );
  })
  .listen(port, '127.0.0.1', () => console.log(`reference server on ${port}`));

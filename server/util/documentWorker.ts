/**
 * The worker thread of documentsAsync.ts: parses one document per message with the bounded core and answers
 * its ParseOutcome. Built to dist/server/documentWorker.mjs beside the bundle (scripts/build-server.mjs);
 * from the sources it is loaded through tsx.
 */
import { parentPort } from 'node:worker_threads';
import { type ParseDocumentOptions, parseBounded } from './documents';

if (parentPort) {
  const port = parentPort;
  port.on('message', (m: { id: number; text: string; opts: ParseDocumentOptions }) => {
    port.postMessage({ id: m.id, outcome: parseBounded(m.text, m.opts) });
  });
  port.postMessage({ ready: true });
}

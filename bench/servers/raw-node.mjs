// Baseline: plain node:http, pre-encoding and coalescing (coalescing-feed.mjs).
import { createServer } from 'node:http';
import { coalescingFeed } from './coalescing-feed.mjs';
import { serve } from './protocol.mjs';

const feed = coalescingFeed();
const server = createServer((req, res) => feed.add(res));
server.listen(0, '127.0.0.1', () => serve(server.address().port, feed.publish, feed.size));

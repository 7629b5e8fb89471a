// Reference: plain Express (no Nest) with the same coalescing feed as raw-node.mjs.
// Shows what Express itself costs per connection.
import express from 'express';
import { coalescingFeed } from './coalescing-feed.mjs';
import { serve } from './protocol.mjs';

const feed = coalescingFeed();
const app = express();
app.get('/feed', (req, res) => feed.add(res));
const server = app.listen(0, '127.0.0.1', () => serve(server.address().port, feed.publish, feed.size));

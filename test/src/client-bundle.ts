// The browser bundle of nestjs-sse-channel/client for test pages: the sample's
// (under the tests it bundles lib/client's sources, unminified), so there is
// one place that knows how the client is bundled for a browser.
export { buildClientBundle as clientBundle } from '../../sample/client-bundle.js';

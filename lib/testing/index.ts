export { collectSseEvents, type CollectSseEventsOptions, type CollectedSseEvents } from './collect-sse-events.js';
export { SseTestStream, type SseTestEvent, type SseTestRequest, type SseTestTarget } from './sse-test-stream.js';

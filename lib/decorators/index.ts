export * from './last-event-id.decorator.js';
export * from './sse-channel.decorator.js';
export * from './sse-channels.decorator.js';

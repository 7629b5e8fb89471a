export * from './sse-channel.decorator.js';

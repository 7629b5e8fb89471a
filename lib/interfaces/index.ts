export * from './sse-channel-options.interface.js';
export * from './sse-message.interface.js';
export * from './sse-module-options.interface.js';

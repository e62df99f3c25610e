// The HTTP service: app (routes), model holder (atomic reload), server (socket, graceful close).
export { createApp, statusOf, DEFAULT_LIMITS, type ServeLimits, type ServeState, type HttpErrorCode } from './app.js';
export { ModelHolder, type ModelSnapshot } from './state.js';
export { startServer, type StartOptions, type RunningServer } from './server.js';

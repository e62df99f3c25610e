// The HTTP service: app (routes), model holder (atomic reload), fold-in queue, server (socket, draining close).
export { createApp, statusOf, DEFAULT_LIMITS, LOOPBACK_HOSTS, HttpError, type ServeLimits, type ServeState, type HttpErrorCode } from './app.js';
export { ModelHolder, type ModelSnapshot, type HolderTitles } from './state.js';
export { JobQueue, type JobOptions } from './queue.js';
export { startServer, type StartOptions, type RunningServer } from './server.js';

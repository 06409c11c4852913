/**
 * Node options the engine process is started with (npm start, tests that spawn it):
 * --expose-gc lets the DATA reader ask for a minor collection while a large message
 * streams through (mail-engine/smtp/message-reader.ts), keeping RSS bounded.
 */
export const ENGINE_NODE_FLAGS = ["--expose-gc"];

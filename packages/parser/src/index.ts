export { ResponseParser } from './response-parser.js'
export type { ResponseParserOptions } from './response-parser.js'
export { PAUSE, SKIP_BODY } from './constants.js'
export { llhttpWasmBytes, llhttpWasmPath } from './llhttp-binary.js'

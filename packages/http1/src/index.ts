export { Http1Connection } from './connection.js'
export type { Http1ConnectionOptions } from './connection.js'
export type { UpgradeResult } from './hand-over.js'
export { Http1BodyReader, HIGH_WATER_MARK } from './body-reader.js'

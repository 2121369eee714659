// The parsing table of event-stream-parser.test.ts, derived from the WHATWG HTML "event stream
// interpretation" rules (§9.2.6). Each case: the stream (text, or bytes where the text cannot say
// it), the events it must dispatch, and the final lastEventId and retry values.
import type { ServerSentEvent } from './event-stream-parser.js'

export interface ParseCase {
  name: string
  input: string | Uint8Array
  events: ServerSentEvent[]
  lastEventId?: string
  retries?: number[]
  comments?: string[]
}

const te = new TextEncoder()
const bytes = (...parts: Array<string | number[]>): Uint8Array => {
  const out: number[] = []
  for (const p of parts) out.push(...(typeof p === 'string' ? te.encode(p) : p))
  return new Uint8Array(out)
}
const msg = (data: string, id = '', event = 'message'): ServerSentEvent => ({ event, data, id })

export const CASES: ParseCase[] = [
  // Fields and values
  { name: 'one data line', input: 'data: hello\n\n', events: [msg('hello')] },
  { name: 'no space after the colon', input: 'data:hello\n\n', events: [msg('hello')] },
  { name: 'only one leading space is removed', input: 'data:  two\n\n', events: [msg(' two')] },
  { name: 'a tab after the colon is kept', input: 'data:\tx\n\n', events: [msg('\tx')] },
  { name: 'colons inside the value are kept', input: 'data: a:b: c\n\n', events: [msg('a:b: c')] },
  { name: 'data lines are joined with LF', input: 'data: a\ndata: b\ndata: c\n\n', events: [msg('a\nb\nc')] },
  { name: 'a field without colon has an empty value', input: 'data\n\n', events: [msg('')] },
  { name: 'an empty data value dispatches an empty string', input: 'data:\n\n', events: [msg('')] },
  { name: 'two empty data lines give one LF', input: 'data:\ndata:\n\n', events: [msg('\n')] },
  { name: 'trailing empty data line keeps its LF', input: 'data: a\ndata:\n\n', events: [msg('a\n')] },
  { name: 'NUL in data is kept', input: 'data: a\0b\n\n', events: [msg('a\0b')] },
  { name: 'field names are case-sensitive', input: 'Data: x\nDATA: y\n\n', events: [] },
  { name: 'a space before the colon makes another field', input: 'data : x\ndata \n\n', events: [] },
  { name: 'unknown fields are ignored', input: 'foo: bar\ndata: x\nx-y:z\n\n', events: [msg('x')] },
  { name: 'a block without data dispatches nothing', input: 'event: ping\n\n', events: [] },
  { name: 'blank lines alone dispatch nothing', input: '\n\n\n\ndata: x\n\n\n\n', events: [msg('x')] },
  // event
  { name: 'event names the type', input: 'event: add\ndata: 1\n\n', events: [msg('1', '', 'add')] },
  { name: 'the type resets after each event', input: 'event: add\ndata: 1\n\ndata: 2\n\n', events: [msg('1', '', 'add'), msg('2')] },
  { name: 'an empty event field means message', input: 'event:\ndata: x\n\n', events: [msg('x')] },
  { name: 'event without colon means message', input: 'event\ndata: x\n\n', events: [msg('x')] },
  { name: 'the last event field wins', input: 'event: a\nevent: b\ndata: x\n\n', events: [msg('x', '', 'b')] },
  { name: 'a type set by a data-less block is dropped', input: 'event: lost\n\ndata: x\n\n', events: [msg('x')] },
  // id
  { name: 'id sets the event id', input: 'id: 1\ndata: x\n\n', events: [msg('x', '1')], lastEventId: '1' },
  { name: 'the id persists across events', input: 'id: 1\ndata: a\n\ndata: b\n\n', events: [msg('a', '1'), msg('b', '1')], lastEventId: '1' },
  { name: 'an id after data in the block counts', input: 'data: a\nid: 3\n\n', events: [msg('a', '3')], lastEventId: '3' },
  { name: 'an id with NUL is ignored', input: 'id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n', events: [msg('a', '1'), msg('b', '1')], lastEventId: '1' },
  { name: 'an empty id resets the last event id', input: 'id: 1\ndata: a\n\nid\ndata: b\n\n', events: [msg('a', '1'), msg('b', '')], lastEventId: '' },
  { name: 'an id in a data-less block still updates', input: 'id: 7\n\ndata: x\n\n', events: [msg('x', '7')], lastEventId: '7' },
  { name: 'an id only commits at the blank line', input: 'id: 1\ndata: a\n\nid: 2\ndata: b', events: [msg('a', '1')], lastEventId: '1' },
  { name: 'a multi-byte id', input: 'id: é-世\ndata: x\n\n', events: [msg('x', 'é-世')], lastEventId: 'é-世' },
  { name: 'spaces inside an id are kept', input: 'id:  a b \ndata: x\n\n', events: [msg('x', ' a b ')], lastEventId: ' a b ' },
  // retry
  { name: 'retry sets the reconnection time', input: 'retry: 1500\n\n', events: [], retries: [1500] },
  { name: 'retry is reported on the event of its block', input: 'retry: 10\ndata: x\n\ndata: y\n\n', events: [{ ...msg('x'), retry: 10 }, msg('y')], retries: [10] },
  { name: 'retry 0 is valid', input: 'retry:0\n\n', events: [], retries: [0] },
  { name: 'retry with a letter is ignored', input: 'retry: 15a\n\n', events: [], retries: [] },
  { name: 'retry with a sign or point is ignored', input: 'retry: -1\nretry: +1\nretry: 1.5\n\n', events: [], retries: [] },
  { name: 'retry with two spaces is ignored', input: 'retry:  10\n\n', events: [], retries: [] },
  { name: 'an empty retry is ignored', input: 'retry:\nretry\n\n', events: [], retries: [] },
  { name: 'non-ASCII digits are not digits', input: 'retry: ١٢\n\n', events: [], retries: [] },
  // comments
  { name: 'comments are ignored', input: ': hello\ndata: x\n:\n\n', events: [msg('x')], comments: ['hello', ''] },
  { name: 'comments between data lines', input: ':c1\ndata: a\n: c2\ndata: b\n\n', events: [msg('a\nb')], comments: ['c1', 'c2'] },
  { name: 'a comment-only stream (heartbeats)', input: ':\n\n: ping\n\n', events: [], comments: ['', 'ping'] },
  // line ends
  { name: 'CR line ends', input: 'data: a\rdata: b\r\r', events: [msg('a\nb')] },
  { name: 'CRLF line ends', input: 'data: a\r\ndata: b\r\n\r\n', events: [msg('a\nb')] },
  { name: 'mixed line ends', input: 'data: a\r\n\ndata: b\n\r\ndata: c\r\r', events: [msg('a'), msg('b'), msg('c')] },
  { name: 'CR CR LF is a line then a blank line', input: 'data: a\r\r\n', events: [msg('a')] },
  { name: 'LF CR is a line then a blank line', input: 'data: a\n\r', events: [msg('a')] },
  { name: 'CRLF then CR', input: 'id: 5\r\n\rdata: x\r\n\r\n', events: [msg('x', '5')], lastEventId: '5' },
  // BOM
  { name: 'a leading BOM is stripped', input: '\uFEFFdata: a\n\n', events: [msg('a')] },
  { name: 'only one BOM is stripped', input: '\uFEFF\uFEFFdata: a\n\ndata: b\n\n', events: [msg('b')] },
  { name: 'a BOM inside a value is kept', input: 'data: \uFEFFx\n\n', events: [msg('\uFEFFx')] },
  { name: 'a BOM after the start is content', input: 'data: a\n\n\uFEFFdata: b\n\n', events: [msg('a')] },
  {
    name: 'a truncated BOM is content (U+FFFD)',
    input: bytes([0xef, 0xbb], 'data: x\n\n', [0xef], ': y\n\n'),
    events: [],
  },
  { name: 'a truncated BOM line then an event', input: bytes([0xef, 0xbb], '\ndata: x\n\n'), events: [msg('x')] },
  // end of stream
  { name: 'an incomplete event at the end is discarded', input: 'data: a\n\ndata: b\n', events: [msg('a')] },
  { name: 'a last line without line end is discarded', input: 'data: a', events: [] },
  { name: 'an empty stream', input: '', events: [] },
  // UTF-8
  { name: 'multi-byte characters', input: 'data: héllo 世界 🎉\n\n', events: [msg('héllo 世界 🎉')] },
  { name: 'invalid bytes become U+FFFD', input: bytes('data: ', [0xff, 0xc3, 0x28], '\n\n'), events: [msg('\uFFFD\uFFFD(')] },
  { name: 'a truncated sequence before LF is one U+FFFD', input: bytes('data: a', [0xe4, 0xb8], '\n\n'), events: [msg('a\uFFFD')] },
  { name: 'a surrogate encoded in UTF-8 is invalid', input: bytes('data: ', [0xed, 0xa0, 0x80], '!\n\n'), events: [msg('\uFFFD\uFFFD\uFFFD!')] },
  { name: 'an overlong encoding is invalid', input: bytes('data: ', [0xc0, 0xaf], '\n\n'), events: [msg('\uFFFD\uFFFD')] },
  { name: 'multi-byte event type', input: 'event: 日本\ndata: x\n\n', events: [msg('x', '', '日本')] },
  // realistic
  {
    name: 'an OpenAI-style stream',
    input: 'data: {"choices":[{"delta":{"content":"Hel"}}]}\n\ndata: {"choices":[{"delta":{"content":"lo"}}]}\n\ndata: [DONE]\n\n',
    events: [msg('{"choices":[{"delta":{"content":"Hel"}}]}'), msg('{"choices":[{"delta":{"content":"lo"}}]}'), msg('[DONE]')],
  },
  {
    name: 'a full block with every field',
    input: ': keep-alive\nretry: 2000\nid: 42\nevent: update\ndata: {"a":1}\ndata: {"b":2}\n\n',
    events: [{ event: 'update', data: '{"a":1}\n{"b":2}', id: '42', retry: 2000 }],
    lastEventId: '42',
    retries: [2000],
    comments: ['keep-alive'],
  },
]

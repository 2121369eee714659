# aiohttp's WebSocket server (Debian python3-aiohttp) for aiohttp.test.ts: echoing, choosing
# subprotocols, closing with codes, and misbehaving on purpose. Usage: aiohttp_server.py PORT
import asyncio
import sys

from aiohttp import WSMsgType, web


async def echo(request):
    ws = web.WebSocketResponse(protocols=('chat', 'v2'), compress=request.query.get('compress') != '0')
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            if msg.data == 'close-me':
                await ws.close(code=4000, message=b'asked to')
            else:
                await ws.send_str(msg.data)
        elif msg.type == WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


async def info(request):
    # Tells what the handshake looked like, then closes.
    ws = web.WebSocketResponse(protocols=('chat',))
    ws.set_cookie('ws_session', 'from-101')
    await ws.prepare(request)
    await ws.send_json({
        'cookie': request.headers.get('Cookie', ''),
        'origin': request.headers.get('Origin', ''),
        'extensions': request.headers.get('Sec-WebSocket-Extensions', ''),
        'x_token': request.headers.get('X-Token', ''),
        'user_agent': request.headers.get('User-Agent', ''),
        'compress': ws.compress,
        'protocol': ws.ws_protocol,
    })
    await ws.receive()
    return ws


async def server_close(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.send_str('bye')
    await ws.close(code=4001, message=b'server done')
    return ws


async def deaf(request):
    # Never answers pings: a client heartbeat must give up.
    ws = web.WebSocketResponse(autoping=False)
    await ws.prepare(request)
    await asyncio.sleep(30)
    return ws


async def pinger(request):
    # Pings the client, reports whether the pong came back.
    ws = web.WebSocketResponse(autoping=False)
    await ws.prepare(request)
    await ws.ping(b'from-aiohttp')
    msg = await ws.receive()
    await ws.send_str(f'{msg.type.name}:{bytes(msg.data).decode() if isinstance(msg.data, (bytes, bytearray)) else msg.data}')
    await ws.receive()
    return ws


async def huge(request):
    ws = web.WebSocketResponse(compress=False)
    await ws.prepare(request)
    await ws.send_bytes(b'\0' * (4 * 1024 * 1024 + 10))
    await ws.receive()
    return ws


async def bad_utf8(request):
    ws = web.WebSocketResponse(compress=False)
    await ws.prepare(request)
    # The writer sends the bytes as a text frame without checking them.
    await ws._writer.send(b'ok \xff\xfe', binary=False)
    await ws.receive()
    return ws


async def abrupt(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.send_str('last words')
    await asyncio.sleep(0.05)
    request.transport.abort()
    return ws


async def forbidden(request):
    return web.Response(status=403, text='no websockets for you')


def main():
    port = int(sys.argv[1])
    app = web.Application()
    app.add_routes([
        web.get('/echo', echo),
        web.get('/info', info),
        web.get('/server-close', server_close),
        web.get('/deaf', deaf),
        web.get('/pinger', pinger),
        web.get('/huge', huge),
        web.get('/bad-utf8', bad_utf8),
        web.get('/abrupt', abrupt),
        web.get('/forbidden', forbidden),
    ])
    web.run_app(app, host='127.0.0.1', port=port, print=lambda *_: None, handle_signals=True)


if __name__ == '__main__':
    main()

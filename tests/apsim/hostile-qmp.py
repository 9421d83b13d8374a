#!/usr/bin/env python3
"""hostile-qmp.py SOCKET MODE: a QEMU monitor that a hostile guest owner could run, for tests/apsim/hostile.sh.

MODE drip:  answers qom-list (40 vfio-ap children) and then qom-get each just before the client's 5 s would end
MODE flood: after the greeting, sends events without end, as fast as the socket takes them
MODE long:  after the greeting, sends one line that never ends
Serves until killed; every connection in its own thread.
"""
import json
import socket
import sys
import threading
import time

GREETING = {'QMP': {'version': {'qemu': {'major': 7, 'minor': 2, 'micro': 0}, 'package': ''}, 'capabilities': []}}


def send(conn, obj):
    conn.sendall((json.dumps(obj) + '\r\n').encode())


def flood(conn):
    event = (json.dumps({'event': 'VSERPORT_CHANGE', 'data': {'id': 'x' * 2000, 'open': True},
                         'timestamp': {'seconds': 0, 'microseconds': 0}}) + '\r\n').encode() * 64
    try:
        while True:
            conn.sendall(event)
    except OSError:
        pass


def serve(conn, mode):
    try:
        send(conn, GREETING)
        if mode == 'long':
            chunk = b'{"event": "' + b'a' * 65536
            while True:
                conn.sendall(chunk)
                chunk = b'a' * 65536
        buf = b''
        started = False
        while True:
            data = conn.recv(65536)
            if not data:
                return
            buf += data
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                msg = json.loads(line)
                cmd, mid = msg.get('execute'), msg.get('id')
                if cmd == 'qmp_capabilities':
                    send(conn, {'return': {}, 'id': mid})
                    if mode == 'flood' and not started:
                        started = True
                        threading.Thread(target=flood, args=(conn,), daemon=True).start()
                elif cmd == 'qom-list':
                    if mode == 'drip':
                        time.sleep(4.5)
                    send(conn, {'return': [{'name': 'hostdev%d' % i, 'type': 'child<vfio-ap>'} for i in range(40)],
                                'id': mid})
                elif cmd == 'qom-get':
                    time.sleep(4.5)
                    send(conn, {'return': '/sys/devices/vfio_ap/matrix/00000000-0000-4000-8000-000000000000',
                                'id': mid})
                else:
                    send(conn, {'error': {'class': 'CommandNotFound', 'desc': 'no'}, 'id': mid})
    except (OSError, ValueError):
        pass
    finally:
        conn.close()


def main():
    path, mode = sys.argv[1], sys.argv[2]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, mode), daemon=True).start()


if __name__ == '__main__':
    main()

# SPDX-License-Identifier: GPL-2.0
"""The tour's stagehand: holds AF_TOY sockets on one host, on command.

    python3 stage.py        (in the host's network namespace)

Reads one command per line on stdin and answers each with one line on
stdout, "ok" or "error: WHY", so that a chapter can put connections in
exactly the states it wants to show, one step at a time:

    bind NAME ADDR PORT         a stream socket, bound, nothing more
    listen NAME PORT            a listener on 0.0.0.0:PORT
    connect NAME ADDR PORT      a connect() that does not wait
    accept NAME LISTENER        the next connection of LISTENER
    shutdown NAME               shutdown(SHUT_WR): our FIN
    close NAME                  close()
    abort                       close every socket with a reset
                                (SO_LINGER {1, 0}): nothing lingers

Python's socket module cannot build an AF_TOY address, so the calls go
to libc through ctypes.
"""
import ctypes
import errno
import fcntl
import os
import socket
import struct
import sys

libc = ctypes.CDLL(None, use_errno=True)
AF = int(open('/sys/module/toy/parameters/family').read())
socks = {}


def chk(r, what):
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, '%s: %s' % (what, os.strerror(e)))
    return r


def addr(ip, port):
    return (struct.pack('=H', AF) + struct.pack('!H', int(port)) +
            socket.inet_aton(ip) + bytes(8))


def new_socket():
    return chk(libc.socket(AF, socket.SOCK_STREAM, 0), 'socket')


def do_bind(name, ip, port):
    fd = socks[name] = new_socket()
    a = addr(ip, port)
    chk(libc.bind(fd, a, len(a)), 'bind')


def do_listen(name, port):
    do_bind(name, '0.0.0.0', port)
    chk(libc.listen(socks[name], 16), 'listen')


def do_connect(name, ip, port):
    fd = socks[name] = new_socket()
    fcntl.fcntl(fd, fcntl.F_SETFL, os.O_NONBLOCK)
    a = addr(ip, port)
    if libc.connect(fd, a, len(a)) < 0 and \
       ctypes.get_errno() != errno.EINPROGRESS:
        chk(-1, 'connect')


def do_accept(name, listener):
    socks[name] = chk(libc.accept(socks[listener], None, None), 'accept')


def do_shutdown(name):
    chk(libc.shutdown(socks[name], socket.SHUT_WR), 'shutdown')


def do_close(name):
    os.close(socks.pop(name))


def do_abort():
    linger = struct.pack('ii', 1, 0)
    for name in list(socks):
        fd = socks.pop(name)
        chk(libc.setsockopt(fd, socket.SOL_SOCKET, socket.SO_LINGER, linger,
                            len(linger)), 'setsockopt')
        os.close(fd)


COMMANDS = {'bind': do_bind, 'listen': do_listen, 'connect': do_connect,
            'accept': do_accept, 'shutdown': do_shutdown, 'close': do_close,
            'abort': do_abort}

for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    try:
        COMMANDS[words[0]](*words[1:])
        print('ok', flush=True)
    except (OSError, KeyError, TypeError) as e:
        print('error: %s' % e, flush=True)

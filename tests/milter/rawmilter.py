"""A minimal MTA side of the milter protocol, for tests that need to send
what miltertest cannot (out-of-order commands, broken packets) or that
run from Python (the statistics tests).
"""
import socket
import struct

# MTA side of the negotiation: every action, every "no such stage" flag but
# no "no reply" flag, so that libmilter answers every command.
ACTIONS = 0x1FF
PROTOCOL = 0x37F


class Closed(Exception):
    pass


def pack(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


class Conn:
    def __init__(self, path):
        """path: a unix socket's path, or (host, port) for TCP."""
        if isinstance(path, tuple):
            self.s = socket.create_connection(path, 10)
        else:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.settimeout(10)
            self.s.connect(path)

    def send(self, cmd, data=b""):
        self.s.sendall(pack(cmd, data))

    def read_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise Closed()
            buf += chunk
        return buf

    def reply(self):
        (n,) = struct.unpack(">I", self.read_exact(4))
        body = self.read_exact(n)
        return body[:1], body[1:]

    def ask(self, cmd, data=b""):
        self.send(cmd, data)
        return self.reply()

    def poke(self, cmd, data=b""):
        """Send what libmilter itself may refuse out of sequence: it may
        answer, stay silent or drop the session; the daemon must live."""
        self.s.settimeout(0.5)
        try:
            self.send(cmd, data)
            return self.reply()
        except (socket.timeout, ConnectionError, Closed):
            return None, None
        finally:
            self.s.settimeout(10)

    def negotiate(self, protocol=PROTOCOL):
        """Returns the filter's (actions, protocol) flags."""
        cmd, data = self.ask(b"O", struct.pack(">III", 6, ACTIONS, protocol))
        assert cmd == b"O", cmd
        return struct.unpack(">II", data[4:12])

    def close(self):
        self.s.close()


def args(*items):
    return b"".join(i + b"\0" for i in items)


def session(path, ip=b"192.0.2.9", helo=b"client.example", r=b"ESMTP",
            mail=(b"<a@example.net>",), rcpts=((b"<b@example.org>",),),
            message=((b"Subject", b"hi"),), body=b"hello\r\n", qid=b"Q1"):
    """One whole session; returns the replies to MAIL, each RCPT and the
    end of message (None where the session stopped before)."""
    c = Conn(path)
    c.negotiate()
    c.ask(b"C", b"client\x004\x00\x19" + ip + b"\0")
    c.ask(b"H", helo + b"\0")
    macros = [b"i", qid] + ([b"{r}", r] if r else [])
    c.send(b"D", b"M" + args(*macros))
    out = {"mail": c.ask(b"M", args(*mail)), "rcpt": [], "eom": None}
    if out["mail"][0] == b"c":
        for rc in rcpts:
            out["rcpt"].append(c.ask(b"R", args(*rc)))
        if any(r[0] == b"c" for r in out["rcpt"]):
            for name, value in message:
                c.ask(b"L", args(name, value))
            if body:
                c.ask(b"B", body)
            out["eom"] = c.ask(b"E")
    c.send(b"Q")
    c.close()
    return out

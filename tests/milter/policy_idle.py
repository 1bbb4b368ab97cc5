#!/usr/bin/env python3
"""The policy listener closes a connection that has sent no request for
its idle time (900 s; 2 s here, through ESMTP_MILTER_POLICY_IDLE in
policy_idle.env), whether it never sent one or was answered before;
a connection that keeps sending stays open past it.

usage: policy_idle.py SOCKET_PATH DAEMON_LOG CONFIG PID
"""
import os
import sys
import time

import policy


def case_idle_closed():
    never = policy.connect()
    answered = policy.connect()
    answered.sendall(policy.request(client_port="5", instance="a1"))
    assert policy.read_reply(answered) == "action=DUNNO\n\n"
    busy = policy.connect()
    start = time.time()
    # one request a second keeps this one open past the idle time
    for i in range(5):
        busy.sendall(policy.request(client_port="6", instance="b%d" % i))
        assert policy.read_reply(busy) == "action=DUNNO\n\n"
        time.sleep(1)
    for s in (never, answered):
        assert policy.closed_within(s, 6), "an idle connection is still open"
    took = time.time() - start
    busy.sendall(policy.request(client_port="6", instance="b9"))
    assert policy.read_reply(busy) == "action=DUNNO\n\n"
    print("figure: idle connections closed within %.1f s (idle time 2 s)" % took)


if __name__ == "__main__":
    case_idle_closed()
    print("ok: idle_closed")

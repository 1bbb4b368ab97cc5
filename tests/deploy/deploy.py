#!/usr/bin/env python3
"""The first deployment, done the way the README tells an administrator:
Debian's stock Postfix (master.cf as shipped, smtpd chrooted in
/var/spool/postfix) attached by the postconf lines of the README's
step 5, as they are written there, the daemon
installed by make install and started the way its systemd unit says (its
user and group, umask, ExecStartPre lines, runtime and state
directories), the shipped sample config with the two edits the README
asks for (the milter socket and the policy service's socket, both in the
chroot), and the log read where the README says it is: syslog facility
mail, which Debian's rsyslog writes to /var/log/mail.log.

usage: deploy.py TOP WORKDIR

It runs in private mount and network namespaces (unshare): /etc, /run,
/var/spool/postfix, /var/lib, /var/log and /dev are private copies or
empty file systems there, so the real paths are used while nothing on
the machine is touched, and the only network is a loopback interface.
Clients connect to 127.0.0.1:25 from 127.0.0.1 (a local program, in the
sample's trusted_networks) and from 192.0.2.10 on the same loopback
interface (a client that is not trusted). systemd's sandboxing options
(ProtectSystem= and the like) need systemd itself and are not exercised;
systemd-analyze verify checks them in the install tests.

Every process started here is stopped by its own pid at the end.
"""
import grp
import os
import pwd
import re
import resource
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import e2e  # noqa: E402  (SMTP client, message, wait_for)

CLIENT = "192.0.2.10"       # TEST-NET-1, on the private loopback only
SOCKET = "/var/spool/postfix/esmtp-milter/esmtp-milter.sock"
POLICY_SOCKET = "/var/spool/postfix/esmtp-milter/policy.sock"
MAILLOG = "/var/log/mail.log"
STATE = "/var/lib/esmtp-milter/state.json"

started = []
passed = []
failed = []


def run(*cmd, **kw):
    return subprocess.run(list(cmd), check=True, **kw)


def check(name, cond, detail=""):
    if cond:
        passed.append(name)
        print("PASS: " + name)
    else:
        failed.append(name)
        print("FAIL: " + name + (("\n    " + detail.replace("\n", "\n    ")) if detail else ""))


# ---- outside the namespaces -------------------------------------------

def outer(top, work):
    """Installs into WORKDIR/root with make install, unpacks rsyslog, and
    runs the rest in new mount and network namespaces."""
    run("make", "-s", "-C", top, "install", "PREFIX=/usr",
        "DESTDIR=" + os.path.join(work, "root"), stdout=subprocess.DEVNULL)
    run(os.path.join(HERE, "rsyslog-setup.sh"), os.path.join(top, "build/rsyslog"))
    env = dict(os.environ, ESMTP_MILTER_DEPLOY_INNER="1")
    rc = subprocess.run(["unshare", "--mount", "--net", "--fork", "--kill-child",
                         "--propagation", "private", sys.executable,
                         os.path.abspath(__file__), top, work], env=env).returncode
    return rc


# ---- inside: a private machine -----------------------------------------

def private_root(work):
    """Private /etc (a copy), and empty /run, /var/spool/postfix,
    /var/lib, /var/log; /dev with the usual nodes and room for /dev/log."""
    run("ip", "link", "set", "lo", "up")
    run("ip", "addr", "add", CLIENT + "/32", "dev", "lo")
    etc = os.path.join(work, "etc")
    run("cp", "-a", "/etc", etc)
    run("mount", "--bind", etc, "/etc")
    for d in ("/run", "/var/spool/postfix", "/var/lib", "/var/log"):
        run("mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", d)
    hostdev = os.path.join(work, "hostdev")
    os.makedirs(hostdev)
    run("mount", "--rbind", "/dev", hostdev)
    run("mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", "/dev")
    for node in ("null", "zero", "full", "random", "urandom", "tty"):
        if os.path.exists(os.path.join(hostdev, node)):
            open("/dev/" + node, "w").close()
            run("mount", "--bind", os.path.join(hostdev, node), "/dev/" + node)
    for d in ("pts", "shm"):
        if os.path.isdir(os.path.join(hostdev, d)):
            os.makedirs("/dev/" + d)
            run("mount", "--rbind", os.path.join(hostdev, d), "/dev/" + d)
    os.symlink("/proc/self/fd", "/dev/fd")
    for i, name in enumerate(("stdin", "stdout", "stderr")):
        os.symlink("/proc/self/fd/%d" % i, "/dev/" + name)


def start_rsyslog(top, work):
    """Debian's rsyslogd, with Debian's own rule for facility mail."""
    root = os.path.join(top, "build/rsyslog/root")
    with open(os.path.join(root, "etc/rsyslog.conf")) as f:
        rule = [l for l in f if re.match(r"^mail\.\*\s", l)]
    assert rule, "Debian's rsyslog.conf has no mail.* rule"
    conf = os.path.join(work, "rsyslog.conf")
    with open(conf, "w") as f:
        f.write('module(load="imuxsock")\n' + "".join(rule))
    libs = os.path.join(root, "usr/lib/x86_64-linux-gnu")
    proc = subprocess.Popen(
        [os.path.join(root, "usr/sbin/rsyslogd"), "-n", "-iNONE", "-f", conf,
         "-M", os.path.join(libs, "rsyslog")],
        env=dict(os.environ, LD_LIBRARY_PATH=libs),
        stdout=open(os.path.join(work, "rsyslog.out"), "ab"), stderr=subprocess.STDOUT)
    started.append(proc.pid)
    e2e.wait_for(lambda: os.path.exists("/dev/log"), "rsyslogd's /dev/log")
    return proc, rule[0].split()[0]


def configure_postfix(top):
    """What "Internet Site" in Debian's postfix configuration writes, two
    lines that keep mail from leaving, then the README's step 5: its
    postconf lines, run as they are written. master.cf is Debian's as
    shipped."""
    shutil.copy("/usr/share/postfix/master.cf.dist", "/etc/postfix/master.cf")
    with open("/usr/share/postfix/main.cf.debian") as f:
        main = f.read()
    with open(os.path.join(top, "README")) as f:
        readme = f.read()
    step5 = readme[readme.index("  5. Attach Postfix"):readme.index("  6. Look at the logs")]
    attach = [l.strip() for l in step5.splitlines() if l.strip().startswith("postconf -e")]
    with open("/etc/postfix/main.cf", "w") as f:
        f.write(main + """
myhostname = mx.test.example
alias_maps = hash:/etc/aliases
alias_database = hash:/etc/aliases
myorigin = /etc/mailname
mydestination = $myhostname, mx.test.example, localhost
relayhost =
mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128
mailbox_size_limit = 0
recipient_delimiter = +
inet_interfaces = all
inet_protocols = ipv4

# the test's own: nothing is delivered or leaves the machine
default_transport = discard
local_transport = discard
""")
    for line in attach:
        subprocess.run(["sh", "-c", line], check=True)
    with open("/etc/mailname", "w") as f:
        f.write("mx.test.example\n")
    # what Debian's service runs before postfix start: Debian 12's
    # postfix@.service sets up the chroot with configure-instance.sh;
    # Debian 13's postfix.service runs "postfix check", and postfix start
    # sets up the chroot itself
    for pre in postfix_start_pre():
        run(*pre, stdout=subprocess.DEVNULL)
    # Postfix installed with "No configuration" (as make deps does) makes
    # no /etc/aliases; a minimal Debian 13 has none either: what Debian's
    # postinst writes for a configured Postfix
    if not os.path.exists("/etc/aliases"):
        with open("/etc/aliases", "w") as f:
            f.write("postmaster: root\n")
    run("newaliases")
    run("postfix", "start", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open("/var/spool/postfix/pid/master.pid") as f:
        master = int(f.read().strip())
    started.append(master)
    e2e.wait_for(lambda: e2e.port_open(25), "Postfix on port 25", 20)
    return master


def postfix_start_pre():
    """The ExecStartPre commands of the installed Postfix unit of the
    default instance, as argument lists."""
    for d in ("/usr/lib/systemd/system", "/lib/systemd/system"):
        for name in ("postfix@.service", "postfix.service"):
            path = os.path.join(d, name)
            if not os.path.exists(path):
                continue
            pre = unit_service(path).get("ExecStartPre", [])
            if name == "postfix@.service" or pre:
                return [v.lstrip("+-").replace("%i", "-").split() for v in pre]
    raise AssertionError("no Postfix unit installed")


def unit_service(path):
    """The [Service] section of a unit: key -> list of values."""
    out = {}
    section = None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line
                continue
            if section == "[Service]" and "=" in line:
                k, v = line.split("=", 1)
                out.setdefault(k, []).append(v)
    return out


def start_as_unit(unit, root, logfile):
    """Does what systemd does for this unit's start: the runtime and state
    directories for User/Group, each ExecStartPre ("+" as root, the others
    as the unit's user), then ExecStart, with its umask, groups and
    LimitNOFILE."""
    svc = unit_service(unit)
    user = svc["User"][0]
    group = svc["Group"][0]
    pw = pwd.getpwnam(user)
    gid = grp.getgrnam(group).gr_gid
    groups = os.getgrouplist(user, gid)
    umask = int(svc.get("UMask", ["0022"])[0], 8)
    for key, base in (("RuntimeDirectory", "/run"), ("StateDirectory", "/var/lib")):
        mode = int(svc.get(key + "Mode", ["0755"])[0], 8)
        for name in svc.get(key, []):
            d = os.path.join(base, name)
            os.makedirs(d, exist_ok=True)
            os.chown(d, pw.pw_uid, gid)
            os.chmod(d, mode)

    def argv(line):
        words = shlex.split(line)
        return [w.replace("/usr/sbin/", os.path.join(root, "usr/sbin/"))
                if w.startswith("/usr/sbin/esmtp-milter") else w for w in words]

    nofile = int(svc.get("LimitNOFILE", ["0"])[0])
    as_user = dict(user=pw.pw_uid, group=gid, extra_groups=groups, umask=umask)
    for line in svc.get("ExecStartPre", []):
        if line.startswith("+"):
            subprocess.run(argv(line[1:]), check=True)
        else:
            subprocess.run(argv(line), check=True, **as_user)
    log = open(logfile, "ab")
    # LimitNOFILE, as far as this machine's own hard limit lets a test go
    # (systemd itself could raise it; a container may not)
    limit = min(nofile, resource.getrlimit(resource.RLIMIT_NOFILE)[1])

    def limits():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    proc = subprocess.Popen(argv(svc["ExecStart"][0]), stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL, preexec_fn=limits if nofile else None,
                            **as_user)
    proc.nofile = limit
    started.append(proc.pid)
    return proc


def check_detach(top):
    """The README's removal step 1, its lines run as they are written, with
    a shared filter host's inet and inet6 entries beside the unix ones:
    the daemon is out of every list step 5 put it in, and every other entry
    of those lists is still there."""
    with open(os.path.join(top, "README")) as f:
        text = f.read()
    step = text[text.index("Removing it, in this order"):text.index("  2. Stop it:")]
    script = "\n".join(l[9:] for l in step.splitlines() if l.startswith(" " * 9))

    def value(name):
        return subprocess.run(["postconf", "-hx", name], capture_output=True, text=True,
                              check=True).stdout.strip()
    lists = ("smtpd_milters", "smtpd_recipient_restrictions", "smtpd_end_of_data_restrictions")
    # a shared filter host's entries too, in both families, and one site's own
    for name, extra in (("smtpd_milters", "inet:192.0.2.10:10025 inet:[2001:db8::10]:10025"),
                        ("smtpd_recipient_restrictions",
                         "check_policy_service inet:192.0.2.10:10026, "
                         "check_client_access hash:/etc/postfix/client_access"),
                        ("smtpd_end_of_data_restrictions",
                         "check_policy_service inet:192.0.2.10:10026")):
        subprocess.run(["postconf", "-e", "%s = %s, %s" % (name, value(name), extra)], check=True)
    before = {n: value(n) for n in lists}
    # the README's last three lines name one address: run them for the
    # inet6 one as well, as a site with both would
    script += "\ndrop smtpd_milters 'inet:[2001:db8::10]:10025'\n"
    subprocess.run(["sh", "-ec", script.replace("postfix reload", "true")], check=True)
    left = {n: value(n) for n in lists}

    def words(v):
        return v.replace(",", " ").split()
    kept = all(w in words(left[n]) for n in lists for w in words(before[n])
               if "esmtp-milter" not in w and "192.0.2.10" not in w and "2001:db8::10" not in w
               and w != "check_policy_service")
    check("README removal step 1 detaches the milter and the policy service, unix, inet "
          "and inet6 entries alike, and keeps every other entry",
          kept and not any("esmtp-milter" in v or "192.0.2.10" in v or "2001:db8::10" in v
                           for v in left.values()), repr((before, left)))


def check_web_key(top, root):
    """contrib/prometheus/README's certificate and key for web_config, made with its own
    commands: the daemon's user (the unit's User=) reads them, as
    esmtp-milter -n run as that user says; a key left to root alone is
    refused, which is why the README says to give it the daemon's group."""
    with open(os.path.join(top, "contrib/prometheus/README")) as f:
        text = f.read()
    part = text[text.index("Making the files, with Debian's openssl"):
                text.index("(a certificate from your own CA")]
    script, cont = [], ""
    for line in part.splitlines():
        if not line.startswith("  ") or line.strip().startswith("htpasswd"):
            continue
        line = line.split("#")[0].rstrip() if not line.strip().startswith("#") else ""
        if line.endswith("\\"):
            cont += line[:-1] + " "
            continue
        if line.strip():
            script.append(cont + line.strip())
        cont = ""
    shutil.rmtree("/etc/esmtp-milter", ignore_errors=True)
    subprocess.run(["sh", "-ec", "\n".join(script)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open("/etc/esmtp-milter/web.yml", "w") as f:
        f.write("tls_server_config:\n  cert_file: web.crt\n  key_file: web.key\n")
    conf = "/etc/esmtp-milter/test.conf"
    with open(conf, "w") as f:
        f.write("[stats]\nlisten = 127.0.0.1:9464\nweb_config = /etc/esmtp-milter/web.yml\n")
    daemon = os.path.join(root, "usr/sbin/esmtp-milter")

    def as_daemon_user():
        return subprocess.run(["runuser", "-u", "esmtp-milter", "--", daemon, "-n", "-c", conf],
                              capture_output=True, text=True)
    ok = as_daemon_user()
    os.chmod("/etc/esmtp-milter/web.key", 0o600)
    os.chown("/etc/esmtp-milter/web.key", 0, 0)
    refused = as_daemon_user()
    shutil.rmtree("/etc/esmtp-milter", ignore_errors=True)
    check("contrib/prometheus/README's web_config key, group esmtp-milter 0640, is read by the daemon's user; "
          "a key for root alone is refused",
          len(script) >= 4 and ok.returncode == 0 and refused.returncode == 78
          and "key_file" in refused.stderr, repr((script, ok.stderr, refused.stderr)))


def check_chroot_step_without_postfix(unit):
    """Postfix removed but its spool directory left (as apt remove does):
    the unit's root ExecStartPre lines make no socket directory there.
    The postfix program is hidden by /dev/null mounted over it, in this
    private mount namespace."""
    chroot_dir = "/var/spool/postfix/esmtp-milter"
    shutil.rmtree(chroot_dir, ignore_errors=True)
    subprocess.run(["mount", "--bind", "/dev/null", "/usr/sbin/postfix"], check=True)
    try:
        for line in unit_service(unit).get("ExecStartPre", []):
            if line.startswith("+"):
                subprocess.run(shlex.split(line[1:]), check=True)
    finally:
        subprocess.run(["umount", "/usr/sbin/postfix"], check=True)
    check("with Postfix removed (its spool left), the unit makes no directory in it",
          os.path.isdir("/var/spool/postfix") and not os.path.exists(chroot_dir))


def maillog():
    try:
        with open(MAILLOG, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def wait_maillog(pattern, what):
    rx = re.compile(pattern)
    try:
        e2e.wait_for(lambda: rx.search(maillog()), what, 15)
    except AssertionError:
        return None
    return rx.search(maillog())


def transaction(source, helo, sender, size, msg, code):
    """One SMTP transaction to postmaster@ on port 25; the end-of-data
    reply must have this code. Returns its text."""
    s = e2e.SMTP(25, source=source)
    s.expect("EHLO " + helo, 250)
    s.expect("MAIL FROM:<%s> SIZE=%d" % (sender, size), 250)
    s.expect("RCPT TO:<postmaster@mx.test.example>", 250)
    text = s.data(msg, code)[1]
    s.close()
    return text


def queue_id(text):
    return re.search(r"queued as ([0-9A-F]+)", text).group(1)


def sessions():
    # 1. a remote client that is not trusted, an honest message
    msg = e2e.message(b"x" * 300 + b"\r\n")
    qid = queue_id(transaction(CLIENT, "honest.example", "alice@example.net",
                               len(msg), msg, 250))
    line = wait_maillog(r"esmtp-milter\[\d+\]: %s: client=\S*\[%s\] .*verdict=\w+"
                        % (qid, re.escape(CLIENT)), "the honest transaction")
    check("honest message accepted and logged in " + MAILLOG,
          line is not None and "size_declared=%d size_actual=%d tls=none auth=none violations=none" % (len(msg), len(msg))
          in line.group(0) and line.group(0).endswith("verdict=accept"),
          line.group(0) if line else maillog()[-3000:])
    # the chrooted smtpd reached the policy service by its relative path
    check("the greeting learned from the policy service (greeting=ehlo)",
          line is not None and " greeting=ehlo helo=honest.example " in line.group(0),
          line.group(0) if line else "")

    # 2. the same client lies about SIZE: refused by the daemon
    big = e2e.message(b"y" * 10000 + b"\r\n")
    text = transaction(CLIENT, "liar.example", "dave@example.net", 1000, big, 552)
    check("SIZE lie refused with the daemon's reply",
          text == "5.3.4 message size %d exceeds the declared SIZE 1000 (size_overrun)"
          % len(big), text)
    line = wait_maillog(r"esmtp-milter\[\d+\]: \S+: client=\S*\[%s\] .*helo=liar\.example .*verdict=reject"
                        % re.escape(CLIENT), "the refused transaction")
    check("SIZE lie logged in " + MAILLOG,
          line is not None and "violations=size_overrun:reject" in line.group(0),
          maillog()[-3000:])

    # 3. a local program on 127.0.0.1, without Date: and Message-ID:;
    # Postfix adds both (local_header_rewrite_clients) and shows them to
    # the daemon, which counts only what the client sent
    local = b"From: cron@mx.test.example\r\nTo: postmaster@mx.test.example\r\n" \
            b"Subject: nightly report\r\n\r\nall well\r\n"
    qid = queue_id(transaction("127.0.0.1", "localhost", "cron@mx.test.example",
                               len(local), local, 250))
    added = wait_maillog(r"cleanup\[\d+\]: %s: message-id=<\d{14}\.%s@mx\.test\.example>"
                         % (qid, qid), "Postfix's own Message-Id")
    check("Postfix added its own Message-Id (the case is real)", added is not None,
          maillog()[-2000:])
    line = wait_maillog(r"esmtp-milter\[\d+\]: %s: client=\S*\[127\.0\.0\.1\] .*verdict=\w+" % qid,
                        "the local transaction")
    check("a local client's size excludes the headers Postfix added",
          line is not None and "size_declared=%d size_actual=%d " % (len(local), len(local))
          in line.group(0) and "exempt=network" in line.group(0),
          line.group(0) if line else maillog()[-3000:])


def inner(top, work):
    root = os.path.join(work, "root")
    private_root(work)
    rsyslog, rule = start_rsyslog(top, work)
    check("Debian's rsyslog writes facility mail to " + MAILLOG,
          rule.startswith("mail.*") and MAILLOG in open(os.path.join(work, "rsyslog.conf")).read())

    # the README's steps, in its order
    run("adduser", "--quiet", "--system", "--group", "esmtp-milter")
    run("adduser", "--quiet", "postfix", "esmtp-milter")
    shutil.copy(os.path.join(root, "usr/share/doc/esmtp-milter/esmtp-milter.conf"),
                "/etc/esmtp-milter.conf")
    with open("/etc/esmtp-milter.conf") as f:
        conf = f.read()
    conf, n = re.subn(r"(?m)^socket = .*$", "socket = unix:" + SOCKET, conf)
    assert n == 1, "the sample config has no socket line"
    conf, n = re.subn(r"(?m)^(\[policy\](?:\n#.*)*)\nlisten =$",
                      r"\1\nlisten = unix:" + POLICY_SOCKET, conf)
    assert n == 1, "the sample config has no [policy] listen line"
    with open("/etc/esmtp-milter.conf", "w") as f:
        f.write(conf)
    master = configure_postfix(top)
    check("smtpd runs chrooted (Debian's master.cf)",
          re.search(r"(?m)^smtp\s+inet\s+n\s+-\s+y\s", open("/etc/postfix/master.cf").read())
          is not None)

    unit = os.path.join(root, "usr/lib/systemd/system/esmtp-milter.service")
    daemon = start_as_unit(unit, root, os.path.join(work, "daemon.stderr"))
    try:
        e2e.wait_for(lambda: os.path.exists(SOCKET), "the daemon's socket", 15)
    except AssertionError:
        check("the daemon's socket inside the chroot", False,
              open(os.path.join(work, "daemon.stderr"), errors="replace").read()[-2000:]
              + maillog()[-2000:])
        return daemon, master, rsyslog
    d = os.stat(os.path.dirname(SOCKET))
    sk = os.stat(SOCKET)
    uid = pwd.getpwnam("esmtp-milter").pw_uid
    gid = grp.getgrnam("esmtp-milter").gr_gid
    check("the unit created the chroot's socket directory for the daemon",
          d.st_uid == uid and d.st_gid == gid and stat.S_IMODE(d.st_mode) == 0o750,
          "%o %d:%d" % (d.st_mode, d.st_uid, d.st_gid))
    check("the socket belongs to the daemon's user and group, mode 0660",
          stat.S_ISSOCK(sk.st_mode) and sk.st_uid == uid and sk.st_gid == gid
          and stat.S_IMODE(sk.st_mode) == 0o660,
          "%o %d:%d" % (sk.st_mode, sk.st_uid, sk.st_gid))
    pk = os.stat(POLICY_SOCKET) if os.path.exists(POLICY_SOCKET) else None
    check("the policy socket beside it, with the same owner and mode",
          pk is not None and pk.st_uid == uid and pk.st_gid == gid
          and stat.S_IMODE(pk.st_mode) == 0o660,
          "%o %d:%d" % (pk.st_mode, pk.st_uid, pk.st_gid) if pk else "missing")
    start = wait_maillog(r"esmtp-milter\[\d+\]: NOQUEUE: esmtp-milter \S+ starting on unix:"
                         + re.escape(SOCKET) + " with /etc/esmtp-milter.conf", "the start line")
    check("the start line is in " + MAILLOG, start is not None, maillog()[-2000:])
    # the unit's LimitNOFILE (65536, or the machine's lower hard limit),
    # less 64, less 2048 for the policy service and 256 for the statistics
    # listener, as the start line about descriptors says
    budget = wait_maillog(r"descriptors: %d open files allowed; 64 kept for the listeners, "
                          r"logs and state file, 2048 for policy connections, 256 for "
                          r"statistics connections; %d left for milter sessions"
                          % (daemon.nofile, daemon.nofile - 64 - 2048 - 256),
                          "the descriptor budget")
    check("the descriptor budget is logged at start", budget is not None, maillog()[-2000:])
    cap = wait_maillog(r"at most %d milter sessions at once \(file descriptors\)"
                       % (daemon.nofile - 64 - 2048 - 256), "the session cap")
    check("the unit's LimitNOFILE (%d here) gives the session cap" % daemon.nofile,
          cap is not None, maillog()[-2000:])

    sessions()

    # systemctl reload: the unit's ExecReload, $MAINPID put in
    reload = unit_service(unit)["ExecReload"][0].replace("$MAINPID", str(daemon.pid))
    subprocess.run(shlex.split(reload), check=True)
    done = wait_maillog(r"esmtp-milter\[%d\]: NOQUEUE: reloaded /etc/esmtp-milter\.conf" % daemon.pid,
                        "the reload")
    check("systemctl reload (the unit's ExecReload) reloads, and the daemon serves on",
          done is not None and daemon.poll() is None, maillog()[-2000:])

    daemon.send_signal(signal.SIGTERM)      # systemctl stop
    try:
        status = daemon.wait(30)
    except subprocess.TimeoutExpired:
        status = None
    check("the daemon stops cleanly on SIGTERM", status == 0, "status %r" % status)
    st = os.stat(STATE) if os.path.exists(STATE) else None
    check("counters saved to the sample's state_file " + STATE,
          st is not None and st.st_uid == uid and st.st_size > 0)
    check("the sockets are removed at stop",
          not os.path.exists(SOCKET) and not os.path.exists(POLICY_SOCKET))
    check_chroot_step_without_postfix(unit)
    check_detach(top)
    check_web_key(top, root)
    return None, master, rsyslog


def main():
    top, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if os.geteuid() != 0:
        print("deploy: needs root (namespaces, users, Postfix)")
        return 1
    if not os.environ.get("ESMTP_MILTER_DEPLOY_INNER"):
        return outer(top, work)
    daemon = master = rsyslog = None
    try:
        daemon, master, rsyslog = inner(top, work)
    except Exception as e:  # report, then stop everything
        check("deployment", False, "%s: %s" % (type(e).__name__, e))
    finally:
        subprocess.run(["postfix", "stop"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        for pid in reversed(started):
            e2e.kill_pid(pid)
        for pid in reversed(started):
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
    print("deploy: %d passed, %d failed" % (len(passed), len(failed)))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())

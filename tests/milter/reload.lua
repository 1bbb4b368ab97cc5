-- SIGUSR1 reloads the config: new sessions see the new limit, a session
-- that was already running keeps the config it started with, and a bad
-- file is logged while the old config stays in force. SIGHUP reloads the
-- same way (it does not stop the daemon, as libmilter's own handling
-- would).
local t = dofile(lib)

local old = t.connect("mx.example.net", "192.0.2.7")

t.reload("[milter]\ntrusted_networks =\n[size]\nmax = 500\n")
t.wait_log("reloaded " .. conf)

local new = t.connect("mx.example.net", "192.0.2.7")
mt.macro(new, SMFIC_MAIL, "{r}", "ESMTP")
t.mail_refused(new, "size_limit", "reject", "<a@example.net>", "SIZE=600")
t.wait_log("exceeds the limit of 500 (size_limit)")

-- the session opened before the reload still has max = 1000
mt.macro(old, SMFIC_MAIL, "{r}", "ESMTP")
t.mail(old, SMFIR_CONTINUE, "<a@example.net>", "SIZE=600")
mt.disconnect(old)

t.reload("[milter]\ntrusted_networks =\n[size]\nmax = lots\n")
t.wait_log("reload of " .. conf .. " failed; the current config stays in force")
t.wait_log(":4: max: \"lots\" is not a whole number")
local after = t.connect("mx.example.net", "192.0.2.7")
mt.macro(after, SMFIC_MAIL, "{r}", "ESMTP")
t.mail_refused(after, "size_limit", "reject", "<a@example.net>", "SIZE=600")
t.mail(after, SMFIR_CONTINUE, "<a@example.net>", "SIZE=400")
mt.disconnect(after)
mt.disconnect(new)

-- SIGHUP: a reload, and the daemon goes on serving
t.reload("[milter]\ntrusted_networks =\n[size]\nmax = 300\n", "HUP")
local hup = t.connect("mx.example.net", "192.0.2.7")
mt.macro(hup, SMFIC_MAIL, "{r}", "ESMTP")
t.mail_refused(hup, "size_limit", "reject", "<a@example.net>", "SIZE=400")
t.wait_log("exceeds the limit of 300 (size_limit)")
t.mail(hup, SMFIR_CONTINUE, "<a@example.net>", "SIZE=200")
mt.disconnect(hup)

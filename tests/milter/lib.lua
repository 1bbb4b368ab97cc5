-- Helpers shared by the miltertest scripts. The runner passes socket, log
-- (the daemon's stderr), pid and dir with -D.

local t = {}

function t.fail(msg)
	error(msg, 2)
end

function t.check(cond, msg)
	if not cond then
		error(msg, 2)
	end
end

-- Opens a milter connection and sends connect info and the greeting
-- (libmilter drops MAIL macros sent before a HELO, so HELO comes first).
function t.connect(host, ip, helo)
	local conn = mt.connect(socket, 40, 0.05)
	t.check(conn ~= nil, "mt.connect failed")
	t.check(mt.conninfo(conn, host or "client.example", ip or "192.0.2.7") == nil,
		"conninfo failed")
	t.check(mt.helo(conn, helo or host or "client.example") == nil, "helo failed")
	return conn
end

-- Reads the daemon log as one string.
function t.log()
	local f = io.open(log, "r")
	if f == nil then
		return ""
	end
	local s = f:read("*a")
	f:close()
	return s
end

-- Waits until the log contains a plain-text fragment, then returns the
-- last line that holds it.
function t.wait_log(fragment)
	for _ = 1, 100 do
		local found
		for line in t.log():gmatch("[^\n]+") do
			if line:find(fragment, 1, true) then
				found = line
			end
		end
		if found then
			return found
		end
		mt.sleep(0.05)
	end
	error("not in the daemon log: " .. fragment, 2)
end

-- Waits until fragment is in the log exactly n times.
function t.wait_count(fragment, n)
	for _ = 1, 100 do
		if t.count_log(fragment) == n then
			return
		end
		mt.sleep(0.05)
	end
	error(string.format("%q is in the log %d times, expected %d", fragment,
		t.count_log(fragment), n), 2)
end

function t.count_log(fragment)
	local n = 0
	for line in t.log():gmatch("[^\n]+") do
		if line:find(fragment, 1, true) then
			n = n + 1
		end
	end
	return n
end

function t.reply_is(conn, want, what)
	local got = mt.getreply(conn)
	if got ~= want then
		error(string.format("%s: reply %q, expected %q", what,
			tostring(got), tostring(want)), 2)
	end
end

-- MAIL with parameters; expects the given milter reply.
function t.mail(conn, want, from, ...)
	t.check(mt.mailfrom(conn, from, ...) == nil, "mailfrom failed")
	t.reply_is(conn, want, "MAIL " .. from)
end

function t.rcpt(conn, want, to, ...)
	t.check(mt.rcptto(conn, to, ...) == nil, "rcptto failed")
	t.reply_is(conn, want, "RCPT " .. to)
end

-- Headers and body, then end of message; returns the reply.
function t.message(conn, headers, body)
	for _, h in ipairs(headers) do
		t.check(mt.header(conn, h[1], h[2]) == nil, "header failed")
	end
	-- miltertest ends the script when a negotiated-away stage is sent
	if not mt.test_option(conn, SMFIP_NOEOH) then
		t.check(mt.eoh(conn) == nil, "eoh failed")
	end
	-- in chunks, as MTAs send them: libmilter refuses packets over 64 KB
	local pos = 1
	while body ~= nil and pos <= #body do
		t.check(mt.bodystring(conn, body:sub(pos, pos + 65534)) == nil, "body failed")
		pos = pos + 65535
	end
	t.check(mt.eom(conn) == nil, "eom failed")
	return mt.getreply(conn)
end

-- A MAIL the filter refuses: a reply code, and the rule in the log.
function t.mail_refused(conn, rule, action, from, ...)
	local before = t.count_log("violation rule=" .. rule .. " action=" .. action)
	t.mail(conn, SMFIR_REPLYCODE, from, ...)
	t.check(t.count_log("violation rule=" .. rule .. " action=" .. action) > before,
		"no " .. rule .. " " .. action .. " logged for MAIL " .. table.concat({...}, " "))
end

function t.rcpt_refused(conn, rule, action, to, ...)
	local before = t.count_log("violation rule=" .. rule .. " action=" .. action)
	t.rcpt(conn, SMFIR_REPLYCODE, to, ...)
	t.check(t.count_log("violation rule=" .. rule .. " action=" .. action) > before,
		"no " .. rule .. " " .. action .. " logged for RCPT " .. to)
end

-- End of message refused with exactly this reply (code, enhanced code,
-- text as the filter sent it).
function t.eom_refused(conn, code, enh, text)
	t.check(mt.getreply(conn) == SMFIR_REPLYCODE,
		"end of message not refused: " .. tostring(mt.getreply(conn)))
	t.check(mt.eom_check(conn, MT_SMTPREPLY, code, enh, text),
		"end of message reply is not: " .. code .. " " .. enh .. " " .. text)
end

-- Rewrites the config file and has the daemon reload it, on SIGUSR1 or
-- on the signal named (HUP).
function t.reload(text, signal)
	local f = assert(io.open(conf, "w"))
	f:write(text)
	f:close()
	local before = t.count_log("reload")
	os.execute("kill -" .. (signal or "USR1") .. " " .. pid)
	for _ = 1, 100 do
		if t.count_log("reload") > before then
			return
		end
		mt.sleep(0.05)
	end
	error("the daemon did not log a reload")
end

return t

-- miltertest exits 1 without a word when a script raises an error: run the
-- script under pcall so that the reason is printed.
local ok, err = pcall(dofile, script)
if not ok then
	mt.echo("error: " .. tostring(err))
	error(err)
end

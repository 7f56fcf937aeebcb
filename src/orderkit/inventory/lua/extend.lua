-- ARGV: op_key, fingerprint ["extend", id, until_ms], at_ms
return run(function()
  local op_key, fingerprint, at = ARGV[1], ARGV[2], tonumber(ARGV[3])
  local prior = replayed(op_key, fingerprint)
  if prior then
    return prior
  end
  local request = cjson.decode(fingerprint)
  local held = active(request[2], "extend")
  held.expires_at_ms = request[3]
  held.updated_at_ms = at
  put_reservation(held)
  local changes = {}
  for i, line in ipairs(held.lines) do
    changes[i] = change(line.sku, line.location, 0, 0)
  end
  journal("extend", at, op_key, held.reservation_id, changes)
  return record(op_key, fingerprint, reservation_json(held))
end)

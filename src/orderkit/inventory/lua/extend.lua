-- ARGV: reservation_id, op_key, fingerprint, at_ms, until_ms
return run(function()
  local id, op_key, fingerprint, at = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
  local prior = replayed(op_key, fingerprint)
  if prior then
    return prior
  end
  local held = active(id, "extend")
  held.expires_at_ms = tonumber(ARGV[5])
  held.updated_at_ms = at
  put_reservation(held)
  local changes = {}
  for i, line in ipairs(held.lines) do
    changes[i] = change(line.sku, line.location, 0, 0)
  end
  journal("extend", at, op_key, id, changes)
  record(op_key, fingerprint, held)
  return held
end)

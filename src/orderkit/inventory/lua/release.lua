-- ARGV: reservation_id, op_key, fingerprint, at_ms
return run(function()
  local id, op_key, fingerprint, at = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
  local prior = replayed(op_key, fingerprint)
  if prior then
    return prior
  end
  local held = known(id)
  if held.status == "released" or held.status == "expired" then
    return held
  end
  if held.status == "committed" then
    refuse("closed", { id, held.status, "release" })
  end
  local ended = finish(held, "released", "release", at, op_key)
  record(op_key, fingerprint, ended)
  return ended
end)

-- ARGV: op_key, fingerprint ["release", id], at_ms
return run(function()
  local op_key, fingerprint, at = ARGV[1], ARGV[2], tonumber(ARGV[3])
  local prior = replayed(op_key, fingerprint)
  if prior then
    return prior
  end
  local id = cjson.decode(fingerprint)[2]
  local held = known(id)
  if held.status == "released" or held.status == "expired" then
    return reservation_json(held)
  end
  if held.status == "committed" then
    refuse("closed", { id, held.status, "release" })
  end
  local ended = finish(held, "released", "release", at, op_key)
  return record(op_key, fingerprint, reservation_json(ended))
end)

-- ARGV: op_key, fingerprint ["reserve", id, [[sku, location, quantity], ...], ttl_ms or
-- null] with the lines merged in key order, at_ms. Replies "" when it made the
-- reservation as asked (the caller knows it), else the first outcome of op_key.
return run(function()
  local op_key, fingerprint, at = ARGV[1], ARGV[2], tonumber(ARGV[3])
  local prior = replayed(op_key, fingerprint)
  if prior then
    return prior
  end
  local request = cjson.decode(fingerprint)
  local id, lines, ttl = request[2], request_lines(request[3]), request[4]
  if redis.call("HEXISTS", RESERVATIONS, id) == 1 then
    refuse("duplicate", { op_key })
  end
  expire_due(at, lines)
  local rows, frozen, short = {}, {}, {}
  for i, line in ipairs(lines) do
    local row = stock(line.sku, line.location)
    rows[i] = row
    if row.frozen then
      frozen[#frozen + 1] = { row.sku, row.location }
    elseif available(row) < line.quantity then
      short[#short + 1] = { row.sku, row.location, line.quantity, available(row) }
    end
  end
  if #frozen > 0 then
    refuse("frozen", { id, frozen })
  end
  if #short > 0 then
    refuse("short", { id, short })
  end
  local changes = {}
  for i, line in ipairs(lines) do
    changes[i] = move(rows[i], at, 0, line.quantity)
  end
  local held = {
    reservation_id = id,
    status = "active",
    lines = lines,
    committed = {},
    created_at_ms = at,
    updated_at_ms = at,
    expires_at_ms = ttl ~= cjson.null and at + ttl or nil,
  }
  put_reservation(held)
  journal("reserve", at, op_key, id, changes)
  record(op_key, fingerprint, reservation_json(held))
  return ""
end)

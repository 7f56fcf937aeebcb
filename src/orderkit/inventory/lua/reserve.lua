-- ARGV: reservation_id, op_key, fingerprint, at_ms, ttl_ms ("" for none), then
-- sku, location, quantity of each merged line in key order.
return run(function()
  local id, op_key, fingerprint, at = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
  local ttl = tonumber(ARGV[5])
  local prior = replayed(op_key, fingerprint)
  if prior then
    return prior
  end
  if reservation(id) then
    refuse("duplicate", { op_key })
  end
  local lines = argv_lines(6)
  expire_due(at, quantities(lines))
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
    expires_at_ms = ttl and at + ttl,
  }
  put_reservation(held)
  journal("reserve", at, op_key, id, changes)
  record(op_key, fingerprint, held)
  return held
end)

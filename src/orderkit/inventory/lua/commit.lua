-- ARGV: op_key, fingerprint ["commit", id, [[sku, location, quantity], ...] or null for
-- everything still held] with the lines merged in key order, at_ms.
return run(function()
  local op_key, fingerprint, at = ARGV[1], ARGV[2], tonumber(ARGV[3])
  local prior = replayed(op_key, fingerprint)
  if prior then
    return prior
  end
  local request = cjson.decode(fingerprint)
  local id = request[2]
  local held = active(id, "commit")
  local left = remaining(held)
  local wanted = request[3] ~= cjson.null and request_lines(request[3]) or left
  local held_by_key, wanted_by_key = quantities(left), quantities(wanted)
  for _, line in ipairs(wanted) do
    local have = held_by_key[stock_key(line.sku, line.location)] or 0
    if line.quantity > have then
      refuse("exceeds", { id, line.sku, line.location, line.quantity, have })
    end
  end
  local changes = {}
  for i, line in ipairs(wanted) do
    changes[i] = move(stock(line.sku, line.location), at, -line.quantity, -line.quantity)
  end
  local done = quantities(held.committed)
  for key, quantity in pairs(wanted_by_key) do
    done[key] = (done[key] or 0) + quantity
  end
  local committed = {}
  for _, line in ipairs(held.lines) do
    local quantity = done[stock_key(line.sku, line.location)]
    if quantity then
      committed[#committed + 1] = { sku = line.sku, location = line.location, quantity = quantity }
    end
  end
  held.status = "committed"
  for key, quantity in pairs(held_by_key) do
    if quantity > (wanted_by_key[key] or 0) then
      held.status = "active"
    end
  end
  held.committed = committed
  held.updated_at_ms = at
  put_reservation(held)
  journal("commit", at, op_key, id, changes)
  return record(op_key, fingerprint, reservation_json(held))
end)

-- ARGV: reservation_id, op_key, fingerprint, at_ms, partial ("1" when lines follow),
-- then sku, location, quantity of each merged line to commit, in key order.
return run(function()
  local id, op_key, fingerprint, at = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
  local prior = replayed(op_key, fingerprint)
  if prior then
    return prior
  end
  local held = active(id, "commit")
  local left = remaining(held)
  local wanted = ARGV[5] == "1" and argv_lines(6) or left
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
  record(op_key, fingerprint, held)
  return held
end)

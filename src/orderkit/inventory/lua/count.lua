-- A stock count (kind "set_on_hand", value = on hand) or an adjustment (kind "adjust",
-- value = delta). ARGV: sku, location, kind, value, at_ms, policy ("refuse" or "cap"),
-- journal op_key, then op_key and fingerprint when the operation is idempotent.
return run(function()
  local sku, location, kind, value = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
  local at, policy, op_key, fingerprint = tonumber(ARGV[5]), ARGV[6], ARGV[8], ARGV[9]
  if op_key then
    local prior = replayed(op_key, fingerprint)
    if prior then
      return prior
    end
  end
  local row = stock(sku, location)
  local on_hand = kind == "adjust" and row.on_hand + value or value
  local short = math.max(row.reserved - on_hand, 0)
  if short > 0 and policy == "refuse" then
    refuse("below", { sku, location, on_hand, row.reserved })
  end
  local moved = move(row, at, on_hand + short - row.on_hand, 0)
  journal(kind, at, ARGV[7], nil, { moved })
  local result = { stock = stock_json(row), oversold = short }
  if op_key then
    record(op_key, fingerprint, result)
  end
  return result
end)

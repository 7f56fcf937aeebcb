-- A stock count (kind "set_on_hand", value = on hand) or an adjustment (kind "adjust",
-- value = delta). ARGV: the journal's op_key, fingerprint [kind, [sku, location], value,
-- policy ("refuse" or "cap")], at_ms, then the op_key when the operation is idempotent.
return run(function()
  local fingerprint, at, op_key = ARGV[2], tonumber(ARGV[3]), ARGV[4]
  if op_key then
    local prior = replayed(op_key, fingerprint)
    if prior then
      return prior
    end
  end
  local request = cjson.decode(fingerprint)
  local kind, sku, location = request[1], request[2][1], request[2][2]
  local value, policy = request[3], request[4]
  local row = stock(sku, location)
  local on_hand = kind == "adjust" and row.on_hand + value or value
  local short = math.max(row.reserved - on_hand, 0)
  if short > 0 and policy == "refuse" then
    refuse("below", { sku, location, on_hand, row.reserved })
  end
  local moved = move(row, at, on_hand + short - row.on_hand, 0)
  journal(kind, at, ARGV[1], nil, { moved })
  local result = '{"stock":' .. stock_json(row) .. ',"oversold":' .. int(short) .. "}"
  if op_key then
    record(op_key, fingerprint, result)
  end
  return result
end)

-- ARGV: sku, location, frozen ("1" to freeze, "0" to unfreeze), at_ms
return run(function()
  local sku, location, frozen, at = ARGV[1], ARGV[2], ARGV[3] == "1", tonumber(ARGV[4])
  local row = stock(sku, location)
  if row.frozen == frozen and row.exists then
    return stock_json(row)
  end
  row.frozen = frozen
  touch(row, at)
  local kind = frozen and "freeze" or "unfreeze"
  journal(kind, at, kind .. ":" .. sku .. "@" .. location, nil, { change(sku, location, 0, 0) }, frozen)
  return stock_json(row)
end)

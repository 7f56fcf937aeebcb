-- Every stock record, in no particular order.
return run(function()
  local rows = {}
  for i, key in ipairs(redis.call("SMEMBERS", STOCKS)) do
    rows[i] = stock_json(load_stock(key))
  end
  return rows
end)

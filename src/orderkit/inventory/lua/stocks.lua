-- Every stock record, in no particular order.
return run(function()
  local rows = {}
  for i, key in ipairs(redis.call("SMEMBERS", STOCKS)) do
    local names = redis.call("HMGET", key, "sku", "location")
    rows[i] = load_stock(key, names[1], names[2])
  end
  return array(rows, stock_json)
end)

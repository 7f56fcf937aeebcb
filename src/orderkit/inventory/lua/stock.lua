-- ARGV: sku, location
return run(function()
  return stock_json(stock(ARGV[1], ARGV[2]))
end)

-- ARGV: at_ms
return run(function()
  return array(expire_due(tonumber(ARGV[1]), nil), reservation_json)
end)
